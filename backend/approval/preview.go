package approval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/diff"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// FileReader reads a workspace file by its slash-separated name relative
// to the workspace. sandbox.Files satisfies it. When it also implements
// fs.StatFS, files too large to diff are not read.
type FileReader interface {
	ReadFile(name string) ([]byte, error)
}

// Preview is what a person sees before deciding: computed once, here, so
// the window, the browser and the terminal show the same thing. It is
// plain data for JSON; RenderText renders it for a terminal.
type Preview struct {
	Tool string `json:"tool"`
	// Title is a one-line summary: "Run npm test", "Edit src/a.go (+3 -1)".
	Title string `json:"title"`
	// Decision and Reason are Check's: why a person is asked (or, for a
	// preview of a denied action, why it was refused).
	Decision Decision     `json:"decision"`
	Reason   string       `json:"reason"`
	Exec     *ExecPreview `json:"exec,omitempty"`
	File     *FilePreview `json:"file,omitempty"`
	Read     *ReadPreview `json:"read,omitempty"`
	MCP      *MCPPreview  `json:"mcp,omitempty"`
	// Input is the raw input, for tools without a specific preview.
	Input json.RawMessage `json:"input,omitempty"`
}

// ExecPreview shows a command.
type ExecPreview struct {
	Command string `json:"command"`
	// Cwd is the working directory relative to the workspace ("." for its
	// root).
	Cwd            string  `json:"cwd"`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty"`
	// Env lists the names, never the values, of the environment variables
	// passed to the command: those given in PreviewOptions.Env and the
	// command's own VAR=value prefixes.
	Env     []string    `json:"env,omitempty"`
	Sandbox SandboxView `json:"sandbox"`
	// Segments and Hints are the rule engine's verdict for each part of the
	// command and the risks seen in it.
	Segments   []Segment `json:"segments"`
	Hints      []Hint    `json:"hints,omitempty"`
	ParseError string    `json:"parse_error,omitempty"`
}

// SandboxView is where a command runs.
type SandboxView struct {
	Kind      string `json:"kind"`
	Workspace string `json:"workspace"`
	Image     string `json:"image,omitempty"`
	Network   string `json:"network,omitempty"`
	Isolated  bool   `json:"isolated"`
}

// FilePreview shows a write or an edit as a diff.
type FilePreview struct {
	// Path is relative to the workspace.
	Path string `json:"path"`
	// NewFile reports that a write creates the file.
	NewFile bool `json:"new_file,omitempty"`
	// Binary says why the old or new content is not diffed as text.
	Binary string `json:"binary,omitempty"`
	// TooLarge reports a file past PreviewOptions.MaxFileBytes: sizes only.
	TooLarge    bool  `json:"too_large,omitempty"`
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"`
	// CodeFile says why the file makes tools run code (see CodeFile): a
	// security-relevant change, which always asks and the UI flags.
	CodeFile string `json:"code_file,omitempty"`
	// Replacements is how many occurrences an edit replaces.
	Replacements int `json:"replacements,omitempty"`
	// Problem says why the action will fail when the tool runs it (an edit
	// whose old_string is missing, a directory); there is no diff then.
	Problem string `json:"problem,omitempty"`
	// Diff holds the hunks, with the added and removed line counts and the
	// total number of diff lines. A long diff is paged, never dropped:
	// DiffPage returns any window of it, and Preview.Head keeps only a
	// first page for a first screen.
	Diff diff.Diff `json:"diff"`
	// Shown is the number of diff lines in Diff.Hunks: Diff.Lines, unless
	// this is a Head copy.
	Shown int `json:"shown"`
}

// flagCode sets CodeFile when the file makes tools run code.
func (f *FilePreview) flagCode() {
	if f == nil || f.Path == "" {
		return
	}
	if why, ok := CodeFile(f.Path); ok {
		f.CodeFile = why
	}
}

// DiffPage returns limit diff lines from offset (see diff.Diff.Page).
func (f *FilePreview) DiffPage(offset, limit int) diff.Page { return f.Diff.Page(offset, limit) }

// ReadPreview shows a read outside the workspace.
type ReadPreview struct {
	// Path is the path as given; Resolved is where it leads.
	Path     string `json:"path"`
	Resolved string `json:"resolved"`
	Inside   bool   `json:"inside"`
	// Reason says why the path is outside the workspace.
	Reason string `json:"reason,omitempty"`
}

