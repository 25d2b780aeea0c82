package tool

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Glob lists files matching a pattern. The zero value uses the defaults.
type Glob struct {
	// MaxResults caps the files listed (default 200).
	MaxResults int
	// Workers is the number of directories read at once (default 4).
	Workers int
}

const defaultGlobMax = 200

// Name returns "glob".
func (g *Glob) Name() string { return "glob" }

func (g *Glob) maxResults() int {
	if g.MaxResults > 0 {
		return g.MaxResults
	}
	return defaultGlobMax
}

// Description tells the model how glob behaves.
func (g *Glob) Description() string {
	return fmt.Sprintf(`Find files by name pattern in the workspace. Returns matching file paths relative to the workspace root, most recently modified first.

- pattern is matched against paths relative to path (default: the workspace root). * matches within one path segment, ** matches any number of directories, ? one character, [abc] a class, {a,b} alternatives. Examples: "**/*.go", "src/**/*.{ts,tsx}", "*.md" (top level only), "**/test_*.py".
- Files ignored by .gitignore or .ignore files, and .git directories, are skipped; symbolic links are not followed. Only files are listed, not directories.
- At most %d paths are returned; the result says how many more matched. Narrow the pattern or path if there are too many.
- To search file contents, use grep.`, g.maxResults())
}

// Schema describes the input {pattern, path?}.
func (g *Glob) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "pattern": {"type": "string", "description": "Glob pattern, e.g. \"**/*.go\"."},
    "path": {"type": "string", "description": "Directory to search in, relative to the workspace root (default: the root)."}
  },
  "required": ["pattern"],
  "additionalProperties": false
}`)
}

// Idempotent is true: listing changes nothing.
func (g *Glob) Idempotent() bool { return true }

type globInput struct {
	Pattern string `json:"pattern"`
	Path    string `json:"path"`
}

// Run lists the matching files.
func (g *Glob) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in globInput
	if res, ok := decode(g.Name(), input, &in); !ok {
		return res, nil
	}
	info := sb.Info()
	pattern := strings.TrimSpace(in.Pattern)
	if pattern == "" {
		return failure("pattern is empty; for example \"**/*.go\"."), nil
	}
	base := "."
	if in.Path != "" {
		name, bad := resolvePath(info, in.Path)
		if bad != nil {
			return *bad, nil
		}
		base = name
	}
	if path.IsAbs(pattern) {
		// An absolute pattern inside the workspace: make it relative to base.
		static, _ := doublestar.SplitPattern(pattern)
		name, bad := resolvePath(info, static)
		if bad != nil {
			return *bad, nil
		}
		rest := strings.TrimPrefix(strings.TrimPrefix(pattern, static), "/")
		pattern = path.Join(name, rest)
		base = "."
	}
	pattern = strings.TrimPrefix(pattern, "./")
	if !doublestar.ValidatePattern(pattern) {
		return failure("pattern %q is not a valid glob (check brackets and braces).", in.Pattern), nil
	}
	fi, err := sb.Files().Stat(base)
	if err != nil {
		return fileFailure(base, err)
	}
	if !fi.IsDir() {
		return failure("path %s is not a directory.", base), nil
	}

	// Walk only below the pattern's fixed prefix, and no deeper than it
	// can match.
	static, rest := doublestar.SplitPattern(pattern)
	root := base
	if static != "." {
		root = path.Join(base, static)
		if fi, err := sb.Files().Stat(root); err != nil || !fi.IsDir() {
			return Result{Content: fmt.Sprintf("No files match %q in %s.", in.Pattern, where(base)), Meta: Meta{Path: base}}, nil
		}
	}
	depth := 0
	if !strings.Contains(rest, "**") {
		depth = strings.Count(rest, "/") + 1
	}

	type match struct {
		name  string
		mtime time.Time
	}
	var (
		mu      sync.Mutex
		matches []match
	)
	prefix := base + "/"
	if base == "." {
		prefix = ""
	}
	w := &walker{files: sb.Files(), workers: cmp.Or(g.Workers, 4), maxDepth: depth}
	err = w.walk(ctx, root, func(_ int, f fileEntry) error {
		rel := strings.TrimPrefix(f.name, prefix)
		if !doublestar.MatchUnvalidated(pattern, rel) {
			return nil
		}
		var mtime time.Time
		if info, err := f.entry.Info(); err == nil {
			mtime = info.ModTime()
		}
		mu.Lock()
		matches = append(matches, match{f.name, mtime})
		mu.Unlock()
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	meta := Meta{Path: base, Matches: len(matches)}
	if len(matches) == 0 {
		return Result{Content: fmt.Sprintf("No files match %q in %s.", in.Pattern, where(base)), Meta: meta}, nil
	}
	slices.SortFunc(matches, func(a, b match) int {
		return cmp.Or(b.mtime.Compare(a.mtime), strings.Compare(a.name, b.name))
	})
	limit := g.maxResults()
	var out strings.Builder
	for _, m := range matches[:min(limit, len(matches))] {
		out.WriteString(m.name)
		out.WriteByte('\n')
	}
	if len(matches) > limit {
		meta.Truncated = true
		fmt.Fprintf(&out, "[%d of %d matching files shown, newest first; narrow the pattern or path to see the rest]", limit, len(matches))
	}
	return Result{Content: strings.TrimSuffix(out.String(), "\n"), Meta: meta}, nil
}
