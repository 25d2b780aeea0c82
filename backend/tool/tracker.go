package tool

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Tracker tells which workspace files a command changed, in place of exec listing the
// workspace before and after it: the agent's checkpoints, which follow the workspace's
// watcher, already know (see WithTracker).
type Tracker interface {
	// Changed returns what changed in the workspace since the tracker began, files only
	// (links and folders are not listed), sorted by path; .git and ignored paths may be
	// among them.
	Changed(ctx context.Context) ([]FileChange, error)
}

type trackerKey struct{}

// WithTracker returns a context under which exec asks t what a command changed instead of
// listing the workspace itself.
func WithTracker(ctx context.Context, t Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

func trackerFrom(ctx context.Context) Tracker {
	t, _ := ctx.Value(trackerKey{}).(Tracker)
	return t
}

// tracked keeps the changes exec's own listing would report: not under a version-control
// folder, not ignored by the workspace's ignore files (as glob and grep see them).
func tracked(files sandbox.Files, changes []FileChange) []FileChange {
	chains := map[string]*ignores{} // folder -> ignores in force for its entries; nil: ignored
	var chain func(dir string) *ignores
	chain = func(dir string) *ignores {
		if ig, ok := chains[dir]; ok {
			return ig
		}
		var ig *ignores
		if dir == "." {
			ig = &ignores{}
		} else if parent := chain(path.Dir(dir)); parent != nil && !parent.ignored(dir, true) {
			ig = parent
		}
		if ig != nil {
			if entries, err := files.ReadDir(dir); err == nil {
				ig = ig.with(readIgnores(files, dir, entries))
			}
		}
		chains[dir] = ig
		return ig
	}
	return slices.DeleteFunc(slices.Clone(changes), func(c FileChange) bool {
		for part := range strings.SplitSeq(c.Path, "/") {
			if skippedDirs[part] {
				return true
			}
		}
		ig := chain(path.Dir(c.Path))
		return ig == nil || ig.ignored(c.Path, false)
	})
}
