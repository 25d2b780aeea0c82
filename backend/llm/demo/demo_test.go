package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// sandbox runs the demo's tool calls for real in dir, as the tool package
// would, so the scripts the demo writes are known to work.
type sandbox struct {
	t   *testing.T
	dir string
	env []string // nil: inherit
}

func (s sandbox) run(b llm.Block) llm.Block {
	s.t.Helper()
	var in struct {
		Path      string `json:"path"`
		Content   string `json:"content"`
		OldString string `json:"old_string"`
		NewString string `json:"new_string"`
		Command   string `json:"command"`
	}
	if err := json.Unmarshal(b.Input, &in); err != nil {
		s.t.Fatalf("tool %s input %s: %v", b.Name, b.Input, err)
	}
	switch b.Name {
	case "write":
		if err := os.WriteFile(filepath.Join(s.dir, in.Path), []byte(in.Content), 0o644); err != nil {
			s.t.Fatal(err)
		}
		return llm.ToolResultBlock(b.ID, fmt.Sprintf("wrote %d bytes to %s", len(in.Content), in.Path), false)
	case "edit":
		path := filepath.Join(s.dir, in.Path)
		old, err := os.ReadFile(path)
		if err != nil {
			return llm.ToolResultBlock(b.ID, err.Error(), true)
		}
		if n := strings.Count(string(old), in.OldString); n != 1 {
			return llm.ToolResultBlock(b.ID, fmt.Sprintf("old_string found %d times", n), true)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(old), in.OldString, in.NewString, 1)), 0o644); err != nil {
			s.t.Fatal(err)
		}
		return llm.ToolResultBlock(b.ID, "Edited "+in.Path+": 1 replacement", false)
	case "exec":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", in.Command)
		cmd.Dir = s.dir
		cmd.Env = s.env
		out, err := cmd.CombinedOutput()
		if err != nil {
			return llm.ToolResultBlock(b.ID, fmt.Sprintf("%s\n(%v)", out, err), true)
		}
		return llm.ToolResultBlock(b.ID, string(out)+"(exit 0)", false)
	}
	s.t.Fatalf("unexpected tool %q", b.Name)
	return llm.Block{}
}

var demoTools = []llm.ToolSpec{
	{Name: "write", InputSchema: json.RawMessage(`{"type":"object"}`)},
	{Name: "exec", InputSchema: json.RawMessage(`{"type":"object"}`)},
	{Name: "edit", InputSchema: json.RawMessage(`{"type":"object"}`)},
}

// drive plays a session, answering tool calls with answer, and returns the
// conversation and responses.
func drive(t *testing.T, answer func(llm.Block) llm.Block) (llm.Request, []llm.Response) {
	t.Helper()
	m := New(Options{})
	req := llm.Request{System: "You are Corral.", Tools: demoTools, Messages: []llm.Message{llm.UserText("Build something small")}}
	var resps []llm.Response
	for range 12 {
		resp, err := m.Stream(context.Background(), req, nil)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		resps = append(resps, resp)
		req.Messages = append(req.Messages, resp.Message())
		if resp.StopReason == llm.StopEndTurn {
			return req, resps
		}
		var results []llm.Block
		for _, u := range resp.ToolUses() {
			results = append(results, answer(u))
		}
		req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: results})
	}
	t.Fatalf("session did not end: %+v", resps[len(resps)-1])
	return req, nil
}

func toolNames(resps []llm.Response) []string {
	var out []string
	for _, r := range resps {
		for _, u := range r.ToolUses() {
			out = append(out, u.Name)
		}
	}
	return out
}

