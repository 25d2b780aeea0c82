//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/llm"
)

// wordcountFiles is a small Python project with a failing test: the word count is
// case-sensitive and keeps punctuation.
var wordcountFiles = map[string]string{
	"wordcount.py": `"""Count the words in a text."""
import sys
from collections import Counter


def count_words(text):
    return Counter(text.split())


def top(text, n=3):
    return count_words(text).most_common(n)


if __name__ == "__main__":
    for word, n in top(sys.stdin.read()):
        print(f"{n:4} {word}")
`,
	"test_wordcount.py": `import unittest

from wordcount import count_words


class CountWords(unittest.TestCase):
    def test_case_insensitive(self):
        self.assertEqual(count_words("The cat saw the dog")["the"], 2)

    def test_punctuation(self):
        self.assertEqual(count_words("cat, cat. cat!")["cat"], 3)


if __name__ == "__main__":
    unittest.main()
`,
	"README.md": "# wordcount\n\n`python3 wordcount.py < text.txt` prints the three most frequent words.\n",
}

// reviewTurns is the model's side of a realistic session on wordcountFiles: run the tests,
// read the code, two edits of wordcount.py in one turn, a third edit with the tests run
// again, and a summary in Markdown.
func reviewTurns() []llm.Response {
	edit := func(id, old, new string) llm.Block {
		return llm.NewToolUse(id, "edit", fmt.Sprintf(`{"path":"wordcount.py","old_string":%q,"new_string":%q}`, old, new))
	}
	return []llm.Response{
		{Content: []llm.Block{llm.TextBlock("I'll run the tests first to see what fails."),
			llm.NewToolUse("toolu_1", "exec", `{"command":"python3 -m unittest -q"}`)}},
		{Content: []llm.Block{llm.TextBlock("Both tests fail: `the` and `The` are counted apart, and `cat,` is not `cat`. Let me read the code."),
			llm.NewToolUse("toolu_2", "read", `{"path":"wordcount.py"}`)}},
		{Content: []llm.Block{llm.TextBlock("`count_words` splits on whitespace only. I'll lower-case the text, then strip punctuation from each word."),
			edit("toolu_3", "    return Counter(text.split())", "    words = text.lower().split()\n    return Counter(words)"),
			edit("toolu_4", "    words = text.lower().split()", "    words = [w.strip(\".,;:!?\\\"'()\") for w in text.lower().split()]")}},
		{Content: []llm.Block{llm.TextBlock("Now the docstring says what it does, and the tests again."),
			edit("toolu_5", `"""Count the words in a text."""`, `"""Count the words in a text, ignoring case and punctuation."""`),
			llm.NewToolUse("toolu_6", "exec", `{"command":"python3 -m unittest -q"}`)}},
		{Content: []llm.Block{llm.TextBlock("Both tests pass now. The fix is in **`count_words()`**:\n\n" +
			"- words are lower-cased, so `The` and `the` count together;\n- punctuation around a word is stripped (`cat,` is `cat`).\n\n" +
			"| test | before | after |\n|---|---|---|\n| `test_case_insensitive` | failed | passed |\n| `test_punctuation` | failed | passed |")}},
	}
}

