package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// uiFixture is the trace the frontend's tests read (frontend/src/lib/trace/testdata), so the
// window's reading of the model is checked against what this package really builds.
var uiFixture = filepath.Join("..", "..", "frontend", "src", "lib", "trace", "testdata", "hello.trace.json")

var (
	reTime     = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)
	reDuration = regexp.MustCompile(`("[a-z_.]*duration_ms":\s*)\d+`)
	reUnixNano = regexp.MustCompile(`("corral\.run\.(created|updated)_at":\s*)\d+`)
	reHash     = regexp.MustCompile(`("action_hash":\s*)"[0-9a-f]+"`)
)

// TestUIFixture records a real run (the agent loop, the local sandbox, every approval
// answered), loads its trace as Traces.Trace does, and compares its JSON, with ids, paths
// and times made stable, to the fixture the frontend tests read. Run with -update after a
// deliberate change to the model, and let the frontend tests say what the change breaks.
func TestUIFixture(t *testing.T) {
	t.Parallel()
	j := openJournal(t)
	run := recordRun(t, j, helloScript, "say hi")
	tr, err := trace.Load(context.Background(), j, run.ID)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	checkUIFixture(t, uiFixture, fixtureJSON(t, tr, run))
}

// fixtureJSON is a trace's JSON with ids, paths and times made stable.
func fixtureJSON(t *testing.T, tr trace.Trace, run journal.Run) string {
	t.Helper()
	blob, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got := string(blob)
	// Ids and paths first (span ids are hex like the other ids), then times and durations.
	pairs := []string{run.ID, "run_fixture", run.SessionID, "ses_fixture", tr.ID, strings.Repeat("7", 32)}
	for i, s := range tr.Spans {
		pairs = append(pairs, s.ID, fmt.Sprintf("%016x", i+1))
	}
	for _, p := range []string{run.Workspace, filepath.ToSlash(run.Workspace)} {
		pairs = append(pairs, p, "/home/ana/hello")
	}
	got = strings.NewReplacer(pairs...).Replace(got)
	n := 0
	got = reTime.ReplaceAllStringFunc(got, func(string) string {
		n++
		return fmt.Sprintf(`"2026-11-23T10:00:%02d.%03dZ"`, n/10, n%10*100)
	})
	got = reDuration.ReplaceAllString(got, "${1}7")
	got = reUnixNano.ReplaceAllString(got, "${1}1795428000000000000")
	got = reHash.ReplaceAllString(got, `${1}"0123abcd"`) + "\n"

	return got
}

// checkUIFixture compares got with the fixture at path, or writes it with -update.
func checkUIFixture(t *testing.T, uiFixture, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(uiFixture, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(uiFixture)
	if err != nil {
		t.Fatalf("%v (create it with go test ./backend/trace -run TestUIFixture -update)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		w, g := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		i := 0
		for i < len(w) && i < len(g) && w[i] == g[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return l[i]
			}
			return "(end)"
		}
		t.Errorf("the trace of the hello run differs from %s at line %d:\n got: %s\nwant: %s\nIf the change is meant, run go test ./backend/trace -run TestUIFixture -update and check the frontend's reading of it.", uiFixture, i+1, line(g), line(w))
	}
}

// TestUISubagentFixture is TestUIFixture for a lead run whose two helpers are grafted into its
// trace (frontend/src/lib/trace/testdata/delegate.trace.json).
func TestUISubagentFixture(t *testing.T) {
	t.Parallel()
	j := openJournal(t)
	run, _ := recordDelegation(t, j)
	tr, err := trace.Load(context.Background(), j, run.ID)
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	checkUIFixture(t, filepath.Join(filepath.Dir(uiFixture), "delegate.trace.json"), fixtureJSON(t, tr, run))
}