func TestSessionRunsToEndTurn(t *testing.T) {
	t.Parallel()
	sb := sandbox{t: t, dir: t.TempDir()}
	var results []llm.Block
	req, resps := drive(t, func(b llm.Block) llm.Block {
		r := sb.run(b)
		results = append(results, r)
		return r
	})
	if want := []string{"write", "exec", "edit", "exec", "write", "exec"}; !reflect.DeepEqual(toolNames(resps), want) {
		t.Fatalf("tools = %q, want %q", toolNames(resps), want)
	}
	if got := results[3].Content; !strings.Contains(got, "3 the") || results[3].IsError {
		t.Errorf("rerun after the fix = %q, want \"the\" counted 3 times", got)
	}
	if got := results[5].Content; !strings.HasPrefix(got, "PASS") || results[5].IsError {
		t.Errorf("test run = %q, want PASS", got)
	}
	final := resps[len(resps)-1]
	if final.StopReason != llm.StopEndTurn || !strings.Contains(final.Text(), "All checks pass") {
		t.Errorf("final turn = %q (%s), want the success summary", final.Text(), final.StopReason)
	}
	for i, r := range resps {
		if r.Usage.InputTokens <= 0 || r.Usage.OutputTokens <= 0 || r.Usage.CacheReadTokens+r.Usage.CacheWriteTokens <= 0 {
			t.Errorf("turn %d usage = %+v, want plausible counts", i, r.Usage)
		}
		if want := fmt.Sprintf("msg_demo_%02d", i+1); r.ID != want || r.Model != ModelName {
			t.Errorf("turn %d id %q model %q, want %q %q", i, r.ID, r.Model, want, ModelName)
		}
	}
	// After the session, further messages get a polite end.
	req.Messages = append(req.Messages, llm.UserText("more please"))
	after := Respond(req)
	if after.StopReason != llm.StopEndTurn || !strings.Contains(after.Text(), "session is over") {
		t.Errorf("after the end = %q", after.Text())
	}
}

// The Docker sandbox image holds only busybox, so the scripts must work
// with its applets alone.
func TestSessionUnderBusybox(t *testing.T) {
	t.Parallel()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox not installed")
	}
	bin := t.TempDir()
	for _, applet := range []string{"sh", "cat", "tr", "grep", "sort", "uniq", "head", "printf", "awk", "dirname"} {
		if err := os.Symlink(busybox, filepath.Join(bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	sb := sandbox{t: t, dir: t.TempDir(), env: []string{"PATH=" + bin}}
	var results []llm.Block
	_, resps := drive(t, func(b llm.Block) llm.Block {
		if b.Name == "exec" {
			// Run the command with busybox's shell, not the host's.
			var in map[string]any
			json.Unmarshal(b.Input, &in)
			in["command"] = "exec " + filepath.Join(bin, "sh") + " -c " + shellQuote(in["command"].(string))
			b.Input, _ = json.Marshal(in)
		}
		r := sb.run(b)
		results = append(results, r)
		return r
	})
	if got := results[5].Content; !strings.HasPrefix(got, "PASS") {
		t.Fatalf("test run under busybox = %q, want PASS", got)
	}
	if final := resps[len(resps)-1].Text(); !strings.Contains(final, "All checks pass") {
		t.Errorf("final turn = %q", final)
	}
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func TestDeterministicResume(t *testing.T) {
	t.Parallel()
	sb := sandbox{t: t, dir: t.TempDir()}
	full, resps := drive(t, sb.run)
	// Every prefix that ends with a user message replays the same turn, from
	// a fresh model, as a resumed run would.
	turn := 0
	for i := range full.Messages {
		if full.Messages[i].Role != llm.RoleUser {
			continue
		}
		prefix := full
		prefix.Messages = full.Messages[:i+1]
		a, err := New(Options{}).Stream(context.Background(), prefix, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := Respond(prefix)
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		wj, _ := json.Marshal(resps[turn])
		if string(aj) != string(wj) || string(bj) != string(wj) {
			t.Fatalf("turn %d replayed as\n%s\n%s\nwant\n%s", turn, aj, bj, wj)
		}
		turn++
	}
}

func TestUserDecisions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		answer    func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) // false: run it for real
		wantTools []string
		wantText  []string // in the turn after the decision
		wantFinal string
	}{
		{
			name: "script write denied",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "Tool call denied by the user.", true), step == 1
			},
			wantTools: []string{"write"},
			wantText:  []string{"you denied the `write` call"},
			wantFinal: "nothing to run or test",
		},
		{
			name: "first run denied",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "The user denied this call: not now", true), step == 2
			},
			wantTools: []string{"write", "exec", "edit", "exec", "write", "exec"},
			wantText:  []string{"you denied the `exec` call", "Reading the script again"},
			wantFinal: "All checks pass",
		},
		{
			name: "run denied with a message",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "The user denied this action, so it was not run. The user said: not on real data", true), step == 2
			},
			wantTools: []string{"write", "exec", "edit", "exec", "write", "exec"},
			wantText:  []string{"you denied the `exec` call and told me “not on real data”", "Reading the script again"},
			wantFinal: "All checks pass",
		},
		{
			name: "edit denied",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "Rejected by the user.", true), step == 3
			},
			wantTools: []string{"write", "exec", "edit", "write", "exec"},
			wantText:  []string{"you denied the `edit` call", "I'll leave the script as it is"},
			wantFinal: "did not pass",
		},
		{
			name: "edited by the user",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				if step != 1 {
					return llm.Block{}, false
				}
				r := run(b)
				r.Content += " (the call was edited by the user before it ran)"
				return r, true
			},
			wantTools: []string{"write", "exec", "edit", "exec", "write", "exec"},
			wantText:  []string{"you edited the `write` call"},
		},
		{
			name: "run fails",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "sh: wordcount.sh: not found\n(exit status 127)", true), step == 2
			},
			wantTools: []string{"write", "exec", "edit", "exec", "write", "exec"},
			wantText:  []string{"That `exec` call failed: sh: wordcount.sh: not found"},
		},
		{
			name: "test denied",
			answer: func(step int, b llm.Block, run func(llm.Block) llm.Block) (llm.Block, bool) {
				return llm.ToolResultBlock(b.ID, "not approved", true), step == 6
			},
			wantTools: []string{"write", "exec", "edit", "exec", "write", "exec"},
			wantText:  []string{"you denied the `exec` call"},
			wantFinal: "run the test yourself",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := sandbox{t: t, dir: t.TempDir()}
			decided := false
			_, resps := drive(t, func(b llm.Block) llm.Block {
				step := 0
				fmt.Sscanf(b.ID, "toolu_demo_%d", &step)
				if r, use := tt.answer(step, b, sb.run); use {
					decided = true
					return r
				}
				return sb.run(b)
			})
			if !decided {
				t.Fatalf("the decision was never asked for")
			}
			if got := toolNames(resps); !reflect.DeepEqual(got, tt.wantTools) {
				t.Fatalf("tools = %q, want %q", got, tt.wantTools)
			}
			var all strings.Builder
			for _, r := range resps {
				all.WriteString(r.Text())
			}
			for _, w := range tt.wantText {
				if !strings.Contains(all.String(), w) {
					t.Errorf("session text lacks %q:\n%s", w, all.String())
				}
			}
			final := resps[len(resps)-1]
			if final.StopReason != llm.StopEndTurn || !strings.Contains(final.Text(), tt.wantFinal) {
				t.Errorf("final turn = %q, want it to say %q", final.Text(), tt.wantFinal)
			}
		})
	}
}

