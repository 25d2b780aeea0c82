//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

type sessionJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Workspace string `json:"workspace"`
}

func listSessions(t *testing.T, dd string) []sessionJSON {
	t.Helper()
	out, err := exec.Command(corralBin(t), "sessions", "--json", "--data-dir", dd).Output()
	if err != nil {
		t.Fatalf("corral sessions --json: %v", err)
	}
	var got []sessionJSON
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("corral sessions --json: %v\n%s", err, out)
	}
	return got
}

// TestSessionRenameAndDelete renames a session in place in the browser (double click, type,
// Enter), looks at what a step changed in the workspace panel, then deletes the session
// through the dialog keeping its workspace: the journal has neither the session nor its
// runs, and the workspace folder and its files are still there.
func TestSessionRenameAndDelete(t *testing.T) {
	dd := t.TempDir()
	run := exec.Command(corralBin(t), "run", "--approve", "all", "--data-dir", dd, "show me")
	run.Env = append(os.Environ(), "CORRAL_PROVIDER=demo")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("corral run (demo): %v\n%s", err, out)
	}
	before := listSessions(t, dd)
	if len(before) != 1 {
		t.Fatalf("sessions before = %+v, want one", before)
	}
	ws := before[0].Workspace
	if filepath.Dir(ws) != filepath.Join(dd, "workspaces") {
		t.Fatalf("workspace %s, want one Corral created under %s", ws, dd)
	}

	ctx := newBrowser(t)
	const title = "Word count, renamed in the browser"
	var shown string
	err := chromedp.Run(ctx,
		chromedp.Navigate(serve(t, dd)),
		chromedp.WaitVisible(`[data-testid="session-item"] .session-head`),
		chromedp.DoubleClick(`[data-testid="session-item"] .session-head`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="session-rename-input"]`),
		// Select all and type over the title, as a person does.
		chromedp.KeyEvent("a", chromedp.KeyModifiers(input.ModifierCtrl)),
		chromedp.SendKeys(`[data-testid="session-rename-input"]`, title+"\r"),
		chromedp.WaitNotPresent(`[data-testid="session-rename-input"]`),
		chromedp.Text(`[data-testid="session-title"]`, &shown),
	)
	if err != nil {
		t.Fatalf("rename in the sidebar: %v", err)
	}
	if shown != title {
		t.Errorf("sidebar title = %q, want %q", shown, title)
	}
	if got := listSessions(t, dd); len(got) != 1 || got[0].Title != title {
		t.Errorf("journal after rename = %+v, want the title %q", got, title)
	}

	// What did a step change? The workspace panel's Changes view lists the run's steps
	// (By step; By file is the default).
	var changes string
	var shot []byte
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="workspace-changes-tab"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="changes-by-step"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="run-change-row"]`),
		chromedp.WaitVisible(`[data-testid="step-change-file"]`),
		chromedp.Text(`[data-testid="run-changes"]`, &changes),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("changes by step: %v", err)
	}
	if !strings.Contains(changes, "+++ b/") || !strings.Contains(changes, "1 new") {
		t.Errorf("changes view = %q, want a diff and the demo's first command listed as creating a file", clipText(changes))
	}
	path := artifact(t, "session-renamed-changes.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)

	// The demo's first command (step 7) wrote sample.txt: listed, without contents.
	var listed string
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="run-change-row"][data-seq="7"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="step-changes-listed"] [data-op="created"]`),
		chromedp.Text(`[data-testid="run-changes"] [data-testid="step-changes"]`, &listed),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("a command's changes: %v", err)
	}
	if !strings.Contains(listed, "sample.txt") || !strings.Contains(listed, "contents were not recorded") {
		t.Errorf("command's changes = %q, want sample.txt listed with its contents said to be not recorded", clipText(listed))
	}
	path = artifact(t, "command-changes.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)

	// The inspector shows what an edit step changed (the demo's step 10 edits wordcount.sh).
	var inspected string
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.SendKeys(`[data-testid="jump-to-step"]`, "10\r", chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="step-inspector"] [data-testid="step-change-file"]`),
		chromedp.Text(`[data-testid="step-inspector"] [data-testid="step-changes"]`, &inspected),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("step inspector changes: %v", err)
	}
	if !strings.Contains(inspected, "wordcount.sh") || !strings.Contains(inspected, "@@") {
		t.Errorf("inspector changes = %q, want the edit's diff of wordcount.sh", clipText(inspected))
	}
	path = artifact(t, "step-inspector-changes.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)

	var dialogPath string
	err = chromedp.Run(ctx,
		chromedp.Click(`[data-testid="session-delete"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="delete-session-dialog"] [data-testid="delete-keep"]`),
		chromedp.Text(`[data-testid="delete-workspace-path"]`, &dialogPath),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("open the delete dialog: %v", err)
	}
	if dialogPath != ws {
		t.Errorf("dialog shows workspace %q, want %q", dialogPath, ws)
	}
	path = artifact(t, "session-delete-dialog.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 8)

	var keep bool
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector('[data-testid="delete-keep"]').checked`, &keep),
		chromedp.Click(`[data-testid="delete-confirm"]`, chromedp.NodeVisible),
		chromedp.WaitNotPresent(`[data-testid="delete-session-dialog"]`),
		chromedp.WaitNotPresent(`[data-testid="session-item"]`),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("delete keeping the workspace: %v", err)
	}
	if !keep {
		t.Error("the dialog did not default to keeping the workspace")
	}
	path = artifact(t, "session-deleted.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 4)

	// The sidebar drops the session only once Runs.DeleteSession has returned: it is committed.
	if got := listSessions(t, dd); len(got) != 0 {
		t.Errorf("journal after delete = %+v, want no sessions", got)
	}
	if _, err := os.Stat(filepath.Join(ws, "wordcount.sh")); err != nil {
		t.Errorf("workspace file after a delete that kept it: %v", err)
	}
}
