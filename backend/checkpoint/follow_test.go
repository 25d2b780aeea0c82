//go:build linux

package checkpoint_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// TestWatchedMatchesWalk runs side effects one after another in one workspace and checks
// that each checkpoint taken from the watcher's account of what changed lists exactly what
// a walk of the whole tree (a store that does not watch) lists.
func TestWatchedMatchesWalk(t *testing.T) {
	b := setup(t, checkpoint.Options{})
	walked := setup(t, checkpoint.Options{NoWatch: true})
	run := b.newRun()
	other, err := walked.j.CreateRun(t.Context(), journal.Run{ID: journal.NewID("run"), SessionID: walked.session.ID, Workspace: run.Workspace, Status: journal.RunRunning})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ name, script string }{
		{"tree", "mkdir -p a/b/c d e/.git/objects; for i in 1 2 3; do echo $i > a/f$i; echo $i > a/b/c/g$i; done; echo ref > e/.git/HEAD; echo x > top"},
		{"nothing", "true"},
		{"write deep", "echo more >> a/b/c/g2"},
		{"chmod", "chmod 600 a/f1; chmod 700 a/b"},
		{"rm -rf", "rm -rf a/b"},
		{"new tree", "mkdir -p n/m/o && echo deep > n/m/o/p && ln -s ../top n/link"},
		{"rename folder", "mv n n2"},
		{"file for folder", "rm -rf d && echo now-a-file > d"},
		{"folder for file", "rm d && mkdir -p d/x && echo in > d/x/y"},
		{"ignored .git changes", "echo moved > e/.git/HEAD; echo obj > e/.git/objects/o1"},
		{"gitignore", "echo 'a/' > .gitignore; echo hidden > a/f4"},
		{"excluded folder", "mkdir -p node_modules/pkg && echo js > node_modules/pkg/i.js"},
		{"unreadable", "mkdir -p locked && echo s > locked/s && chmod 000 locked"},
		{"readable again", "chmod 755 locked && echo t > locked/t"},
		{"link retargeted", "ln -sfn top n2/link2 && rm n2/link && ln -s d n2/link"},
		{"swap", "mv a/f2 tmp && mv a/f3 a/f2 && mv tmp a/f3"},
	}
	for i, st := range steps {
		sh(t, run.Workspace, st.script)
		got := b.take(run, i+2, journal.PhaseBefore)
		want := walked.take(other, i+2, journal.PhaseBefore)
		gm, err := b.store.Load(got.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		wm, err := walked.store.Load(want.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(wm.Entries, gm.Entries, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("after %q: the watched checkpoint's entries differ from a walk's (-walk +watched):\n%s", st.name, d)
		}
		if d := cmp.Diff(wm.Excluded, gm.Excluded, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("after %q: the watched checkpoint's exclusions differ from a walk's (-walk +watched):\n%s", st.name, d)
		}
	}
	sh(t, run.Workspace, "chmod 755 locked")
}
