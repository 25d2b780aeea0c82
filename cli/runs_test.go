package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/journal"
)

// TestRunsPage: `corral runs` lists the most recent page of runs, oldest of them first, and
// says on stderr that older ones were left out; --limit sets the page and --all lists every run.
func TestRunsPage(t *testing.T) {
	t.Parallel()
	dd := t.TempDir()
	const total = defaultRunsLimit + 3
	j, err := journal.Open(context.Background(), filepath.Join(dd, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour)
	var ids []string
	for i := range total {
		at := start.Add(time.Duration(i) * time.Second)
		id := fmt.Sprintf("run_%03d", i)
		ids = append(ids, id)
		s := journal.Session{ID: fmt.Sprintf("ses_%03d", i), CreatedAt: at, UpdatedAt: at}
		r := journal.Run{ID: id, SessionID: s.ID, Status: journal.RunCompleted, CreatedAt: at, UpdatedAt: at}
		if err := j.ImportRun(context.Background(), s, r, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()

	listed := func(args ...string) ([]string, string) {
		t.Helper()
		code, out, errOut := run(t, append(append([]string{"runs", "--json"}, args...), "--data-dir", dd)...)
		if code != ExitOK {
			t.Fatalf("runs --json %v = %d: %s", args, code, errOut)
		}
		var views []app.RunView
		if err := json.Unmarshal([]byte(out), &views); err != nil {
			t.Fatalf("runs --json %v: %v\n%s", args, err, out)
		}
		var got []string
		for _, v := range views {
			got = append(got, v.ID)
		}
		return got, errOut
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"default page", nil, ids[total-defaultRunsLimit:]},
		{"limit", []string{"--limit", "2"}, ids[total-2:]},
		{"limit above count", []string{"--limit", "1000"}, ids},
		{"all", []string{"--all"}, ids},
		{"all beats limit", []string{"--all", "--limit", "1"}, ids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := listed(tt.args...); !slices.Equal(got, tt.want) {
				t.Errorf("runs %v = %v, want %v", tt.args, got, tt.want)
			}
		})
	}

	t.Run("table says what it left out", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := run(t, "runs", "--limit", "2", "--data-dir", dd)
		if code != ExitOK || strings.Count(out, "\n") != 3 || !strings.Contains(out, ids[total-1]) || strings.Contains(out, ids[total-3]) {
			t.Errorf("runs --limit 2 = %d, %q; want the header and the 2 newest runs", code, out)
		}
		if !strings.Contains(errOut, "the 2 most recent runs") || !strings.Contains(errOut, "--all") {
			t.Errorf("runs --limit 2 stderr = %q, want a note naming --all", errOut)
		}
		if _, errOut := listed("--all"); errOut != "" {
			t.Errorf("runs --all stderr = %q, want nothing", errOut)
		}
	})
	t.Run("bad limit", func(t *testing.T) {
		t.Parallel()
		if code, _, errOut := run(t, "runs", "--limit", "0", "--data-dir", dd); code != ExitUsage || !strings.Contains(errOut, "--limit 0") {
			t.Errorf("runs --limit 0 = %d %q, want exit 2 naming the flag", code, errOut)
		}
	})
}
