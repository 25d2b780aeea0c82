//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestResumeMarkers kills `corral run` (the demo model) after its first tool call, resumes it
// with `corral resume`, and opens the run in the browser: the trace graph shows where it was
// resumed, and so does the timeline. Screenshots: resume-graph.png, resume-timeline.png.
func TestResumeMarkers(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	env := append(os.Environ(), "CORRAL_PROVIDER=demo")
	run := exec.Command(corralBin(t), "run", "--json", "--approve", "all", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = env
	stdout, err := run.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	var runID string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev struct {
			Type  string `json:"type"`
			RunID string `json:"run_id"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "tool.finished" {
			runID = ev.RunID
			run.Process.Kill()
			break
		}
	}
	run.Wait()
	if runID == "" {
		t.Fatal("the demo run finished no tool call")
	}
	for attempt := 0; ; attempt++ {
		res := exec.Command(corralBin(t), "resume", runID, "--approve", "all", "--data-dir", dd)
		res.Env = env
		out, err := res.CombinedOutput()
		if err == nil {
			break
		}
		var exit *exec.ExitError
		if attempt > 0 || !errors.As(err, &exit) || exit.ExitCode() != 3 {
			t.Fatalf("corral resume: %v\n%s", err, out)
		}
		// The kill cut a command off: skip it and go on.
		skip := exec.Command(corralBin(t), "resolve", runID, "--action", "skip", "--data-dir", dd)
		skip.Env = env
		if out, err := skip.CombinedOutput(); err != nil {
			t.Fatalf("corral resolve: %v\n%s", err, out)
		}
	}

	ctx := newBrowser(t)
	var graphPNG, timelinePNG []byte
	var label, after string
	err = chromedp.Run(ctx,
		chromedp.Navigate(serve(t, dd)),
		chromedp.Click(`[data-testid="session-item"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-resume"]`),
		chromedp.Evaluate(`document.querySelector('[data-testid="trace-resume"] text').textContent`, &label), // SVG text has no innerText
		chromedp.AttributeValue(`[data-testid="trace-resume"]`, "data-after-seq", &after, nil),
		chromedp.WaitVisible(`[data-testid="filter-resume"]`),
		chromedp.Sleep(300*time.Millisecond), // let the first view settle before the picture
		chromedp.CaptureScreenshot(&graphPNG),
		chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="timeline-resume"]`),
		chromedp.CaptureScreenshot(&timelinePNG),
	)
	if err != nil {
		t.Fatalf("resume markers in the UI: %v", err)
	}
	if !strings.HasPrefix(label, "resumed") || after == "" || after == "0" {
		t.Errorf("graph marker %q after step %q, want a resumed marker after a completed step", label, after)
	}
	for name, png := range map[string][]byte{"resume-graph.png": graphPNG, "resume-timeline.png": timelinePNG} {
		path := artifact(t, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		assertPicture(t, path, 20)
		t.Logf("screenshot: %s", path)
	}
}
