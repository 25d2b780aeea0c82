package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestCompactCommand: corral compact summarizes a session by hand, --show prints the
// summary and ledger, --edit replaces the summary, and the next run of the session is sent
// the edited summary and the ledger instead of the earlier turns.
func TestCompactCommand(t *testing.T) {
	t.Parallel()
	var last bytes.Buffer // the last request body, for the follow-up's check
	handler := llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil {
			return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
		}
		last.Reset()
		last.Write(req.Body)
		text := "Done."
		if strings.HasPrefix(r.System, "You write the working memory") {
			text = "The person asked for a greeting; it was given."
		}
		return llmtest.Reply{Body: llmtest.AnthropicBody(llm.Response{ID: "msg_1", Model: "claude-test", StopReason: llm.StopEndTurn, Content: []llm.Block{llm.TextBlock(text)}}, 8)}
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	env := map[string]string{"CORRAL_HOME": t.TempDir(), "DOCKER_HOST": "unix:///nonexistent.sock",
		"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": srv.URL}
	cli := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		p := testProgram(t, &out, &errb)
		p.Getenv = func(k string) string { return env[k] }
		code := Main(context.Background(), args, p)
		return code, out.String() + errb.String()
	}
	ws := t.TempDir()
	if code, out := cli("run", "--approve", "all", "--workspace", ws, "say hello"); code != 0 {
		t.Fatalf("corral run = %d\n%s", code, out)
	}
	_, out := cli("sessions", "--json")
	session := regexp.MustCompile(`"id":\s*"(ses_[a-z0-9]+)"`).FindStringSubmatch(out)
	if session == nil {
		t.Fatalf("no session in %s", out)
	}
	id := session[1]
	if code, out := cli("compact", id, "--show"); code == 0 || !strings.Contains(out, "no compaction yet") {
		t.Errorf("corral compact --show before any = %d, %s; want it to say there is none", code, out)
	}
	if code, out := cli("compact", id); code != 0 || !strings.Contains(out, "it was given") || !strings.Contains(out, "say hello") {
		t.Fatalf("corral compact = %d\n%s\nwant the summary and the ledger (with the prompt)", code, out)
	}
	edit := filepath.Join(t.TempDir(), "summary.txt")
	if err := os.WriteFile(edit, []byte("Edited: the greeting is done.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := cli("compact", id, "--edit", edit); code != 0 || !strings.Contains(out, "(edited)") {
		t.Fatalf("corral compact --edit = %d\n%s", code, out)
	}
	if code, out := cli("compact", id, "--show"); code != 0 || !strings.Contains(out, "Edited: the greeting is done.") {
		t.Errorf("corral compact --show after the edit = %d\n%s", code, out)
	}
	if code, out := cli("run", "--approve", "all", "--session", id, "and goodbye"); code != 0 {
		t.Fatalf("corral run --session = %d\n%s", code, out)
	}
	body := last.String()
	for _, want := range []string{"Corral compacted the conversation", "Edited: the greeting is done.", "say hello", "and goodbye"} {
		if !strings.Contains(body, want) {
			t.Errorf("the follow-up's request does not carry %q:\n%.600s", want, body)
		}
	}
}
