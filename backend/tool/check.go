package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Verdict is what a look at the workspace tells about a call that a crash cut off.
type Verdict string

// Verdicts of Check.
const (
	// VerdictAsk: the workspace cannot tell whether the call took effect; a person decides.
	VerdictAsk Verdict = "ask"
	// VerdictDone: the call's effect is in place; it is recorded as done.
	VerdictDone Verdict = "done"
	// VerdictRerun: the effect is not in place and running the call again is safe.
	VerdictRerun Verdict = "rerun"
)

// Check is what a tool's Check found: the verdict, why (for people and the record), and for
// VerdictDone the result to record in place of the run that was cut off.
type Check struct {
	Verdict Verdict
	Reason  string
	Result  Result
}

// Check looks at the workspace to tell whether a write cut off by a crash took effect: done
// when the file holds exactly the intended content, otherwise run again (a write's effect
// does not depend on how often it runs).
func (w *Write) Check(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Check, error) {
	var in writeInput
	if _, ok := decode(w.Name(), input, &in); !ok || in.Content == nil {
		return Check{Verdict: VerdictRerun, Reason: "the input names no write, so running it again only reports that"}, nil
	}
	name, bad := resolvePath(sb.Info(), in.Path)
	if bad != nil || name == "." {
		return Check{Verdict: VerdictRerun, Reason: "the input names no file to write, so running it again only reports that"}, nil
	}
	data, err := sb.Files().ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Check{Verdict: VerdictRerun, Reason: fmt.Sprintf("%s does not exist: the write did not happen, so it is written again", name)}, nil
	case err != nil:
		return Check{Verdict: VerdictAsk, Reason: fmt.Sprintf("%s cannot be read: %v", name, err)}, nil
	case string(data) != *in.Content:
		return Check{Verdict: VerdictRerun, Reason: fmt.Sprintf("%s does not hold the intended content: it is written again (a write's effect does not depend on how often it runs)", name)}, nil
	}
	content := *in.Content
	reason := fmt.Sprintf("%s already holds the intended content", name)
	lines := countLines(content)
	return Check{Verdict: VerdictDone, Reason: reason, Result: Result{
		Content: fmt.Sprintf("Wrote %s (%s, %s).", name, plural(len(content), "byte"), plural(lines, "line")),
		Meta:    Meta{Path: name, Bytes: int64(len(content)), Lines: lines, Resolved: "done: " + reason},
	}}, nil
}

// Check looks at the workspace to tell whether an edit cut off by a crash took effect: done
// when the file shows the replacement and not the original, run again when it shows the
// original, and a person's to decide when it shows neither (or when the replacement holds the
// original, so the file cannot tell).
func (e *Edit) Check(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Check, error) {
	var in editInput
	if _, ok := decode(e.Name(), input, &in); !ok || in.OldString == nil || in.NewString == nil || *in.OldString == "" || *in.OldString == *in.NewString {
		return Check{Verdict: VerdictRerun, Reason: "the input names no edit, so running it again only reports that"}, nil
	}
	name, bad := resolvePath(sb.Info(), in.Path)
	if bad != nil {
		return Check{Verdict: VerdictRerun, Reason: "the input names no file to edit, so running it again only reports that"}, nil
	}
	oldStr, newStr := *in.OldString, *in.NewString
	data, err := sb.Files().ReadFile(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Check{Verdict: VerdictRerun, Reason: fmt.Sprintf("%s does not exist, so the edit cannot have happened; running it again reports that", name)}, nil
	case err != nil:
		return Check{Verdict: VerdictAsk, Reason: fmt.Sprintf("%s cannot be read: %v", name, err)}, nil
	case strings.Contains(newStr, oldStr):
		return Check{Verdict: VerdictAsk, Reason: fmt.Sprintf("the replacement contains the original text, so %s cannot show whether the edit happened", name)}, nil
	}
	text := string(data)
	hasOld, hasNew := strings.Contains(text, oldStr), strings.Contains(text, newStr)
	switch {
	case hasOld:
		return Check{Verdict: VerdictRerun, Reason: fmt.Sprintf("%s still shows the original text: the edit did not happen, so it runs again", name)}, nil
	case hasNew:
		reason := fmt.Sprintf("%s shows the replacement and not the original", name)
		return Check{Verdict: VerdictDone, Reason: reason, Result: Result{
			Content: fmt.Sprintf("Edited %s: the replacement is in place.", name),
			Meta:    Meta{Path: name, Bytes: int64(len(data)), Resolved: "done: " + reason},
		}}, nil
	}
	return Check{Verdict: VerdictAsk, Reason: fmt.Sprintf("%s shows neither the original text nor the replacement", name)}, nil
}