// PreviewOptions tunes BuildPreview.
type PreviewOptions struct {
	// Env holds the KEY=VALUE variables the command will get besides the
	// sandbox's own; only the names reach the preview.
	Env []string
	// MaxFileBytes bounds the files diffed (default 8 MiB).
	MaxFileBytes int64
}

const defaultMaxFileBytes = 8 << 20

// BuildPreview computes the preview of a tool call that Check assessed as
// a. File contents are read through files. The error is non-nil only when
// the sandbox itself failed (sandbox.ErrUnavailable); a file that is
// missing, a directory or cannot be edited is described in the preview.
func BuildPreview(tool string, input json.RawMessage, a Assessment, ws Workspace, files FileReader, opt PreviewOptions) (Preview, error) {
	p := Preview{Tool: tool, Decision: a.Decision, Reason: a.Reason}
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = defaultMaxFileBytes
	}
	var err error
	switch tool {
	case "exec":
		var in execInput
		if decodeInput(input, &in) != nil {
			break
		}
		p.Exec = execPreview(in, a, ws, opt)
		p.Title = "Run " + oneLine(in.Command, 80)
		return p, nil
	case "write":
		var in writeInput
		if decodeInput(input, &in) != nil || in.Content == nil {
			break
		}
		p.File, err = writePreview(in, ws, files, opt)
		p.Title = fileTitle("Write", p.File)
		p.File.flagCode()
		return p, err
	case "edit":
		var in editInput
		if decodeInput(input, &in) != nil || in.OldString == nil || in.NewString == nil {
			break
		}
		p.File, err = editPreview(in, ws, files, opt)
		p.Title = fileTitle("Edit", p.File)
		p.File.flagCode()
		return p, err
	case "read":
		var in readInput
		if decodeInput(input, &in) != nil {
			break
		}
		r := ws.resolve(strings.TrimSpace(in.Path), "")
		p.Read = &ReadPreview{Path: in.Path, Resolved: r.display(), Inside: r.inside, Reason: r.why}
		p.Title = "Read " + r.display()
		if !r.inside {
			p.Title += " (outside the workspace)"
		}
		return p, nil
	}
	p.Title = "Use " + tool
	p.Input = input
	return p, nil
}

// Head returns a copy of p whose diff keeps only its first limit lines,
// for a first screen; the full preview serves the rest through DiffPage.
func (p Preview) Head(limit int) Preview {
	if p.File == nil || limit <= 0 || p.File.Diff.Lines <= limit {
		return p
	}
	f := *p.File
	page := f.Diff.Page(0, limit)
	f.Diff.Hunks, f.Shown = page.Hunks, page.Next
	p.File = &f
	return p
}

func execPreview(in execInput, a Assessment, ws Workspace, opt PreviewOptions) *ExecPreview {
	cwd := "."
	if c := strings.TrimSpace(in.Cwd); c != "" {
		if r := ws.resolve(c, ""); r.inside {
			cwd = r.rel
		} else {
			cwd = r.display()
		}
	}
	info := ws.Sandbox
	e := &ExecPreview{
		Command:        in.Command,
		Cwd:            cwd,
		TimeoutSeconds: in.TimeoutSeconds,
		Sandbox:        SandboxView{Kind: info.Kind, Workspace: info.Workspace, Image: info.Image, Network: info.Network, Isolated: info.Isolated},
	}
	v := a.Exec
	if v == nil {
		ev := Evaluate(in.Command, RuleSet{}, ws)
		v = &ev
	}
	e.Segments, e.Hints, e.ParseError = v.Segments, v.Hints, v.ParseError
	for _, kv := range opt.Env {
		name, _, _ := strings.Cut(kv, "=")
		e.Env = append(e.Env, name)
	}
	if an, err := analyze(in.Command, ws); err == nil {
		for _, sg := range an.segs {
			for _, as := range sg.assigns {
				e.Env = append(e.Env, as.name)
			}
		}
	}
	slices.Sort(e.Env)
	e.Env = slices.Compact(e.Env)
	return e
}

