//go:build e2e

package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts Debian's Chromium headless with the flags this closed network needs and
// a fresh profile. It lives two minutes at most.
func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	return newBrowserFor(t, 2*time.Minute, extra...)
}

// newBrowserFor is newBrowser living up to d (benchmarks need longer).
func newBrowserFor(t testing.TB, d time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(withTimeout(t, d), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser before t.TempDir removes its profile
		cancel()
		cancelAlloc()
	})
	return ctx
}

// serve starts `corral serve` on a free port and returns the printed URL (with token).
func serve(t testing.TB, dataDir string) string {
	t.Helper()
	lines := startCorral(t, []string{"DOCKER_HOST=unix:///nonexistent.sock"}, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	return waitLine(t, lines, 30*time.Second, "serve URL", func(l string) bool { return strings.HasPrefix(l, "http://127.0.0.1:") })
}

// TestBrowserHealth opens the printed URL in Chromium and checks the health panel shows the
// data directory the backend was started with, a real round trip through the HTTP API.
func TestBrowserHealth(t *testing.T) {
	dataDir := t.TempDir()
	url := serve(t, dataDir)
	ctx := newBrowser(t)

	var shown, location string
	var protections int
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate(url),
		chromedp.Click(`[data-testid="open-health"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="health-data-dir"]`),
		chromedp.Text(`[data-testid="health-data-dir"]`, &shown),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="health-protection"]').length`, &protections),
		chromedp.Location(&location),
		chromedp.WaitVisible(`[data-testid="status-bar"]`),
		chromedp.FullScreenshot(&shot, 100), // 100: PNG,
	)
	if err != nil {
		t.Fatalf("browse %s: %v", url, err)
	}
	if strings.TrimSpace(shown) != dataDir {
		t.Errorf("health panel data dir = %q, want %q", shown, dataDir)
	}
	if protections != 5 {
		t.Errorf("health panel lists %d local sandbox protections, want 5 (process tree, private /proc, network off, filesystem writes, signal scoping)", protections)
	}
	if strings.Contains(location, "token=") {
		t.Errorf("browser location after login = %q, want the token stripped from the address bar", location)
	}
	path := artifact(t, "browser-health.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)
}

// TestBrowserWithoutToken checks a browser that lost the token gets the 401 page, not the UI.
func TestBrowserWithoutToken(t *testing.T) {
	url := serve(t, t.TempDir())
	base := strings.SplitN(url, "?", 2)[0]
	ctx := newBrowser(t)
	var body string
	if err := chromedp.Run(ctx, chromedp.Navigate(base), chromedp.Text("body", &body)); err != nil {
		t.Fatalf("browse %s: %v", base, err)
	}
	if !strings.Contains(body, "unauthorized") {
		t.Errorf("page without token = %q, want the unauthorized message", body)
	}
}
