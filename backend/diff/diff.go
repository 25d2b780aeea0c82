// Package diff turns a before and an after text into a line diff: hunks with
// line numbers and context, counts of added and removed lines, the unified
// text GNU diff -u would print, and pages of a long diff. It wraps
// github.com/sergi/go-diff in line mode.
//
// Package diff must not know about files, tools, sandboxes or approvals: it
// compares two strings and says nothing about where they came from.
package diff

import (
	"fmt"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// DefaultContext is the number of unchanged lines shown around a change, as
// in diff -u.
const DefaultContext = 3

// Op says what a diff line is.
type Op string

// The three kinds of diff line, spelled as their unified-diff prefix.
const (
	Context Op = " "
	Insert  Op = "+"
	Delete  Op = "-"
)

// Line is one line of a hunk.
type Line struct {
	Op Op `json:"op"`
	// Text is the line without its newline.
	Text string `json:"text"`
	// Old and New are the 1-based line numbers in before and after; 0 on
	// the side the line is not on.
	Old int `json:"old,omitempty"`
	New int `json:"new,omitempty"`
	// NoNewline marks the last line of a side that has no final newline.
	NoNewline bool `json:"no_newline,omitempty"`
}

// Hunk is a run of changes with their context, as in a unified diff.
type Hunk struct {
	// OldStart and OldLines are the "-start,lines" range of the hunk
	// header; NewStart and NewLines the "+start,lines" range. A side with
	// no lines has the number of the line before the hunk as its start.
	OldStart int    `json:"old_start"`
	OldLines int    `json:"old_lines"`
	NewStart int    `json:"new_start"`
	NewLines int    `json:"new_lines"`
	Lines    []Line `json:"lines"`
}

// Header returns the hunk's "@@ -a,b +c,d @@" line, without newline.
func (h Hunk) Header() string {
	return fmt.Sprintf("@@ -%s +%s @@", hunkRange(h.OldStart, h.OldLines), hunkRange(h.NewStart, h.NewLines))
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// Diff is the line diff of two texts.
type Diff struct {
	Hunks []Hunk `json:"hunks"`
	// Added and Removed count inserted and deleted lines.
	Added   int `json:"added"`
	Removed int `json:"removed"`
	// Lines is the number of lines over all hunks (context included): the
	// length Page counts in.
	Lines int `json:"lines"`
}

// Empty reports that the texts were equal.
func (d Diff) Empty() bool { return len(d.Hunks) == 0 }

// timeout bounds the line-matching search; past it go-diff settles for a
// correct but longer diff rather than the shortest.
const timeout = 2 * time.Second

// Lines diffs before and after line by line, with context unchanged lines
// around each change (changes closer than 2*context lines share a hunk, as
// in diff -u). Equal texts give an empty Diff.
func Lines(before, after string, context int) Diff {
	if before == after {
		return Diff{}
	}
	context = max(context, 0)
	lines := lineOps(before, after)
	var d Diff
	for i := 0; i < len(lines); {
		start := i
		for start < len(lines) && lines[start].Op == Context {
			start++
		}
		if start == len(lines) {
			break
		}
		end := start // one past the last change of the hunk
		for j := start; j < len(lines); j++ {
			if lines[j].Op != Context {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		from, to := max(start-context, i), min(end+context, len(lines))
		d.Hunks = append(d.Hunks, newHunk(lines[from:to], lines[:from]))
		i = to
	}
	for _, h := range d.Hunks {
		d.Lines += len(h.Lines)
		for _, l := range h.Lines {
			switch l.Op {
			case Insert:
				d.Added++
			case Delete:
				d.Removed++
			}
		}
	}
	return d
}

// newHunk makes a hunk of lines, whose ranges start after the lines in
// before. It shares lines' backing array, which is never appended to.
func newHunk(lines, before []Line) Hunk {
	oldBefore, newBefore := sides(before)
	oldN, newN := sides(lines)
	h := Hunk{OldStart: oldBefore + 1, OldLines: oldN, NewStart: newBefore + 1, NewLines: newN, Lines: lines}
	if oldN == 0 {
		h.OldStart = oldBefore
	}
	if newN == 0 {
		h.NewStart = newBefore
	}
	return h
}

// sides counts the lines of each side in lines.
func sides(lines []Line) (old, new int) {
	for _, l := range lines {
		if l.Op != Insert {
			old++
		}
		if l.Op != Delete {
			new++
		}
	}
	return old, new
}

// lineOps diffs before and after line by line and numbers the lines.
func lineOps(before, after string) []Line {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = timeout
	a, b, table := dmp.DiffLinesToChars(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), table)
	lines := make([]Line, 0, strings.Count(before, "\n")+strings.Count(after, "\n")+2)
	oldN, newN := 0, 0
	for _, df := range diffs {
		op := Context
		switch df.Type {
		case diffmatchpatch.DiffInsert:
			op = Insert
		case diffmatchpatch.DiffDelete:
			op = Delete
		}
		for text := df.Text; text != ""; {
			line, rest, eol := strings.Cut(text, "\n")
			l := Line{Op: op, Text: line, NoNewline: !eol}
			if op != Insert {
				oldN++
				l.Old = oldN
			}
			if op != Delete {
				newN++
				l.New = newN
			}
			lines = append(lines, l)
			text = rest
		}
	}
	return lines
}

// Unified returns the diff as diff -u prints it, under the headers
// "--- oldName" and "+++ newName" ("a/x", "b/x", or "/dev/null" for a side
// that does not exist). An empty diff gives "".
func (d Diff) Unified(oldName, newName string) string {
	if d.Empty() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range d.Hunks {
		WriteHunk(&b, h)
	}
	return b.String()
}

// WriteHunk appends h in unified form to b: its header and its lines.
func WriteHunk(b *strings.Builder, h Hunk) {
	b.WriteString(h.Header())
	b.WriteByte('\n')
	for _, l := range h.Lines {
		b.WriteString(string(l.Op))
		b.WriteString(l.Text)
		b.WriteByte('\n')
		if l.NoNewline {
			b.WriteString("\\ No newline at end of file\n")
		}
	}
}

// Page is a window on a long diff.
type Page struct {
	// Offset is the index, over all the diff's lines, of the page's first
	// line; Total is the diff's number of lines.
	Offset int `json:"offset"`
	Total  int `json:"total"`
	// Next is the offset of the following page; More reports that there is
	// one.
	Next int  `json:"next"`
	More bool `json:"more"`
	// Hunks holds the page's lines. A hunk cut by the page's edges becomes
	// a smaller hunk with its own ranges, so each page renders on its own.
	Hunks []Hunk `json:"hunks"`
}

// Page returns at most limit lines of the diff starting at line offset
// (both counted over all hunks, as Diff.Lines counts). A limit of 0 or less
// means the rest of the diff.
func (d Diff) Page(offset, limit int) Page {
	offset = min(max(offset, 0), d.Lines)
	end := d.Lines
	if limit > 0 {
		end = min(offset+limit, d.Lines)
	}
	p := Page{Offset: offset, Total: d.Lines, Next: end, More: end < d.Lines}
	pos := 0 // index of the current hunk's first line
	for _, h := range d.Hunks {
		from, to := max(offset-pos, 0), min(end-pos, len(h.Lines))
		pos += len(h.Lines)
		if from >= to {
			continue
		}
		if from == 0 && to == len(h.Lines) {
			p.Hunks = append(p.Hunks, h)
			continue
		}
		oldBefore, newBefore := sides(h.Lines[:from])
		sub := newHunk(h.Lines[from:to], nil)
		first := func(start, n int) int { // the 1-based first line of a side
			if n == 0 {
				return start + 1
			}
			return start
		}
		sub.OldStart += first(h.OldStart, h.OldLines) - 1 + oldBefore
		sub.NewStart += first(h.NewStart, h.NewLines) - 1 + newBefore
		p.Hunks = append(p.Hunks, sub)
	}
	return p
}
