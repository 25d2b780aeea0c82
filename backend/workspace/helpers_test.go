package workspace_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/workspace"
)

// waitTimeout bounds every wait for a batch; generous, as the machine may be
// busy compiling.
const waitTimeout = 15 * time.Second

// tree builds files under a temporary root. Names use slashes.
type tree struct {
	t    testing.TB
	root string
}

func newTree(t testing.TB) *tree {
	t.Helper()
	return &tree{t: t, root: t.TempDir()}
}

func (tr *tree) abs(name string) string { return filepath.Join(tr.root, filepath.FromSlash(name)) }

// write creates or overwrites a file, making its directories.
func (tr *tree) write(name, text string) {
	tr.t.Helper()
	if err := os.MkdirAll(filepath.Dir(tr.abs(name)), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	if err := os.WriteFile(tr.abs(name), []byte(text), 0o644); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) mkdir(name string) {
	tr.t.Helper()
	if err := os.MkdirAll(tr.abs(name), 0o755); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) remove(name string) {
	tr.t.Helper()
	if err := os.RemoveAll(tr.abs(name)); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) rename(from, to string) {
	tr.t.Helper()
	if err := os.Rename(tr.abs(from), tr.abs(to)); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *tree) symlink(target, name string) {
	tr.t.Helper()
	if err := os.Symlink(target, tr.abs(name)); err != nil {
		tr.t.Fatal(err)
	}
}

// describe renders a change compactly: "created a/" for a directory,
// "created l@" for a link, with " ignored" or " unreadable" after.
func describe(c workspace.Change) string {
	return c.Op.String() + " " + describeEntry(c.Path, c.Entry)
}

func describeEntry(path string, e workspace.Entry) string {
	var b strings.Builder
	b.WriteString(path)
	if e.Dir {
		b.WriteString("/")
	}
	if e.Symlink {
		b.WriteString("@")
	}
	if e.Ignored {
		b.WriteString(" ignored")
	}
	if e.Unreadable {
		b.WriteString(" unreadable")
	}
	return b.String()
}

// watch is a started Watcher with what it reported so far.
type watch struct {
	t       testing.TB
	w       *workspace.Watcher
	batches []workspace.Batch
	last    map[string]string // path -> describe(last change)
	count   map[string]int    // path -> changes reported
}

// startWatch starts a watcher on root, stopped at the end of the test.
func startWatch(t testing.TB, root string, opts workspace.Options) *watch {
	t.Helper()
	w, err := workspace.New(root, opts)
	if err != nil {
		t.Fatalf("New(%q) = %v", root, err)
	}
	t.Cleanup(w.Stop)
	if err := w.Start(context.Background()); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	return newWatch(t, w)
}

func newWatch(t testing.TB, w *workspace.Watcher) *watch {
	return &watch{t: t, w: w, last: map[string]string{}, count: map[string]int{}}
}

// reset forgets what was reported so far.
func (wt *watch) reset() {
	wt.batches = nil
	clear(wt.last)
	clear(wt.count)
}

// next receives one batch, failing the test after waitTimeout.
func (wt *watch) next() (workspace.Batch, bool) {
	wt.t.Helper()
	select {
	case b, ok := <-wt.w.Batches():
		if !ok {
			return b, false
		}
		wt.batches = append(wt.batches, b)
		for _, c := range b.Changes {
			wt.last[c.Path] = describe(c)
			wt.count[c.Path]++
		}
		return b, true
	case <-time.After(waitTimeout):
		wt.t.Fatalf("no batch within %v; reported so far: %v", waitTimeout, wt.reported())
		return workspace.Batch{}, false
	}
}

// waitFor receives batches until every want is the last change reported of
// its path.
func (wt *watch) waitFor(want ...string) {
	wt.t.Helper()
	for !wt.has(want) {
		if _, ok := wt.next(); !ok {
			wt.t.Fatalf("Batches closed before %q; reported: %v", want, wt.reported())
		}
	}
}

// waitRescan receives batches until one has Rescan set.
func (wt *watch) waitRescan() {
	wt.t.Helper()
	for {
		b, ok := wt.next()
		if !ok {
			wt.t.Fatalf("Batches closed before a rescan; reported: %v", wt.reported())
		}
		if b.Rescan {
			return
		}
	}
}

func (wt *watch) has(want []string) bool {
	for _, w := range want {
		if wt.last[changedPath(w)] != w {
			return false
		}
	}
	return true
}

// absent fails the test if any of paths was reported.
func (wt *watch) absent(paths ...string) {
	wt.t.Helper()
	for _, p := range paths {
		if d, ok := wt.last[p]; ok {
			wt.t.Errorf("%s was reported (%q), want it absent; reported: %v", p, d, wt.reported())
		}
	}
}

func (wt *watch) reported() []string {
	var out []string
	for _, b := range wt.batches {
		if b.Rescan {
			out = append(out, "<rescan>")
		}
		if b.Err != nil {
			out = append(out, "<err: "+b.Err.Error()+">")
		}
		for _, c := range b.Changes {
			out = append(out, describe(c))
		}
	}
	return out
}

// waitClosed receives until Batches is closed and returns the Err of the
// last batch.
func (wt *watch) waitClosed() error {
	wt.t.Helper()
	var last error
	for {
		b, ok := wt.next()
		if !ok {
			return last
		}
		if b.Err != nil {
			last = b.Err
		}
	}
}

// paths lists the paths of entries, with "/" after directories.
func paths(entries []workspace.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = describeEntry(e.Path, e)
	}
	return out
}

// changedPath returns the path of a described change.
func changedPath(desc string) string {
	return strings.TrimRight(strings.Fields(desc)[1], "/@")
}
