package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// fileTurns is a run made only of writes and edits, whose effects the workspace shows.
var fileTurns = []llm.Response{
	{Content: []llm.Block{llm.NewToolUse("toolu_1", "write", `{"path":"a.txt","content":"alpha\n"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_2", "write", fmt.Sprintf(`{"path":"b.txt","content":%q}`, strings.Repeat("line of b\n", 300)+"end of b\n"))}},
	{Content: []llm.Block{llm.NewToolUse("toolu_3", "edit", `{"path":"a.txt","old_string":"alpha","new_string":"beta"}`), llm.NewToolUse("toolu_4", "write", `{"path":"c.txt","content":"one\ntwo\n"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_5", "edit", `{"path":"b.txt","old_string":"end of b","new_string":"the end"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_6", "edit", `{"path":"c.txt","old_string":"two","new_string":"three"}`)}},
	{Content: []llm.Block{llm.TextBlock("Files written and edited.")}},
}

// fileScript answers like crashScript, from fileTurns.
func fileScript(n int, req llmtest.Request) llmtest.Reply {
	return scriptReply(req, fileTurns, "msg_file_", growingUsage)
}

func checkFiles(t *testing.T, label, ws string) {
	t.Helper()
	want := map[string]string{
		"a.txt": "beta\n",
		"b.txt": strings.Repeat("line of b\n", 300) + "the end\n",
		"c.txt": "one\nthree\n",
	}
	for name, content := range want {
		if b, err := os.ReadFile(filepath.Join(ws, name)); err != nil || string(b) != content {
			t.Errorf("%s: %s = %d bytes (%v), want the %d bytes of every write and edit applied once", label, name, len(b), err, len(content))
		}
	}
}

// TestCrashFilesResumeAlone kills `corral run` (SIGKILL) at random moments of a run made of
// writes and edits, and right after each of its tool calls started, and resumes it: every
// resume completes the run without asking a person (a cut-off write or edit is decided by
// what the file shows), and the files end as one uninterrupted run leaves them.
func TestCrashFilesResumeAlone(t *testing.T) {
	t.Parallel()
	runArgs := func(srvURL, ws, dd string) []string {
		return []string{"run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srvURL, "--workspace", ws, "--data-dir", dd, "Write and edit the files."}
	}
	newServer := func() string {
		srv := httptest.NewServer(llmtest.NewAnthropicHandler(fileScript))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	refWS := t.TempDir()
	begun := time.Now()
	if out, err := corral(t, nil, runArgs(newServer(), refWS, t.TempDir())...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	span := time.Since(begun)
	checkFiles(t, "reference", refWS)

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points from seed %d over %s", seed, span)
	rng := rand.New(rand.NewPCG(seed, 2))
	const toolCalls, randomKills = 6, 6
	cutOff, decided := 0, 0
	for i := 0; i < toolCalls+randomKills; i++ {
		dd, ws := t.TempDir(), t.TempDir()
		label := ""
		if i < toolCalls {
			// Right after the i-th tool call started: the write may or may not have landed.
			nth, seen := i+1, 0
			label = fmt.Sprintf("kill at tool call %d", nth)
			killAtEvent(t, func(ev runEvent) bool {
				if ev.Type == "tool.started" {
					seen++
				}
				return seen == nth
			}, runArgs(newServer(), ws, dd)...)
		} else {
			killAt := time.Duration(rng.Int64N(int64(span)))
			label = fmt.Sprintf("kill at %s", killAt)
			cmd := corral(t, nil, runArgs(newServer(), ws, dd)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			timer := time.AfterFunc(killAt, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			timer.Stop()
			if err == nil {
				continue // finished before the kill point
			}
		}
		runID := runIDOf(t, dd)
		if runID == "" {
			continue // killed before the run was recorded
		}
		before := showSteps(t, dd, runID)
		if n := len(before); n > 0 && before[n-1].Kind == "tool" && before[n-1].Status == "started" {
			cutOff++
		}
		if st := runStatus(t, dd, runID); st != "completed" {
			code, _, stderr := exitCode(t, corral(t, nil, "resume", runID, "--approve", "all", "--data-dir", dd))
			if code != ExitOK {
				t.Fatalf("%s: corral resume exit %d, want %d without a person\n%s", label, code, ExitOK, stderr)
			}
		}
		if st := runStatus(t, dd, runID); st != "completed" {
			t.Fatalf("%s: run status after resume = %s, want completed", label, st)
		}
		for _, s := range showSteps(t, dd, runID) {
			if s.Resolution != "" {
				decided++
				if !strings.Contains(string(s.Output), `"resolved"`) {
					t.Errorf("%s: step %d resolved %s, but its result does not say why: %s", label, s.Seq, s.Resolution, s.Output)
				}
			}
		}
		checkFiles(t, label, ws)
	}
	t.Logf("%d runs left a write or edit cut off; %d were decided from the workspace", cutOff, decided)
	if cutOff == 0 {
		t.Fatal("no kill cut a write or edit off; the test proved nothing about deciding them")
	}
}
