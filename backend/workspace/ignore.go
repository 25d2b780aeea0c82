package workspace

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// alwaysIgnored are names ignored at any depth whatever the ignore files
// say: version-control directories and package caches nobody browses.
var alwaysIgnored = map[string]bool{".git": true, ".hg": true, ".svn": true, "node_modules": true}

// ignoreFiles are read in every directory listed, in this order (later
// patterns win); their patterns apply to that directory and below. They are
// the files backend/tool honours, so the tree greys out what the agent's
// glob and grep skip.
var ignoreFiles = [...]string{".gitignore", ".ignore"}

func isIgnoreFile(name string) bool {
	for _, f := range ignoreFiles {
		if name == f {
			return true
		}
	}
	return false
}

// maxIgnoreFile bounds the size of an ignore file that is read.
const maxIgnoreFile = 1 << 20

// ignores is the chain of patterns in force in one directory, from the root
// down. It is immutable once built, so directories without ignore files
// share their parent's.
type ignores struct {
	patterns []gitignore.Pattern
}

// newIgnores returns the root's chain from the patterns of Options.Ignore.
func newIgnores(patterns []string) *ignores {
	return (&ignores{}).with(parsePatterns(strings.Join(patterns, "\n"), nil))
}

// with returns the chain for a directory that adds patterns.
func (ig *ignores) with(patterns []gitignore.Pattern) *ignores {
	if len(patterns) == 0 {
		return ig
	}
	all := make([]gitignore.Pattern, 0, len(ig.patterns)+len(patterns))
	return &ignores{patterns: append(append(all, ig.patterns...), patterns...)}
}

// ignored reports whether the root-relative rel is ignored. The last
// matching pattern decides, as in git. A nil chain has no patterns.
func (ig *ignores) ignored(rel string, isDir bool) bool {
	if alwaysIgnored[path.Base(rel)] {
		return true
	}
	if ig == nil || len(ig.patterns) == 0 {
		return false
	}
	parts := strings.Split(rel, "/")
	for i := len(ig.patterns) - 1; i >= 0; i-- {
		switch ig.patterns[i].Match(parts, isDir) {
		case gitignore.Exclude:
			return true
		case gitignore.Include:
			return false
		}
	}
	return false
}

// readIgnores parses the ignore files among the entries of the directory
// rel (under root). Unreadable or oversized files are skipped.
func readIgnores(root, rel string, entries []fs.DirEntry) []gitignore.Pattern {
	var patterns []gitignore.Pattern
	var domain []string
	if rel != "." {
		domain = strings.Split(rel, "/")
	}
	var found [len(ignoreFiles)]fs.DirEntry
	for _, e := range entries {
		for i, name := range ignoreFiles {
			if e.Name() == name && e.Type().IsRegular() {
				found[i] = e
			}
		}
	}
	for _, e := range found {
		if e == nil {
			continue
		}
		if info, err := e.Info(); err != nil || info.Size() > maxIgnoreFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel), e.Name()))
		if err != nil {
			continue
		}
		patterns = append(patterns, parsePatterns(string(data), domain)...)
	}
	return patterns
}

func parsePatterns(text string, domain []string) []gitignore.Pattern {
	var patterns []gitignore.Pattern
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		patterns = append(patterns, gitignore.ParsePattern(line, domain))
	}
	return patterns
}
