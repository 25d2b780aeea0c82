//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRestoreAndForkInUI runs the demo to the end with `corral run`, opens its first write
// step in the browser's inspector and uses the checkpoint dialog: Restore to here previews
// the change, restores the workspace to before the step (the script the step wrote is gone
// on disk), and Undo restore puts it back byte for byte. Then Fork from here makes a new
// session, badged as a fork, whose workspace holds the script as the step wrote it.
// The graph and the timeline mark the step restored to. Screenshots: restore-preview.png,
// restore-done.png, restore-timeline.png, fork-done.png.
func TestRestoreAndForkInUI(t *testing.T) {
	dd, ws := t.TempDir(), t.TempDir()
	cmd := exec.Command(corralBin(t), "run", "--json", "--approve", "all", "--data-dir", dd, "--workspace", ws, "show me")
	cmd.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("corral run: %v", err)
	}
	var runID, sessionID string
	writeSeq := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct {
			Type      string `json:"type"`
			RunID     string `json:"run_id"`
			SessionID string `json:"session_id"`
			Seq       int    `json:"seq"`
			Tool      string `json:"tool"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		runID = ev.RunID
		if ev.SessionID != "" {
			sessionID = ev.SessionID
		}
		if ev.Type == "tool.finished" && ev.Tool == "write" && writeSeq == 0 {
			writeSeq = ev.Seq
		}
	}
	if runID == "" || sessionID == "" || writeSeq == 0 {
		t.Fatalf("the demo run gave run %q, session %q, first write at step %d", runID, sessionID, writeSeq)
	}
	script := filepath.Join(ws, "wordcount.sh")
	final, err := os.ReadFile(script)
	if err != nil {
		t.Fatalf("the demo left no script: %v", err)
	}

	ctx := newBrowser(t)
	do := stages(t, ctx, "restore-stuck.png")
	url := serve(t, dd)
	base := strings.SplitN(url, "?", 2)[0]
	step := `[data-testid="trace-node"][data-seq="` + strconv.Itoa(writeSeq) + `"].sel`
	do("open the write step", viewport(1280, 800), chromedp.Navigate(url),
		chromedp.WaitVisible(`[data-testid="session-item"]`),
		chromedp.Navigate(base+"#/s/"+sessionID+"/r/"+runID+"/trace/"+strconv.Itoa(writeSeq)),
		chromedp.WaitVisible(step),
		chromedp.WaitVisible(`[data-testid="step-inspector"]`))
	var changes string
	do("preview the restore", chromedp.Click(`[data-testid="inspector-restore"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="checkpoint-changes"]`),
		chromedp.Text(`[data-testid="checkpoint-changes"]`, &changes))
	if !strings.Contains(changes, "wordcount.sh") {
		t.Errorf("restore preview = %q, want wordcount.sh among the changes", changes)
	}
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("the preview changed the workspace: %v", err)
	}
	shoot(t, ctx, "restore-preview.png")
	var done string
	do("restore", chromedp.Click(`[data-testid="checkpoint-restore"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="checkpoint-done"]`),
		chromedp.Text(`[data-testid="checkpoint-done"]`, &done))
	if _, err := os.Stat(script); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after restoring to before step %d, wordcount.sh: %v; want it gone (the step wrote it)", writeSeq, err)
	}
	marker := `[data-testid="trace-restored"][data-seq="` + strconv.Itoa(writeSeq) + `"]`
	do("the graph marks the step restored to", chromedp.WaitVisible(marker))
	shoot(t, ctx, "restore-done.png")
	do("undo the restore", chromedp.Click(`[data-testid="checkpoint-undo"]`, chromedp.NodeVisible),
		chromedp.Poll(`document.querySelector('[data-testid="checkpoint-done"]').textContent.includes("back as it was")`, nil,
			chromedp.WithPollingTimeout(10*time.Second)))
	if got, err := os.ReadFile(script); err != nil || string(got) != string(final) {
		t.Errorf("after undoing the restore, wordcount.sh = %d bytes, %v; want the %d bytes the run left", len(got), err, len(final))
	}
	do("close the dialog", chromedp.Evaluate(`document.querySelector('[data-testid="checkpoint-dialog"]').close()`, nil),
		chromedp.WaitNotPresent(`[data-testid="checkpoint-dialog"]`))
	do("the timeline marks it too", chromedp.Click(`[data-testid="tab-timeline"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="timeline-restored"][data-seq="`+strconv.Itoa(writeSeq)+`"]`))
	shoot(t, ctx, "restore-timeline.png")

	do("fork from the step", chromedp.Click(`[data-testid="inspector-fork"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="checkpoint-fork"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="session-forked-badge"]`))
	shoot(t, ctx, "fork-done.png")
	forked, _ := filepath.Glob(filepath.Join(dd, "workspaces", "*", "wordcount.sh"))
	if len(forked) != 1 {
		t.Fatalf("fork workspaces holding wordcount.sh: %v, want one", forked)
	}
	// The fork's workspace is the run's after the write step: the script as written, before
	// the later edit.
	if got, err := os.ReadFile(forked[0]); err != nil || len(got) == 0 || string(got) == string(final) {
		t.Errorf("forked wordcount.sh = %q, %v; want the script as first written (the run edited it later)", got, err)
	}
}
