package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// checkpointServer is a fake Anthropic API (the Messages API streaming format,
// https://docs.anthropic.com/en/api/messages-streaming, as llmtest writes it) whose model
// writes a file, then changes it and adds another with a command, then stops.
func checkpointServer(t *testing.T) (*httptest.Server, *llmtest.Handler) {
	turns := []llm.Response{
		{Content: []llm.Block{llm.NewToolUse("toolu_w", "write", `{"path":"a.txt","content":"one\n"}`)}, StopReason: llm.StopToolUse},
		{Content: []llm.Block{llm.NewToolUse("toolu_x", "exec", `{"command":"echo two > a.txt && echo three > b.txt"}`)}, StopReason: llm.StopToolUse},
		{Content: []llm.Block{llm.TextBlock("Done.")}, StopReason: llm.StopEndTurn},
	}
	h := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil || turnOf(r) >= len(turns) {
			return llmtest.AnthropicError(400, "invalid_request_error", "off script")
		}
		resp := turns[turnOf(r)]
		resp.ID, resp.Model = "msg_ckpt", "claude-test"
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 8)}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

// cliEnv runs the CLI in this process with the given environment.
func cliEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	p := testProgram(t, &out, &errb)
	p.Getenv = func(k string) string { return env[k] }
	code := Main(context.Background(), args, p)
	return code, out.String(), errb.String()
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(data)
}

