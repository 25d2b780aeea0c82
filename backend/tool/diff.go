package tool

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffLine is one line of a line diff: ' ' kept, '-' removed, '+' added.
type diffLine struct {
	op   byte
	text string // without its newline
	eol  bool   // the line ended with a newline
}

// unifiedDiff returns the unified diff (3 lines of context) turning before
// into after, under the file name name, with the counts of added and
// removed lines. Equal inputs give "".
func unifiedDiff(name, before, after string) (diff string, added, removed int) {
	if before == after {
		return "", 0, 0
	}
	const context = 3
	lines := lineDiff(before, after)
	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	for i := 0; i < len(lines); {
		// Find the next change and the extent of its hunk: changes closer
		// than 2*context lines share one.
		start := i
		for start < len(lines) && lines[start].op == ' ' {
			start++
		}
		if start == len(lines) {
			break
		}
		end := start
		for j := start; j < len(lines); j++ {
			if lines[j].op != ' ' {
				end = j + 1
			} else if j-end >= 2*context {
				break
			}
		}
		from, to := max(start-context, i), min(end+context, len(lines))
		aStart, bStart := lineNumbers(lines[:from])
		aLen, bLen := 0, 0
		for _, l := range lines[from:to] {
			if l.op != '+' {
				aLen++
			}
			if l.op != '-' {
				bLen++
			}
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
		for _, l := range lines[from:to] {
			b.WriteByte(l.op)
			b.WriteString(l.text)
			b.WriteByte('\n')
			if !l.eol {
				b.WriteString("\\ No newline at end of file\n")
			}
			switch l.op {
			case '+':
				added++
			case '-':
				removed++
			}
		}
		i = to
	}
	return b.String(), added, removed
}

// lineNumbers counts the lines of each side in lines.
func lineNumbers(lines []diffLine) (a, b int) {
	for _, l := range lines {
		if l.op != '+' {
			a++
		}
		if l.op != '-' {
			b++
		}
	}
	return a, b
}

// hunkRange formats a hunk side: lines before the hunk and its length.
func hunkRange(before, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	if n == 1 {
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, n)
}

// lineDiff diffs before and after line by line.
func lineDiff(before, after string) []diffLine {
	dmp := diffmatchpatch.New()
	a, b, table := dmp.DiffLinesToRunes(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(a, b, false), table)
	var lines []diffLine
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = '+'
		case diffmatchpatch.DiffDelete:
			op = '-'
		}
		text := d.Text
		for text != "" {
			line, rest, eol := strings.Cut(text, "\n")
			lines = append(lines, diffLine{op: op, text: line, eol: eol})
			text = rest
		}
	}
	return lines
}

// countLines counts lines the way editors do: a last line without a
// newline counts.
func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}
