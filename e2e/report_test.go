//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHTMLReportOffline runs the demo agent with the real binary, exports the run as an HTML
// report and opens it in Chromium with every network route closed: the graph, the timeline
// and the transcript must render from the file alone.
func TestHTMLReportOffline(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	run := exec.Command(corralBin(t), "run", "--json", "--approve", "all", "--data-dir", dd, "--workspace", ws, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	out, err := run.Output()
	if err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	runID := ""
	if i := strings.Index(string(out), `"run_id":"`); i >= 0 {
		runID = strings.SplitN(string(out[i+10:]), `"`, 2)[0]
	}
	report := artifact(t, "report.html")
	if out, err := exec.Command(corralBin(t), "export", runID, "--format", "html", "-o", report, "--data-dir", dd).CombinedOutput(); err != nil {
		t.Fatalf("corral export: %v\n%s", err, out)
	}

	ctx := newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"))
	var nodes int
	var transcript string
	var shot []byte
	err = chromedp.Run(ctx,
		chromedp.Navigate("file://"+report),
		chromedp.WaitReady(`section.run svg circle`),
		chromedp.Evaluate(`document.querySelectorAll('section.run svg circle').length`, &nodes),
		chromedp.Text(`.transcript`, &transcript),
		chromedp.CaptureScreenshot(&shot),
	)
	if err != nil {
		t.Fatalf("open report: %v", err)
	}
	if nodes < 10 {
		t.Errorf("report graph has %d nodes, want one per step of the demo run (10+)", nodes)
	}
	if !strings.Contains(transcript, "wordcount.sh") {
		t.Errorf("report transcript does not mention the demo's wordcount.sh")
	}
	path := filepath.Join(filepath.Dir(report), "report.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)
}