// readBefore reads the current content of name. It reports a missing file
// as exists false, a file too large to diff as large, and other failures
// the tool would report as problem; err is for a failed sandbox.
func readBefore(files FileReader, name string, maxBytes int64) (data []byte, exists, large bool, size int64, problem string, err error) {
	if st, ok := files.(fs.StatFS); ok {
		fi, serr := st.Stat(name)
		switch {
		case serr == nil && fi.IsDir():
			return nil, true, false, 0, name + " is a directory", nil
		case serr == nil && fi.Size() > maxBytes:
			return nil, true, true, fi.Size(), "", nil
		}
	}
	data, rerr := files.ReadFile(name)
	switch {
	case rerr == nil:
		if int64(len(data)) > maxBytes {
			return nil, true, true, int64(len(data)), "", nil
		}
		return data, true, false, int64(len(data)), "", nil
	case errors.Is(rerr, sandbox.ErrUnavailable):
		return nil, false, false, 0, "", fmt.Errorf("approval: preview %s: %w", name, rerr)
	case errors.Is(rerr, fs.ErrNotExist):
		return nil, false, false, 0, "", nil
	default:
		return nil, true, false, 0, fmt.Sprintf("%s cannot be read (%v)", name, rerr), nil
	}
}

func writePreview(in writeInput, ws Workspace, files FileReader, opt PreviewOptions) (*FilePreview, error) {
	r := ws.resolve(strings.TrimSpace(in.Path), "")
	f := &FilePreview{Path: r.rel, BytesAfter: int64(len(*in.Content))}
	if !r.inside {
		f.Path, f.Problem = r.display(), "the path is outside the workspace ("+r.why+")"
		return f, nil
	}
	before, exists, large, size, problem, err := readBefore(files, r.rel, opt.MaxFileBytes)
	if err != nil || problem != "" {
		f.Problem = problem
		return f, err
	}
	f.NewFile, f.BytesBefore = !exists, size
	fillDiff(f, before, []byte(*in.Content), large || f.BytesAfter > opt.MaxFileBytes)
	return f, nil
}

func editPreview(in editInput, ws Workspace, files FileReader, opt PreviewOptions) (*FilePreview, error) {
	r := ws.resolve(strings.TrimSpace(in.Path), "")
	f := &FilePreview{Path: r.rel}
	if !r.inside {
		f.Path, f.Problem = r.display(), "the path is outside the workspace ("+r.why+")"
		return f, nil
	}
	before, exists, large, size, problem, err := readBefore(files, r.rel, opt.MaxFileBytes)
	switch {
	case err != nil || problem != "":
		f.Problem = problem
		return f, err
	case !exists:
		f.Problem = r.rel + " does not exist; the edit will fail (write creates files)"
		return f, nil
	case large:
		f.BytesBefore, f.TooLarge = size, true
		return f, nil
	}
	f.BytesBefore = size
	if why := diff.Binary(before); why != "" {
		f.Binary, f.Problem = why, "the file looks binary ("+why+"); the edit will fail"
		return f, nil
	}
	after, n, problem := applyEdit(string(before), *in.OldString, *in.NewString, in.ReplaceAll)
	if problem != "" {
		f.Problem = problem
		return f, nil
	}
	f.Replacements, f.BytesAfter = n, int64(len(after))
	fillDiff(f, before, []byte(after), false)
	return f, nil
}

// applyEdit applies the edit with the edit tool's own [tool.Replace], and says why the
// edit will fail when it will.
func applyEdit(s, old, new string, all bool) (string, int, string) {
	after, n, err := tool.Replace(s, old, new, all)
	if err != nil {
		return "", 0, err.Error() + "; the edit will fail"
	}
	return after, n, ""
}

// fillDiff sets the diff of before and after, or why there is none.
func fillDiff(f *FilePreview, before, after []byte, large bool) {
	if large {
		f.TooLarge = true
		return
	}
	if why := diff.Binary(before); why != "" {
		f.Binary = "the current content: " + why
		return
	}
	if why := diff.Binary(after); why != "" {
		f.Binary = "the new content: " + why
		return
	}
	f.Diff = diff.Lines(string(before), string(after), diff.DefaultContext)
	f.Shown = f.Diff.Lines
}

func fileTitle(verb string, f *FilePreview) string {
	switch {
	case f.NewFile:
		verb = "Create"
	case verb == "Write":
		verb = "Overwrite"
	}
	t := verb + " " + f.Path
	if !f.Diff.Empty() {
		t += fmt.Sprintf(" (+%d -%d)", f.Diff.Added, f.Diff.Removed)
	}
	return t
}

// oneLine shortens s to its first line and at most n runes.
func oneLine(s string, n int) string {
	s = strings.TrimSpace(s)
	cut := false
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s, cut = s[:i], true
	}
	if r := []rune(s); len(r) > n {
		s, cut = string(r[:n]), true
	}
	if cut {
		s += " …"
	}
	return s
}