// TestRestoreAndFork drives a real run against the fake API, then restores its workspace
// to before the command and undoes that, and forks the session after the write: the fork's
// workspace is the one of that moment and its next run sends the conversation up to there
// byte for byte.
func TestRestoreAndFork(t *testing.T) {
	t.Parallel()
	srv, h := checkpointServer(t)
	dataDir, ws := t.TempDir(), t.TempDir()
	env := map[string]string{"CORRAL_HOME": dataDir, "DOCKER_HOST": "unix:///nonexistent.sock", "ANTHROPIC_API_KEY": "test-key",
		"CORRAL_CREDENTIAL_STORE": "file"}
	base := []string{"--data-dir", dataDir}
	if code, out, errOut := cliEnv(t, env, append([]string{"run", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL, "--workspace", ws}, append(base, "make files")...)...); code != ExitOK {
		t.Fatalf("corral run = %d\n%s\n%s", code, out, errOut)
	}
	j, err := journal.Open(t.Context(), filepath.Join(dataDir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := j.Runs(t.Context(), journal.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("Runs() = %v, %v, want one run", runs, err)
	}
	run := runs[0]
	steps, err := j.Steps(t.Context(), run.ID)
	j.Close()
	if err != nil {
		t.Fatal(err)
	}
	seqOf := func(name string) int {
		for _, st := range steps {
			if st.Kind == "tool" && st.Name == name {
				return st.Seq
			}
		}
		t.Fatalf("no %s step in %v", name, steps)
		return 0
	}
	writeSeq, execSeq := seqOf("write"), seqOf("exec")
	if got := readFile(t, filepath.Join(ws, "a.txt")); got != "two\n" {
		t.Fatalf("a.txt after the run = %q, want %q", got, "two\n")
	}

	code, out, errOut := cliEnv(t, env, append([]string{"checkpoints", run.ID}, base...)...)
	if code != ExitOK || strings.Count(out, "\n") != 5 || !strings.Contains(out, "before") || !strings.Contains(out, "after") {
		t.Errorf("corral checkpoints = %d\n%s%s, want a header and 4 checkpoints (before and after write and exec)", code, out, errOut)
	}

	seq := itoa(execSeq)
	code, out, errOut = cliEnv(t, env, append([]string{"restore", run.ID, "--to", seq, "--dry-run"}, base...)...)
	for _, want := range []string{"modify  a.txt", "-two", "+one", "delete  b.txt"} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("corral restore --dry-run = %d\n%s%s, want %q", code, out, errOut, want)
		}
	}
	if got := readFile(t, filepath.Join(ws, "b.txt")); got != "three\n" {
		t.Fatalf("b.txt after a dry run = %q, want it untouched", got)
	}
	if code, out, errOut = cliEnv(t, env, append([]string{"restore", run.ID, "--to", seq}, base...)...); code != ExitOK {
		t.Fatalf("corral restore = %d\n%s%s", code, out, errOut)
	}
	if a, b := readFile(t, filepath.Join(ws, "a.txt")), readFile(t, filepath.Join(ws, "b.txt")); a != "one\n" || !strings.Contains(b, "no such file") {
		t.Errorf("after restore --to %s: a.txt = %q, b.txt = %q, want %q and none", seq, a, b, "one\n")
	}
	if code, out, errOut = cliEnv(t, env, append([]string{"restore", run.ID, "--undo"}, base...)...); code != ExitOK {
		t.Fatalf("corral restore --undo = %d\n%s%s", code, out, errOut)
	}
	if a, b := readFile(t, filepath.Join(ws, "a.txt")), readFile(t, filepath.Join(ws, "b.txt")); a != "two\n" || b != "three\n" {
		t.Errorf("after restore --undo: a.txt = %q, b.txt = %q, want %q and %q", a, b, "two\n", "three\n")
	}

	code, out, errOut = cliEnv(t, env, append([]string{"fork", run.ID, "--at", itoa(writeSeq), "--json"}, base...)...)
	var forked struct{ Session, Workspace string }
	if code != ExitOK || json.Unmarshal([]byte(out), &forked) != nil || forked.Session == "" {
		t.Fatalf("corral fork = %d\n%s%s", code, out, errOut)
	}
	if a, b := readFile(t, filepath.Join(forked.Workspace, "a.txt")), readFile(t, filepath.Join(forked.Workspace, "b.txt")); a != "one\n" || !strings.Contains(b, "no such file") {
		t.Errorf("fork's workspace: a.txt = %q, b.txt = %q, want %q and none", a, b, "one\n")
	}
	if a := readFile(t, filepath.Join(ws, "a.txt")); a != "two\n" {
		t.Errorf("original's a.txt after the fork = %q, want it untouched", a)
	}

	before := len(h.Requests())
	if code, out, errOut = cliEnv(t, env, append([]string{"run", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL, "--session", forked.Session}, append(base, "and then?")...)...); code != ExitOK {
		t.Fatalf("corral run --session FORK = %d\n%s%s", code, out, errOut)
	}
	bodies := h.Bodies()
	// The original's second request answered the write: its conversation is the fork
	// point's. The fork's first request sends it again, with the new prompt appended to
	// the last (user) turn.
	orig, fork := messagesOf(t, bodies[1]), messagesOf(t, bodies[before])
	if len(fork) != len(orig) {
		t.Fatalf("fork's first request has %d messages, want %d (the original's at the fork point)", len(fork), len(orig))
	}
	for i := range len(orig) - 1 {
		if !bytes.Equal(orig[i], fork[i]) {
			t.Errorf("message %d:\n fork %s\n want %s", i, fork[i], orig[i])
		}
	}
	last := len(orig) - 1
	oc, fc := contentOf(t, orig[last]), contentOf(t, fork[last])
	if len(fc) != len(oc)+1 || !strings.Contains(string(fc[len(oc)]), "and then?") {
		t.Fatalf("last turn: fork %s, want %s plus the new prompt", fork[last], orig[last])
	}
	// The adapter marks the request's last block as a prompt-cache breakpoint
	// (cache_control), so that marker moves to the new prompt; the blocks are otherwise
	// the same bytes.
	for i := range oc {
		if !bytes.Equal(oc[i], fc[i]) && !bytes.Equal(uncached(t, oc[i]), fc[i]) {
			t.Errorf("last turn block %d: fork %s, want %s", i, fc[i], oc[i])
		}
	}
	if got := readFile(t, filepath.Join(forked.Workspace, "b.txt")); got != "three\n" {
		t.Errorf("fork's run did not work in the fork's workspace: b.txt = %q", got)
	}
	if got := readFile(t, filepath.Join(ws, "a.txt")); got != "two\n" {
		t.Errorf("original's a.txt after the fork's run = %q, want it untouched", got)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func messagesOf(t *testing.T, body string) []json.RawMessage {
	t.Helper()
	var req struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("request body: %v\n%s", err, body)
	}
	return req.Messages
}

func contentOf(t *testing.T, msg json.RawMessage) []json.RawMessage {
	t.Helper()
	var m struct {
		Content []json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		t.Fatalf("message: %v\n%s", err, msg)
	}
	return m.Content
}

// uncached re-encodes a block without its cache_control marker, keys in the order sent.
func uncached(t *testing.T, block json.RawMessage) []byte {
	t.Helper()
	i := bytes.Index(block, []byte(`,"cache_control":`))
	if i < 0 {
		return block
	}
	return append(append([]byte{}, block[:i]...), '}')
}

// TestCheckpointViewsJSON pins `corral checkpoints --json`: the window's fields in their
// order, the time in milliseconds, and what was left out never null.
func TestCheckpointViewsJSON(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 11, 12, 345678901, time.UTC)
	tests := []struct {
		name string
		in   journal.Checkpoint
		want string
	}{
		{"excluded", journal.Checkpoint{ID: "c1", Seq: 3, Phase: "before", Files: 2, Bytes: 10, AddedBytes: 4, CreatedAt: at,
			Excluded: json.RawMessage(`[{"path":"node_modules","reason":"ignored"}]`)},
			`[{"id":"c1","seq":3,"phase":"before","files":2,"bytes":10,"added_bytes":4,"excluded":[{"path":"node_modules","reason":"ignored"}],"created_at":"2026-12-07T10:11:12.345Z"}]`},
		{"nothing excluded", journal.Checkpoint{ID: "c2", Seq: 4, Phase: "after", CreatedAt: at},
			`[{"id":"c2","seq":4,"phase":"after","files":0,"bytes":0,"added_bytes":0,"excluded":[],"created_at":"2026-12-07T10:11:12.345Z"}]`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(checkpointViews([]journal.Checkpoint{tc.in}))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: checkpointViews = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}