func TestStreamEvents(t *testing.T) {
	t.Parallel()
	req := llm.Request{Messages: []llm.Message{llm.UserText("hi")}}
	rec := &llmtest.Recorder{}
	resp, err := New(Options{Delay: time.Microsecond}).Stream(context.Background(), req, rec.On)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Text() != resp.Text() {
		t.Errorf("text events = %q, want %q", rec.Text(), resp.Text())
	}
	u := resp.ToolUses()[0]
	if got, want := rec.ToolInputs(), []string{u.ID + " write " + string(u.Input)}; !reflect.DeepEqual(got, want) {
		t.Errorf("tool events = %q, want %q", got, want)
	}
	if n := len(rec.Events()); n < 20 {
		t.Errorf("%d events, want the turn streamed in small pieces", n)
	}
	if last, ok := rec.Events()[len(rec.Events())-1].(llm.UsageUpdate); !ok || last.Usage != resp.Usage {
		t.Errorf("last event = %#v, want the final usage", rec.Events()[len(rec.Events())-1])
	}
}

func TestStreamCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	req := llm.Request{Messages: []llm.Message{llm.UserText("hi")}}
	deltas := 0
	_, err := New(Options{Delay: time.Hour}).Stream(ctx, req, func(e llm.Event) {
		if _, ok := e.(llm.TextDelta); ok {
			deltas++
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || deltas != 1 {
		t.Fatalf("Stream() = %v after %d deltas, want context.Canceled after 1", err, deltas)
	}
}
