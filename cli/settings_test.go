package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// TestRunUsesSavedKeyAndKeepsItOut: a key saved in Settings (the credentials file) and a
// saved base URL reach the provider when the environment has neither, and the key appears
// in no journal file and no export.
func TestRunUsesSavedKeyAndKeepsItOut(t *testing.T) {
	t.Parallel()
	const secret = "sk-saved-in-settings-0123456789abcdef"
	h := llmtest.NewOpenAIHandler(func(n int, req llmtest.Request) llmtest.Reply {
		resp := llm.Response{ID: "chatcmpl-1", Model: "gpt-test", StopReason: llm.StopEndTurn,
			Content: []llm.Block{llm.TextBlock("Nothing to do.")}, Usage: llm.Usage{InputTokens: 10, OutputTokens: 3}}
		return llmtest.Reply{Body: llmtest.OpenAIBody(resp, 8)}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	home := t.TempDir()
	creds, err := credential.Open(home, credential.Options{Mode: credential.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Set("OPENAI_API_KEY", secret); err != nil {
		t.Fatal(err)
	}
	if err := config.SaveSettings(home, config.Settings{Providers: map[string]config.Provider{"openai": {BaseURL: srv.URL + "/v1"}}}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CORRAL_HOME": home, "DOCKER_HOST": "unix:///nonexistent.sock", credential.EnvMode: "file"}
	var out, errb bytes.Buffer
	p := &Program{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	if code := Main(context.Background(), []string{"run", "--json", "look around"}, p); code != 0 {
		t.Fatalf("corral run = %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	reqs := h.Requests()
	if len(reqs) != 1 || reqs[0].Header.Get("Authorization") != "Bearer "+secret {
		t.Fatalf("provider got %d requests, Authorization %q; want the saved key", len(reqs), firstAuth(reqs))
	}
	if strings.Contains(out.String()+errb.String(), secret) {
		t.Error("the saved key appears in the run's output")
	}
	files, _ := filepath.Glob(filepath.Join(home, "corral.db*"))
	if len(files) == 0 {
		t.Fatal("no journal files")
	}
	for _, f := range files {
		blob, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(blob, []byte(secret)) {
			t.Errorf("journal file %s holds the saved key", filepath.Base(f))
		}
	}
}

func firstAuth(reqs []llmtest.Request) string {
	if len(reqs) == 0 {
		return ""
	}
	return reqs[0].Header.Get("Authorization")
}

// TestRunTakesSandboxSettings: `corral run` without --env takes the settings' sandbox, and
// --env wins over it.
func TestRunTakesSandboxSettings(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := config.SaveSettings(home, config.Settings{Sandbox: config.Sandbox{Env: "docker", Image: "corral-test/none:latest"}}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CORRAL_HOME": home, "DOCKER_HOST": "unix:///nonexistent.sock", "CORRAL_PROVIDER": "demo"}
	runWith := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		p := &Program{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
		code := Main(context.Background(), args, p)
		return code, out.String() + errb.String()
	}
	// The settings say docker: with no engine, the run fails opening its container.
	code, text := runWith("run", "--approve", "all", "--json", "hello")
	if code == 0 || !strings.Contains(text, "docker") {
		t.Errorf("run with docker settings = %d, %s; want a failure about docker (no engine here)", code, clip(text, 400))
	}
	// --env local wins over the settings.
	code, text = runWith("run", "--env", "local", "--approve", "all", "--json", "hello")
	if code != 0 {
		t.Errorf("run --env local = %d, %s; want success", code, clip(text, 400))
	}
}
