package tool

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Grep searches file contents with a regular expression. The zero value
// uses the defaults.
type Grep struct {
	// MaxLines caps the matching lines shown in content mode (default 250).
	MaxLines int
	// MaxFiles caps the files listed in the other modes (default 500).
	MaxFiles int
	// MaxBytes caps the text returned (default 64 KiB).
	MaxBytes int
	// MaxLineBytes cuts longer lines (default 500).
	MaxLineBytes int
	// MaxFileSize skips larger files (default 16 MiB).
	MaxFileSize int64
	// Workers is the number of files searched at once (default GOMAXPROCS).
	Workers int
}

const (
	defaultGrepLines    = 250
	defaultGrepFiles    = 500
	defaultGrepBytes    = 64 << 10
	defaultGrepLineLen  = 500
	defaultGrepFileSize = 16 << 20
	maxGrepContext      = 10
)

func (g *Grep) limits() (lines, files, outBytes, lineLen int, fileSize int64) {
	return cmp.Or(g.MaxLines, defaultGrepLines), cmp.Or(g.MaxFiles, defaultGrepFiles),
		cmp.Or(g.MaxBytes, defaultGrepBytes), cmp.Or(g.MaxLineBytes, defaultGrepLineLen),
		cmp.Or(g.MaxFileSize, defaultGrepFileSize)
}

// Name returns "grep".
func (g *Grep) Name() string { return "grep" }

// Description tells the model how grep behaves.
func (g *Grep) Description() string {
	lines, files, outBytes, lineLen, fileSize := g.limits()
	return fmt.Sprintf(`Search file contents in the workspace with a regular expression (Go RE2 syntax, like ripgrep: no backreferences or lookaround). Fast on large trees.

- pattern matches within single lines; escape regex metacharacters to search literally, e.g. func \(s \*Server\) for "func (s *Server)". case_insensitive makes it ignore case.
- path is a directory or a file to search, relative to the workspace root (default: the root). include limits the search to files whose name matches a glob, e.g. "*.go" or "*.{ts,tsx}"; a glob containing "/" is matched against the path below path, e.g. "src/**/*.rs".
- output_mode: "content" (default) shows matching lines as path:line:text, with context lines (path-line-text) before and after each match when context is set (at most %d), and "--" between separate groups; "files_with_matches" lists the matching files; "count" lists path:number of matching lines.
- Files ignored by .gitignore or .ignore, .git directories, binary files (containing NUL bytes) and files over %d MiB are skipped; symbolic links are not followed. Results are in path order.
- Content mode shows at most %d matching lines and %d KiB, lines cut at %d bytes; the other modes list at most %d files. The result says when it was cut: narrow the pattern, path or include.`,
		maxGrepContext, fileSize>>20, lines, outBytes>>10, lineLen, files)
}

