// Package changes answers "what did step 12 change?" from a run's journal record: the files
// each write and edit step changed, as diffs, the files each command (exec) created, modified
// or deleted, and for each step with side effects whether its change is known at all.
//
// It reads only the record, decoded by backend/record. A diff the tool recorded when it ran is used as it is; a new
// file's diff comes from the content recorded as the step's input; where a tool could not
// record a diff (a file over its limit, a binary file before), the file's earlier content is
// reconstructed from the run's earlier writes and edits, and the result says so. A command
// (exec) may change any file: the exec tool lists the workspace's files before and after it
// and records which changed (not what they held), and those are reported as listed, without
// diffs; where it did not (a workspace over its limit, a record older than the listing, a
// command cut off), the command's changes are reported unknown, never guessed.
//
// Package changes must not know about SQL, the file system or sandboxes: it does not look at
// the workspace, whose files have moved on since the step ran.
package changes

import (
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/diff"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/tool"
)

// Source says how a change is known.
type Source string

// How a step's change is known.
const (
	// Recorded: the tool recorded the diff when it ran.
	Recorded Source = "recorded"
	// FromInput: the step created the file with content recorded as its input.
	FromInput Source = "input"
	// Reconstructed: the file's earlier content was rebuilt from the run's earlier writes
	// and edits; exact unless something outside the run changed the file in between.
	Reconstructed Source = "reconstructed"
	// Partial: only the replaced text is known, not where in the file it was.
	Partial Source = "partial"
	// Listed: a command changed the file, as the exec tool found by listing the workspace
	// before and after it; what the file held was not recorded, so there is no diff.
	Listed Source = "listed"
	// Unknown: the step may have changed files, and the record cannot say which or how.
	Unknown Source = "unknown"
	// None: the step changed nothing (it failed or was refused before touching a file).
	None Source = "none"
)

// maxContent bounds the content diffed when reconstructing, as the tools bound theirs.
const maxContent = 4 << 20

// File is one file a step changed.
type File struct {
	Path string `json:"path"`
	// Op is "created", "modified" or "deleted" (only commands delete).
	Op      string `json:"op"`
	Source  Source `json:"source"`
	Diff    string `json:"diff,omitempty"` // unified, as diff -u prints it
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
	// Bytes is the file's size after the step (0 when deleted).
	Bytes int64 `json:"bytes"`
	// Note says what is missing or assumed, when anything is.
	Note string `json:"note,omitempty"`
}

// Step is what one tool step with side effects (write, edit, exec) changed.
type Step struct {
	Seq  int    `json:"seq"`
	Tool string `json:"tool"`
	// Path is the file the call was about (write, edit), or the command (exec).
	Path string `json:"path,omitempty"`
	// Source is how the step's change is known: None and Unknown carry no files.
	Source Source `json:"source"`
	Note   string `json:"note,omitempty"`
	Files  []File `json:"files"`
	// More counts files the step changed beyond Files (a command that changed more files than
	// the exec tool lists).
	More int `json:"more,omitempty"`
}

// Changes reports, for every tool step of a run that can change files (write, edit, exec),
// in seq order, what it changed. steps are the run's journal steps in seq order.
func Changes(steps []journal.Step) []Step {
	s := state{known: map[string]string{}}
	var out []Step
	for _, st := range steps {
		if st.Kind != record.KindTool {
			continue
		}
		switch st.Name {
		case "write", "edit", "exec":
			out = append(out, s.step(st))
		}
	}
	return out
}

// Of returns what step seq changed, or false when it is not a write, edit or exec step.
func Of(steps []journal.Step, seq int) (Step, bool) {
	for _, c := range Changes(steps) {
		if c.Seq == seq {
			return c, true
		}
	}
	return Step{}, false
}

// state follows the content of files the run wrote in full, for reconstruction.
type state struct {
	known map[string]string // path -> content after the latest step
}

func (s *state) step(st journal.Step) Step {
	out := Step{Seq: st.Seq, Tool: st.Name, Files: []File{}}
	var res tool.Result
	recorded := false
	if st.Status == journal.StepCompleted {
		var err error
		res, err = record.DecodeToolOutput(st.Output)
		recorded = err == nil
	}
	// The call as the model (or a person) sent it; members it lacks or mistyped are zero.
	in, _ := record.DecodeToolInput(st.Input)
	if st.Name == "exec" {
		return s.exec(st, in, out, res, recorded)
	}

	path := in.Path
	if recorded && res.Meta.Path != "" {
		path = res.Meta.Path // workspace-relative, as the tool resolved it
	}
	out.Path = path

	switch {
	case st.Resolution == journal.ActionSkip || (st.Status == journal.StepCompleted && !recorded):
		delete(s.known, path)
		out.Source, out.Note = Unknown, "A crash cut this call off and it was skipped; whether it changed "+path+" before the crash is unknown."
		return out
	case st.Status == journal.StepStarted:
		delete(s.known, path)
		out.Source, out.Note = Unknown, "This call was cut off before its result was recorded; whether it changed "+path+" is unknown."
		return out
	case st.Status == journal.StepFailed:
		delete(s.known, path)
		out.Source, out.Note = Unknown, "This call failed in Corral ("+st.Error+"); whether it changed "+path+" is unknown."
		return out
	case res.IsError:
		out.Source, out.Note = None, "The call returned an error, so it changed nothing: "+firstLine(res.Content)
		return out
	}

	var f File
	if st.Name == "write" {
		f = s.write(path, in, res.Meta)
	} else {
		f = s.edit(path, in, res.Meta)
	}
	out.Source, out.Note = f.Source, f.Note
	out.Files = append(out.Files, f)
	return out
}

