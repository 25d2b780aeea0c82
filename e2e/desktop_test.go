//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// startXvfb starts a virtual display and returns its name (":N") once Xvfb says it is ready
// (-displayfd writes the display number when the server accepts connections).
func startXvfb(t testing.TB) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb (apt install xvfb): %v", err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without a display number")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not become ready")
	}
	return ""
}

// TestDesktopSmoke launches the real binary in a real window under Xvfb, waits for the
// frontend to report (through a binding) that it rendered data fetched from Go, and saves a
// screenshot of the window.
func TestDesktopSmoke(t *testing.T) {
	display := startXvfb(t)
	dataDir := t.TempDir()
	lines := startCorral(t, []string{"DISPLAY=" + display, "DOCKER_HOST=unix:///nonexistent.sock"}, "--data-dir", dataDir)

	ready := waitLine(t, lines, 90*time.Second, "frontend ready report", contains(`msg="frontend ready"`))
	if !strings.Contains(ready, "transport=wails") {
		t.Errorf("ready report = %q, want transport=wails (the window's bindings, not HTTP)", ready)
	}
	if !strings.Contains(ready, "dataDir="+dataDir) {
		t.Errorf("ready report = %q, want dataDir=%s: the health round trip returned another directory", ready, dataDir)
	}

	screenshotScreen(t, display, "desktop-window.png")
}

// TestDesktopTraceGraph opens the window on a data directory holding a finished demo run: the
// window selects the latest run, a real keystroke (Alt+2, through the X server) switches to
// the trace tab, and the frontend reports (System.TracePainted) that the graph is on screen
// with one node per step of the run.
func TestDesktopTraceGraph(t *testing.T) {
	dataDir, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--approve", "all", "--data-dir", dataDir, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	var runs []struct {
		ID    string `json:"id"`
		Steps int    `json:"steps"`
	}
	out, err := exec.Command(corralBin(t), "runs", "--json", "--data-dir", dataDir).Output()
	if err != nil || json.Unmarshal(out, &runs) != nil || len(runs) != 1 || runs[0].Steps == 0 {
		t.Fatalf("corral runs --json = %s, %v; want one run with steps", out, err)
	}

	display := startXvfb(t)
	lines := startCorral(t, []string{"DISPLAY=" + display, "DOCKER_HOST=unix:///nonexistent.sock"}, "--data-dir", dataDir)
	waitLine(t, lines, 90*time.Second, "frontend ready report", contains(`msg="frontend ready"`))

	// Without a window manager, focus the window by hand; then the keystroke goes to it.
	xdo := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %v (apt install xdotool): %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	win := strings.Fields(xdo("search", "--sync", "--onlyvisible", "--name", "^Corral$"))
	if len(win) == 0 {
		t.Fatal("no Corral window on the display")
	}
	xdo("windowfocus", "--sync", win[0])
	xdo("key", "--clearmodifiers", "alt+2")

	painted := waitLine(t, lines, 30*time.Second, "trace painted report", contains(`msg="trace painted"`))
	if want := fmt.Sprintf("run=%s nodes=%d ", runs[0].ID, runs[0].Steps); !strings.Contains(painted, want) {
		t.Errorf("trace report = %q, want %q: one node per step of the finished run", painted, want)
	}
	t.Logf("window trace paint: %s", painted[strings.Index(painted, "run="):])

	screenshotScreen(t, display, "desktop-trace.png")
}

// screenshotScreen saves the X screen as the artifact name and checks it shows a picture. The
// page has rendered when the test calls it; WebKit's compositor puts it on the screen a moment
// later, and X offers no event for that, so it polls the screen itself (bounded) until it
// shows the UI.
func screenshotScreen(t *testing.T, display, name string) {
	t.Helper()
	path := artifact(t, name)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command("import", "-display", display, "-window", "root", path).CombinedOutput()
		if err != nil {
			t.Fatalf("screenshot (apt install imagemagick): %v: %s", err, out)
		}
		if n, err := colours(path); err == nil && n >= 8 || time.Now().After(deadline) {
			break
		}
	}
	assertPicture(t, path, 8)
}