// Schema describes the input.
func (g *Grep) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "pattern": {"type": "string", "description": "Regular expression (RE2 syntax) to search for."},
    "path": {"type": "string", "description": "File or directory to search, relative to the workspace root (default: the root)."},
    "include": {"type": "string", "description": "Glob for the files to search, e.g. \"*.go\" or \"*.{ts,tsx}\"."},
    "context": {"type": "integer", "minimum": 0, "maximum": 10, "description": "Lines of context before and after each match (content mode)."},
    "output_mode": {"type": "string", "enum": ["content", "files_with_matches", "count"], "description": "What to return (default \"content\")."},
    "case_insensitive": {"type": "boolean", "description": "Ignore case (default false)."}
  },
  "required": ["pattern"],
  "additionalProperties": false
}`)
}

// Idempotent is true: searching changes nothing.
func (g *Grep) Idempotent() bool { return true }

type grepInput struct {
	Pattern         string `json:"pattern"`
	Path            string `json:"path"`
	Include         string `json:"include"`
	Context         int    `json:"context"`
	OutputMode      string `json:"output_mode"`
	CaseInsensitive bool   `json:"case_insensitive"`
}

// grepHit is a file with matching lines.
type grepHit struct {
	name  string
	count int
}

// Run searches.
func (g *Grep) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in grepInput
	if res, ok := decode(g.Name(), input, &in); !ok {
		return res, nil
	}
	mode := cmp.Or(in.OutputMode, "content")
	if mode != "content" && mode != "files_with_matches" && mode != "count" {
		return failure("output_mode must be \"content\", \"files_with_matches\" or \"count\", not %q.", in.OutputMode), nil
	}
	if in.Pattern == "" {
		return failure("pattern is empty."), nil
	}
	if strings.Contains(in.Pattern, `\n`) || strings.Contains(in.Pattern, "\n") {
		return failure("pattern contains a newline; grep matches within single lines. Search for one line of the text."), nil
	}
	if in.Context < 0 || in.Context > maxGrepContext {
		return failure("context must be between 0 and %d.", maxGrepContext), nil
	}
	flags := "(?m)"
	if in.CaseInsensitive {
		flags = "(?mi)"
	}
	m, err := newLineMatcher(flags + in.Pattern)
	if err != nil {
		return failure("pattern is not a valid regular expression: %v. The syntax is Go's RE2 (no backreferences or lookaround).", strings.TrimPrefix(err.Error(), "error parsing regexp: ")), nil
	}
	if in.Include != "" && !doublestar.ValidatePattern(in.Include) {
		return failure("include %q is not a valid glob.", in.Include), nil
	}
	base := "."
	if in.Path != "" {
		name, bad := resolvePath(sb.Info(), in.Path)
		if bad != nil {
			return *bad, nil
		}
		base = name
	}
	files := sb.Files()
	fi, err := files.Stat(base)
	if err != nil {
		return fileFailure(base, err)
	}

	maxLines, maxFiles, maxBytes, lineLen, maxSize := g.limits()
	s := &grepSearch{m: m, maxSize: maxSize, firstOnly: mode == "files_with_matches"}
	if fi.Mode().IsRegular() {
		if err := s.search(0, files, base, base); err != nil {
			return Result{}, err
		}
	} else {
		if !fi.IsDir() {
			return failure("%s is neither a file nor a directory.", base), nil
		}
		workers := cmp.Or(g.Workers, runtime.GOMAXPROCS(0))
		s.bufs = make([][]byte, workers)
		include := includeMatcher(in.Include, base)
		w := &walker{files: files, workers: workers}
		err := w.walk(ctx, base, func(worker int, f fileEntry) error {
			if include != nil && !include(f.name) {
				return nil
			}
			return s.search(worker, f.dir, f.local, f.name)
		})
		if err != nil {
			return Result{}, err
		}
	}
	hits := s.hits
	slices.SortFunc(hits, func(a, b grepHit) int { return strings.Compare(a.name, b.name) })
	total := 0
	for _, h := range hits {
		total += h.count
	}
	meta := Meta{Path: base, Files: len(hits), Matches: total}
	var notes []string
	if n := s.large.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%s over %s skipped", plural(int(n), "file"), byteSize(maxSize)))
	}
	if n := s.binary.Load(); n > 0 {
		notes = append(notes, fmt.Sprintf("%s with matches skipped as binary", plural(int(n), "file")))
	}
	if len(hits) == 0 {
		msg := fmt.Sprintf("No matches for %q in %s.", in.Pattern, where(base))
		if len(notes) > 0 {
			msg += " (" + strings.Join(notes, "; ") + ")"
		}
		return Result{Content: msg, Meta: meta}, nil
	}

	var out strings.Builder
	truncated := false
	switch mode {
	case "files_with_matches", "count":
		for _, h := range hits[:min(len(hits), maxFiles)] {
			out.WriteString(h.name)
			if mode == "count" {
				fmt.Fprintf(&out, ":%d", h.count)
			}
			out.WriteByte('\n')
		}
		if len(hits) > maxFiles {
			truncated = true
			notes = append([]string{fmt.Sprintf("%d of %d matching files shown", maxFiles, len(hits))}, notes...)
		}
	case "content":
		shown, err := writeContent(ctx, &out, files, m, hits, in.Context, maxLines, maxBytes, lineLen)
		if err != nil {
			return Result{}, err
		}
		if shown < total {
			truncated = true
			notes = append([]string{fmt.Sprintf("%d of %d matching lines in %s shown", shown, total, plural(len(hits), "file"))}, notes...)
		}
	}
	meta.Truncated = truncated
	if truncated {
		notes = append(notes, "narrow the pattern, path or include to see the rest")
	}
	if len(notes) > 0 {
		fmt.Fprintf(&out, "[%s]", strings.Join(notes, "; "))
	}
	return Result{Content: strings.TrimSuffix(out.String(), "\n"), Meta: meta}, nil
}

// includeMatcher returns a filter for workspace-relative names, or nil: a
// glob without "/" is matched against the base name, one with "/" against
// the path below base.
func includeMatcher(include, base string) func(name string) bool {
	if include == "" {
		return nil
	}
	if !strings.Contains(include, "/") {
		return func(name string) bool { return doublestar.MatchUnvalidated(include, path.Base(name)) }
	}
	prefix := base + "/"
	if base == "." {
		prefix = ""
	}
	return func(name string) bool {
		return doublestar.MatchUnvalidated(include, strings.TrimPrefix(name, prefix))
	}
}

// grepSearch is the first pass of a search: which files match, and how
// many lines in each, from several workers at once.
type grepSearch struct {
	m         *lineMatcher
	maxSize   int64
	firstOnly bool     // stop at a file's first match
	bufs      [][]byte // per worker, reused across files

	mu     sync.Mutex
	hits   []grepHit
	large  atomic.Int64
	binary atomic.Int64
}

// search counts the matching lines of the file local in dir, which is the
// workspace's file name. Files that cannot be read are skipped, unless the
// sandbox is unavailable.
func (s *grepSearch) search(worker int, dir sandbox.Files, local, name string) error {
	if s.bufs == nil {
		s.bufs = make([][]byte, 1)
	}
	data, err := s.read(worker, dir, local)
	if err != nil {
		if errors.Is(err, sandbox.ErrUnavailable) {
			return err
		}
		return nil
	}
	count := 0
	s.m.eachLine(data, func(_, _ int) bool {
		count++
		return !s.firstOnly
	})
	if count == 0 {
		return nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		s.binary.Add(1)
		return nil
	}
	s.mu.Lock()
	s.hits = append(s.hits, grepHit{name: name, count: count})
	s.mu.Unlock()
	return nil
}

// read reads a regular file into the worker's buffer.
func (s *grepSearch) read(worker int, dir sandbox.Files, name string) ([]byte, error) {
	f, err := dir.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fs.ErrInvalid
	}
	size := fi.Size()
	if size > s.maxSize {
		s.large.Add(1)
		return nil, fs.ErrInvalid
	}
	buf := s.bufs[worker]
	if int64(cap(buf)) < size {
		buf = make([]byte, max(size, 64<<10))
		s.bufs[worker] = buf
	}
	n, err := io.ReadFull(f, buf[:size])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return buf[:n], nil
}

// writeContent writes the matching lines of hits, in order, with context,
// until maxLines matching lines or maxBytes. It returns how many matching
// lines it wrote.
func writeContent(ctx context.Context, out *strings.Builder, files sandbox.Files, m *lineMatcher, hits []grepHit, context, maxLines, maxBytes, lineLen int) (shown int, err error) {
	groups := 0
	for _, h := range hits {
		if err := ctx.Err(); err != nil {
			return shown, err
		}
		data, err := files.ReadFile(h.name)
		if err != nil {
			if errors.Is(err, sandbox.ErrUnavailable) {
				return shown, err
			}
			continue // changed since the first pass
		}
		starts := lineStarts(data)
		lineOf := func(pos int) int { return sort.SearchInts(starts, pos+1) - 1 }
		line := func(i int) []byte {
			end := len(data)
			if i+1 < len(starts) {
				end = starts[i+1] - 1
			}
			return bytes.TrimSuffix(bytes.TrimSuffix(data[starts[i]:end], []byte{'\n'}), []byte{'\r'})
		}
		last := -1 // last line written
		stop := false
		m.eachLine(data, func(start, _ int) bool {
			n := lineOf(start)
			from := max(n-context, last+1)
			if groups > 0 && (last < 0 || from > last+1) && context > 0 {
				out.WriteString("--\n")
			}
			for c := from; c < n; c++ {
				writeLine(out, h.name, c+1, '-', line(c), lineLen)
			}
			writeLine(out, h.name, n+1, ':', line(n), lineLen)
			last = n
			shown++
			groups++
			// The context after is written up to the next match.
			next := n + 1
			for c := next; c <= min(n+context, len(starts)-1); c++ {
				if m.lineMatches(line(c)) {
					break
				}
				writeLine(out, h.name, c+1, '-', line(c), lineLen)
				last = c
			}
			if shown >= maxLines || out.Len() >= maxBytes {
				stop = true
				return false
			}
			return true
		})
		if stop {
			break
		}
	}
	return shown, nil
}

// lineMatches reports whether line (without newline) matches.
func (m *lineMatcher) lineMatches(line []byte) bool {
	matched := false
	m.eachLine(line, func(_, _ int) bool {
		matched = true
		return false
	})
	return matched
}

// lineStarts returns the offsets at which the lines of data begin.
func lineStarts(data []byte) []int {
	starts := make([]int, 1, bytes.Count(data, []byte{'\n'})+1)
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 || i+j+1 >= len(data) {
			break
		}
		i += j + 1
		starts = append(starts, i)
	}
	return starts
}

// writeLine writes "name:12:text" (sep ':') or "name-12-text" (sep '-'),
// cutting long text on a rune boundary.
func writeLine(out *strings.Builder, name string, n int, sep byte, text []byte, maxLen int) {
	out.WriteString(name)
	out.WriteByte(sep)
	fmt.Fprintf(out, "%d", n)
	out.WriteByte(sep)
	if len(text) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		out.WriteString(strings.ToValidUTF8(string(text[:cut]), "\uFFFD"))
		fmt.Fprintf(out, " [... %d more bytes]", len(text)-cut)
	} else {
		out.WriteString(strings.ToValidUTF8(string(text), "\uFFFD"))
	}
	out.WriteByte('\n')
}
