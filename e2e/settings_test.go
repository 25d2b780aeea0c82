//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestSettingsKeyAndRules opens Settings in `corral serve`: saves an OpenAI key (to the
// credentials file, as CI has no keychain), sees it masked and never in full anywhere in
// the page, sees the provider configured in the status bar; then revokes a rule that the
// command line added, and the command line no longer lists it.
func TestSettingsKeyAndRules(t *testing.T) {
	const key = "sk-proj-e2eSettingsKey0123456789QWERTYa1b2"
	dd := t.TempDir()
	add := exec.Command(corralBin(t), "rules", "add", "--data-dir", dd, "allow", "exec(npm test)")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("corral rules add: %v\n%s", err, out)
	}

	// No provider keys in the environment: the saved one must be what configures OpenAI.
	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock", "CORRAL_CREDENTIAL_STORE=file",
		"OPENAI_API_KEY=", "ANTHROPIC_API_KEY=", "OPENAI_BASE_URL=", "CORRAL_PROVIDER="}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dd)
	url := waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
	ctx := newBrowser(t)

	var state, store, providers string
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="status-bar"]`),
		chromedp.KeyEvent(",", chromedp.KeyModifiers(input.ModifierCtrl)), // Ctrl+, opens Settings
		chromedp.WaitVisible(`[data-testid="settings-view"] [data-testid="key-input-openai"]`),
		chromedp.Text(`[data-testid="key-store"]`, &store),
		chromedp.SendKeys(`[data-testid="key-input-openai"]`, key),
		chromedp.Click(`[data-testid="key-save-openai"]`),
		chromedp.WaitVisible(`//*[@data-testid="key-state-openai"][contains(., "sk-…a1b2")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="key-state-openai"]`, &state),
		chromedp.WaitVisible(`//*[@data-testid="status-providers"][contains(., "1 provider")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="status-providers"]`, &providers),
	)
	if err != nil {
		t.Fatalf("save a key in Settings: %v", err)
	}
	if !strings.Contains(state, "credentials file") {
		t.Errorf("key state = %q, want it masked and in the credentials file", state)
	}
	if !strings.Contains(store, "readable only by you") {
		t.Errorf("store note = %q, want where keys go (the file)", store)
	}
	var text, html, inputValue string
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.body.innerText`, &text),
		chromedp.Evaluate(`document.documentElement.outerHTML`, &html),
		chromedp.Value(`[data-testid="key-input-openai"]`, &inputValue),
	); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"page text": text, "page HTML": html, "key field": inputValue} {
		if strings.Contains(s, key) || strings.Contains(s, key[8:30]) {
			t.Errorf("the %s shows the saved key", what)
		}
	}
	shot := artifact(t, "settings-providers.png")
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, shot, 8)

	credFile := filepath.Join(dd, "credentials.json")
	fi, err := os.Stat(credFile)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode = %04o, want 0600", fi.Mode().Perm())
	}

	// The rule the command line added is listed; revoke it from the page.
	var rule string
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="settings-nav-rules"]`),
		chromedp.WaitVisible(`[data-testid="rule-row"]`),
		chromedp.Text(`[data-testid="rule-row"]`, &rule),
		chromedp.SendKeys(`[data-testid="rule-test-command"]`, "npm test\n"),
		chromedp.WaitVisible(`//*[@data-testid="rule-test-result"][contains(., "allow")]`, chromedp.BySearch),
		chromedp.Click(`[data-testid="rule-revoke"]`),
		chromedp.WaitVisible(`[data-testid="rules-empty"]`),
		chromedp.WaitVisible(`//*[@data-testid="rule-test-result"][contains(., "ask")]`, chromedp.BySearch),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("revoke a rule in Settings: %v", err)
	}
	if !strings.Contains(rule, "exec(npm test)") || !strings.Contains(rule, "everywhere") {
		t.Errorf("rule row = %q, want the rule and its scope", rule)
	}
	shot = artifact(t, "settings-rules.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, shot, 8)
	// The agents and a dead Docker engine (DOCKER_HOST points nowhere) are pictures too: the
	// Docker panel says so instead of hanging.
	var docker string
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="settings-nav-agents"]`),
		chromedp.WaitVisible(`[data-testid="agent-editor"]`),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("agents section: %v", err)
	}
	if err := os.WriteFile(artifact(t, "settings-agents.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="settings-nav-docker"]`),
		chromedp.WaitVisible(`[data-testid="docker-unavailable"]`),
		chromedp.Text(`[data-testid="docker-unavailable"]`, &docker),
		chromedp.FullScreenshot(&png, 100),
	)
	if err != nil {
		t.Fatalf("docker section: %v", err)
	}
	if !strings.Contains(docker, "nonexistent.sock") || time.Since(start) > 15*time.Second {
		t.Errorf("docker panel = %q after %s, want the unreachable engine named, quickly", docker, time.Since(start))
	}
	if err := os.WriteFile(artifact(t, "settings-docker.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	ls := exec.Command(corralBin(t), "rules", "ls", "--data-dir", dd)
	out, err := ls.CombinedOutput()
	if err != nil || strings.Contains(string(out), "npm test") {
		t.Errorf("corral rules ls after revoking in the page = %v\n%s; want no rule", err, out)
	}
}
