package tool

import (
	"strings"

	"github.com/corral-dev/corral/backend/diff"
)

// unifiedDiff returns the unified diff (3 lines of context) turning before into after,
// under the file name name, with the counts of added and removed lines. Equal inputs give "".
func unifiedDiff(name, before, after string) (text string, added, removed int) {
	d := diff.Lines(before, after, 3)
	return d.Unified("a/"+name, "b/"+name), d.Added, d.Removed
}

func countLines(s string) int {
	n := strings.Count(s, "\n")
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n
}