// exec reports the files a command changed as the exec tool listed them, or unknown.
func (s *state) exec(st journal.Step, in record.ToolInput, out Step, res tool.Result, recorded bool) Step {
	out.Path = in.Command
	// Whatever its outcome, a command may have changed files the listing does not cover
	// (ignored ones, those past its cap): forget every content known.
	s.known = map[string]string{}
	out.Source = Unknown
	switch {
	case st.Resolution == journal.ActionSkip:
		out.Note = "A crash cut this command off and it was skipped; whether it changed files before the crash is unknown."
	case st.Status == journal.StepStarted:
		out.Note = "This command was cut off before its result was recorded; whether it changed files is unknown."
	case st.Status == journal.StepFailed:
		out.Note = "This command failed in Corral (" + st.Error + "); whether it changed files is unknown."
	case !recorded:
		out.Note = "This command's result could not be read; whether it changed files is unknown."
	case res.Meta.Untracked != "":
		out.Note = "Corral did not track which files this command changed: " + res.Meta.Untracked + "."
	case !res.Meta.ChangesTracked:
		out.Note = "This command ran before Corral recorded which files commands change, so its changes are unknown. " +
			"The workspace tree marks files changed while the run ran."
	case len(res.Meta.Changed) == 0:
		out.Source = None
		out.Note = "The command changed no file in the workspace. Ignored paths (.gitignore, .ignore), .git and " +
			"files outside the workspace are not tracked."
	default:
		out.Source = Listed
		for _, c := range res.Meta.Changed {
			out.Files = append(out.Files, File{Path: c.Path, Op: c.Op, Source: Listed, Bytes: c.Bytes})
		}
		out.More = res.Meta.ChangedOmitted
		total := len(out.Files) + out.More
		out.Note = fmt.Sprintf("Corral listed the workspace's files before and after the command: %s changed. "+
			"Their contents were not recorded, so there is no diff. Ignored paths and .git are not tracked.", plural(total, "file"))
		if out.More > 0 {
			out.Note += fmt.Sprintf(" Only the first %d are named.", len(out.Files))
		}
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func (s *state) write(path string, in record.ToolInput, meta tool.Meta) File {
	content := ""
	if in.Content != nil {
		content = *in.Content
	}
	before, known := s.known[path]
	if len(content) <= maxContent {
		s.known[path] = content
	} else {
		delete(s.known, path)
	}
	f := File{Path: path, Op: "modified", Bytes: meta.Bytes}
	switch {
	case meta.Created:
		f.Op, f.Source = "created", FromInput
		if len(content) > maxContent {
			f.Source, f.Note = Unknown, fmt.Sprintf("New file of %d bytes: too large to show as a diff.", len(content))
			return f
		}
		d := diff.Lines("", content, diff.DefaultContext)
		f.Diff, f.Added, f.Removed = d.Unified("/dev/null", "b/"+path), d.Added, d.Removed
	case meta.Diff != "":
		f.Source, f.Diff, f.Added, f.Removed = Recorded, meta.Diff, meta.Added, meta.Removed
	case known && len(content) <= maxContent:
		d := diff.Lines(before, content, diff.DefaultContext)
		f.Source, f.Diff, f.Added, f.Removed = Reconstructed, d.Unified("a/"+path, "b/"+path), d.Added, d.Removed
		f.Note = "The earlier content is rebuilt from this run's earlier steps; exact unless something else changed the file in between."
	default:
		f.Source = Unknown
		f.Note = fmt.Sprintf("Replaced the whole file with %d bytes. Its earlier content was not recorded (binary or over 4 MiB, "+
			"or last changed outside the steps of this run), so the diff cannot be rebuilt.", len(content))
	}
	return f
}

func (s *state) edit(path string, in record.ToolInput, meta tool.Meta) File {
	before, known := s.known[path]
	f := File{Path: path, Op: "modified", Bytes: meta.Bytes}
	if known {
		if after, ok := applyEdit(before, in); ok {
			if len(after) <= maxContent {
				s.known[path] = after
			} else {
				delete(s.known, path)
			}
			if meta.Diff == "" {
				d := diff.Lines(before, after, diff.DefaultContext)
				f.Source, f.Diff, f.Added, f.Removed = Reconstructed, d.Unified("a/"+path, "b/"+path), d.Added, d.Removed
				f.Note = "The file's content is rebuilt from this run's earlier steps; exact unless something else changed the file in between."
				return f
			}
		} else {
			delete(s.known, path)
		}
	}
	if meta.Diff != "" {
		f.Source, f.Diff, f.Added, f.Removed = Recorded, meta.Diff, meta.Added, meta.Removed
		return f
	}
	// Only the replaced text is known: show it without line numbers.
	d := diff.Lines(in.OldString, in.NewString, diff.DefaultContext)
	f.Source, f.Diff, f.Added, f.Removed = Partial, d.Unified("a/"+path, "b/"+path), d.Added, d.Removed
	if meta.Replacements > 1 {
		f.Added, f.Removed = f.Added*meta.Replacements, f.Removed*meta.Replacements
	}
	f.Note = fmt.Sprintf("The file was too large to diff when the edit ran; shown is the replaced text (%d occurrence(s)), "+
		"with line numbers relative to it, not to the file.", max(1, meta.Replacements))
	return f
}

// applyEdit replays an edit with the edit tool's own matching (tool.Replace, CRLF fallback
// included); false when the tool would not have found the text.
func applyEdit(before string, in record.ToolInput) (string, bool) {
	after, _, err := tool.Replace(before, in.OldString, in.NewString, in.ReplaceAll)
	return after, err == nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
