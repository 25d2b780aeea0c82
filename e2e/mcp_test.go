//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// TestSettingsMCPServer adds the reference MCP server in Settings (the MCP
// section's form, as a command line), tests it, and sees its tools with
// their hints; the server is then in the data directory's mcp.json.
func TestSettingsMCPServer(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	entry := filepath.Join(filepath.Dir(file), "testdata", "mcp", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js")
	if _, err := os.Stat(entry); err != nil {
		t.Skipf("the reference MCP server is not installed (make test-deps): %v", err)
	}
	dd := t.TempDir()
	url := serve(t, dd)
	ctx := newBrowser(t)
	var tools string
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="status-bar"]`),
		chromedp.KeyEvent(",", chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.WaitVisible(`[data-testid="settings-nav-mcp"]`),
		chromedp.Click(`[data-testid="settings-nav-mcp"]`),
		chromedp.WaitVisible(`[data-testid="mcp-name"]`),
		chromedp.SendKeys(`[data-testid="mcp-name"]`, "everything"),
		chromedp.SendKeys(`[data-testid="mcp-target"]`, "node "+entry+" stdio"),
		chromedp.Click(`[data-testid="mcp-add"]`),
		chromedp.WaitVisible(`[data-testid="mcp-row"]`),
		chromedp.Click(`[data-testid="mcp-test"]`),
		chromedp.WaitVisible(`//*[@data-testid="mcp-tools"][contains(., "get-sum")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="mcp-tools"]`, &tools),
	)
	if err != nil {
		t.Fatalf("add and test an MCP server in Settings: %v", err)
	}
	for _, want := range []string{"everything:", "tools", "echo", "read-only", "toggle-simulated-logging", "asks"} {
		if !strings.Contains(tools, want) {
			t.Errorf("tested tools = %q, want %q in it", tools, want)
		}
	}
	blob, err := os.ReadFile(filepath.Join(dd, "mcp.json"))
	if err != nil || !strings.Contains(string(blob), `"everything"`) {
		t.Errorf("mcp.json = %s, %v; want the server", blob, err)
	}
	shot := artifact(t, "settings-mcp.png")
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
}