// reviewRun makes a data directory holding one finished session on the wordcount project,
// run by `corral run --approve all` against a scripted model (the local sandbox, real
// checkpoints), and returns it with the workspace.
func reviewRun(t *testing.T) (dd, ws string) {
	t.Helper()
	dd, ws = t.TempDir(), filepath.Join(t.TempDir(), "wordcount")
	if err := os.Mkdir(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range wordcountFiles {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv, _ := scriptedModel(t, reviewTurns())
	cmd := exec.Command(corralBin(t), "run", "--approve", "all", "--env", "local", "--provider", "anthropic", "--base-url", srv.URL,
		"--data-dir", dd, "--workspace", ws, "Fix the failing tests in test_wordcount.py")
	cmd.Env = append(os.Environ(), "ANTHROPIC_API_KEY=test-key", "DOCKER_HOST=unix:///nonexistent.sock")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("corral run: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(ws, "wordcount.py"))
	if err != nil || !strings.Contains(string(got), "ignoring case") || !strings.Contains(string(got), "w.strip(") {
		t.Fatalf("wordcount.py after the run = %q, %v; want the three edits applied\n%s", got, err, out)
	}
	return dd, ws
}

// TestReviewChanges: a run that edited one file three times (two edits in one turn) shows
// it as one file with one net diff from before the run and the three steps that made it;
// a step link opens that step's own diff; the modified file opened from the tree shows its
// diff since before the run, and its plain content at a click; in the 300 px panel a diff
// is unified even when side by side was chosen.
func TestReviewChanges(t *testing.T) {
	dd, _ := reviewRun(t)
	ctx := newBrowser(t)
	do := stages(t, ctx, "review-stuck.png")
	url := serve(t, dd)
	var rows, fileDiff string
	var steps int
	do("open the run's changes", viewport(1440, 900), chromedp.Navigate(url),
		chromedp.Evaluate(`localStorage.setItem('corral.diffMode', 'split')`, nil),
		chromedp.Reload(),
		chromedp.Click(`[data-testid="workspace-changes-tab"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="changes-by-file"][aria-checked="true"]`),
		chromedp.WaitVisible(`[data-testid="run-file-row"][data-path="wordcount.py"][aria-selected="true"]`),
		chromedp.Text(`[data-testid="run-changes"] [role="listbox"]`, &rows),
		chromedp.Evaluate(`+document.querySelector('[data-testid="run-file-row"][data-path="wordcount.py"]').dataset.steps`, &steps),
		chromedp.WaitVisible(`[data-testid="file-diff"][data-path="wordcount.py"][data-op="modified"] [data-testid="diff"]`),
		chromedp.Text(`[data-testid="file-diff"]`, &fileDiff))
	shoot(t, ctx, "review-by-file.png")
	do("at 1024x700", viewport(1024, 700), chromedp.WaitVisible(`[data-testid="file-diff"][data-path="wordcount.py"] [data-testid="diff"]`))
	shoot(t, ctx, "review-by-file-1024.png")
	do("back to 1440x900", viewport(1440, 900))
	if strings.Count(rows, "wordcount.py") != 1 || steps != 3 {
		t.Errorf("By file list = %q with %d steps for wordcount.py; want it once, changed by 3 steps", rows, steps)
	}
	for _, want := range []string{"Changed by 3 steps", "Counter(text.split())", "ignoring case and punctuation", "w.strip("} {
		if !strings.Contains(fileDiff, want) {
			t.Errorf("the file's diff lacks %q:\n%s", want, fileDiff)
		}
	}
	if strings.Contains(fileDiff, "text.lower().split()\n") {
		t.Errorf("the net diff shows the first edit's intermediate line:\n%s", fileDiff)
	}
	var mode string
	var toggles int
	do("side by side needs room", chromedp.Evaluate(`document.querySelector('[data-testid="file-diff"] [data-testid="diff"]').dataset.mode`, &mode),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="file-diff"] [data-testid="diff-mode"]').length`, &toggles))
	if mode != "unified" || toggles != 0 {
		t.Errorf("in the workspace panel with side by side chosen: layout %q, %d layout toggles; want unified and none offered", mode, toggles)
	}

	var seq int
	do("a step of the file",
		chromedp.Evaluate(`+document.querySelector('[data-testid="file-diff-step"]').dataset.seq`, &seq),
		chromedp.Click(`[data-testid="file-diff-step"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="changes-by-step"][aria-checked="true"]`))
	do("its own diff", chromedp.WaitVisible(fmt.Sprintf(`[data-testid="run-change-row"][data-seq="%d"][aria-selected="true"]`, seq)),
		chromedp.WaitVisible(fmt.Sprintf(`[data-testid="step-changes"][data-seq="%d"] [data-testid="diff"]`, seq)))

	var viewer, plain string
	do("open the modified file from the tree", chromedp.Click(`[data-testid="workspace-files-tab"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="file-row"][data-path="wordcount.py"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="viewer-diff-pane"] [data-testid="file-diff"][data-op="modified"] [data-testid="diff"]`),
		chromedp.Text(`[data-testid="file-viewer"]`, &viewer))
	shoot(t, ctx, "review-viewer-diff.png")
	do("at 1024x700", viewport(1024, 700), chromedp.WaitVisible(`[data-testid="viewer-diff-pane"] [data-testid="diff"]`))
	shoot(t, ctx, "review-viewer-diff-1024.png")
	do("back to 1440x900", viewport(1440, 900))
	if !strings.Contains(viewer, "since before the run") || !strings.Contains(viewer, "Counter(text.split())") || !strings.Contains(viewer, "ignoring case") {
		t.Errorf("viewer of the modified file = %q, want its diff since before the run", clipText(viewer))
	}
	do("its plain content", chromedp.Click(`[data-testid="viewer-file"]`, chromedp.NodeVisible),
		chromedp.WaitNotPresent(`[data-testid="viewer-diff-pane"]`),
		chromedp.WaitVisible(`//*[@data-testid="file-viewer"][contains(., "def top(text, n=3):")]`, chromedp.BySearch),
		chromedp.Text(`[data-testid="file-viewer"]`, &plain))
	if strings.Contains(plain, "Counter(text.split())") {
		t.Errorf("plain content still shows the old line: %q", clipText(plain))
	}
	do("a file the run left alone has no diff", chromedp.Click(`[data-testid="file-row"][data-path="README.md"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//*[@data-testid="file-viewer"][contains(., "most frequent words")]`, chromedp.BySearch),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="viewer-diff"]').length`, &toggles))
	if toggles != 0 {
		t.Errorf("README.md (unchanged) offers a diff toggle")
	}
}

// TestREADMEScreenshot opens a realistic finished session (reviewRun: tests run, code read,
// three edits, tests pass, a Markdown summary) at 1440x900 with the trace graph, an edit
// step in the inspector and the workspace panel's changes by file, and captures it. The
// picture goes to the artifacts; with CORRAL_SCREENSHOT=1 it also replaces
// docs/screenshot.png, the README's (so CI never changes the file).
func TestREADMEScreenshot(t *testing.T) {
	dd, _ := reviewRun(t)
	ctx := newBrowser(t)
	do := stages(t, ctx, "readme-stuck.png")
	url := serve(t, dd)
	do("open the run's trace", viewport(1440, 900), chromedp.Navigate(url),
		chromedp.Click(`[data-testid="run-item"]`, chromedp.NodeVisible),
		chromedp.Click(`[data-testid="tab-trace"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="trace-graph"][data-painted]:not([data-painted="0"])`))
	do("select the second edit", chromedp.Click(`[data-testid="trace-node"][data-seq="11"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="step-inspector"] [data-testid="step-changes"] [data-testid="diff"]`))
	do("the changes by file", chromedp.Click(`[data-testid="workspace-changes-tab"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-testid="file-diff"][data-path="wordcount.py"] [data-testid="diff"]`),
		// Let highlight.js's grammars load and the graph settle before the picture.
		chromedp.Poll(`document.querySelectorAll('[data-testid="file-diff"] .t-keyword, [data-testid="file-diff"] [class^="t-"]').length > 0`, nil,
			chromedp.WithPollingTimeout(10*time.Second)))
	var png []byte
	do("capture", chromedp.CaptureScreenshot(&png))
	path := artifact(t, "readme-screenshot.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	assertPicture(t, path, 64)
	if os.Getenv("CORRAL_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("..", "docs", "screenshot.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote docs/screenshot.png")
	}
}
