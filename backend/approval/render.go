package approval

import (
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/diff"
)

// ANSI styles for RenderText.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// RenderText renders a preview for a terminal, with ANSI colours when
// color is set: the title and reason, then the command's segments with
// their verdicts, the environment names, the sandbox and the risk hints;
// or the file's unified diff (every line of it: a terminal scrolls); or
// the resolved path of a read.
func RenderText(p Preview, color bool) string {
	style := func(code, s string) string {
		if !color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", style(ansiBold, p.Title))
	if p.Reason != "" {
		fmt.Fprintf(&b, "%s %s\n", style(decisionStyle(p.Decision), "["+string(p.Decision)+"]"), p.Reason)
	}
	switch {
	case p.Exec != nil:
		renderExec(&b, p.Exec, style)
	case p.File != nil:
		renderFile(&b, p.File, style)
	case p.Read != nil:
		fmt.Fprintf(&b, "path:     %s\nresolves: %s\n", p.Read.Path, p.Read.Resolved)
		if !p.Read.Inside {
			fmt.Fprintf(&b, "%s\n", style(ansiYellow, "outside the workspace: "+p.Read.Reason))
		}
	case p.MCP != nil:
		renderMCP(&b, p.MCP, style)
	case len(p.Input) > 0:
		fmt.Fprintf(&b, "input: %s\n", p.Input)
	}
	return b.String()
}

func decisionStyle(d Decision) string {
	switch d {
	case Allow:
		return ansiGreen
	case Deny:
		return ansiRed
	default:
		return ansiYellow
	}
}

func renderExec(b *strings.Builder, e *ExecPreview, style func(code, s string) string) {
	fmt.Fprintf(b, "$ %s\n", e.Command)
	sb := e.Sandbox.Kind
	if e.Sandbox.Image != "" {
		sb += ", image " + e.Sandbox.Image
	}
	if e.Sandbox.Network != "" {
		sb += ", network " + e.Sandbox.Network
	}
	fmt.Fprintf(b, "%s %s\n", style(ansiDim, "cwd:    "), e.Cwd)
	fmt.Fprintf(b, "%s %s\n", style(ansiDim, "sandbox:"), sb)
	if len(e.Env) > 0 {
		fmt.Fprintf(b, "%s %s\n", style(ansiDim, "env:    "), strings.Join(e.Env, ", "))
	}
	if e.TimeoutSeconds > 0 {
		fmt.Fprintf(b, "%s %gs\n", style(ansiDim, "timeout:"), e.TimeoutSeconds)
	}
	if e.ParseError != "" {
		fmt.Fprintf(b, "%s\n", style(ansiYellow, "does not parse: "+e.ParseError))
	}
	if len(e.Segments) > 0 {
		b.WriteString("segments:\n")
	}
	for _, s := range e.Segments {
		indent := strings.Repeat("  ", s.Depth)
		fmt.Fprintf(b, "  %s%s %s\n", indent, style(decisionStyle(s.Decision), fmt.Sprintf("%-7s", "["+string(s.Decision)+"]")), oneLine(s.Text, 100))
		fmt.Fprintf(b, "  %s        %s\n", indent, style(ansiDim, s.Reason))
	}
	if len(e.Hints) > 0 {
		b.WriteString("risks:\n")
	}
	for _, h := range e.Hints {
		fmt.Fprintf(b, "  %s %s: %s\n", style(ansiRed, "!"), style(ansiBold, h.Kind), h.Reason)
	}
}

func renderFile(b *strings.Builder, f *FilePreview, style func(code, s string) string) {
	switch {
	case f.Problem != "":
		fmt.Fprintf(b, "%s\n", style(ansiYellow, f.Problem))
	case f.TooLarge:
		fmt.Fprintf(b, "too large to diff: %d bytes now, %d bytes after\n", f.BytesBefore, f.BytesAfter)
	case f.Binary != "":
		fmt.Fprintf(b, "binary, not diffed (%s): %d bytes now, %d bytes after\n", f.Binary, f.BytesBefore, f.BytesAfter)
	case f.Diff.Empty():
		b.WriteString("no change\n")
	}
	if f.Diff.Empty() {
		return
	}
	old := "a/" + f.Path
	if f.NewFile {
		old = "/dev/null"
	}
	fmt.Fprintf(b, "%s\n%s\n", style(ansiBold, "--- "+old), style(ansiBold, "+++ b/"+f.Path))
	for _, h := range f.Diff.Hunks {
		fmt.Fprintf(b, "%s\n", style(ansiCyan, h.Header()))
		for _, l := range h.Lines {
			line := string(l.Op) + l.Text
			switch l.Op {
			case diff.Insert:
				line = style(ansiGreen, line)
			case diff.Delete:
				line = style(ansiRed, line)
			}
			b.WriteString(line)
			b.WriteByte('\n')
			if l.NoNewline {
				b.WriteString(style(ansiDim, "\\ No newline at end of file") + "\n")
			}
		}
	}
	if f.Shown < f.Diff.Lines {
		fmt.Fprintf(b, "%s\n", style(ansiDim, fmt.Sprintf("[%d more diff lines]", f.Diff.Lines-f.Shown)))
	}
	fmt.Fprintf(b, "%s\n", style(ansiDim, fmt.Sprintf("+%d -%d lines", f.Diff.Added, f.Diff.Removed)))
}
