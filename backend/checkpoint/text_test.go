package checkpoint_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// TestText reads files as a checkpoint holds them, after the workspace has moved on.
func TestText(t *testing.T) {
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "printf 'one\\n' > a.txt && mkdir dir && printf '\\000\\001' > bin && ln -s a.txt link && mkdir -p node_modules/x && echo 1 > node_modules/x/i.js")
	before := b.take(run, 2, journal.PhaseBefore)
	sh(t, run.Workspace, "printf 'two\\n' > a.txt && printf 'new\\n' > b.txt")
	after := b.take(run, 2, journal.PhaseAfter)
	if err := os.WriteFile(filepath.Join(run.Workspace, "a.txt"), []byte("three\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := b.take(run, 4, journal.PhaseBefore)
	tests := []struct {
		name   string
		at     journal.Checkpoint
		path   string
		want   string
		exists bool
		err    error
	}{
		{"a file before", before, "a.txt", "one\n", true, nil},
		{"the same file after", after, "a.txt", "two\n", true, nil},
		{"a file not there yet", before, "b.txt", "", false, nil},
		{"a file made since", after, "b.txt", "new\n", true, nil},
		{"a folder is no file", before, "dir", "", false, nil},
		{"a link is no file", before, "link", "", false, nil},
		{"a binary file", before, "bin", "", true, checkpoint.ErrNotText},
		{"the latest state", big, "a.txt", "three\n", true, nil},
		{"in an excluded folder", before, "node_modules/x/i.js", "", false, checkpoint.ErrNotText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, exists, err := b.store.Text(tt.at, tt.path)
			if got != tt.want || exists != tt.exists || !errors.Is(err, tt.err) {
				t.Errorf("Text(%s) = %q, %v, %v; want %q, %v, %v", tt.path, got, exists, err, tt.want, tt.exists, tt.err)
			}
		})
	}
	// Over 256 KiB is not shown as text.
	if err := os.WriteFile(filepath.Join(run.Workspace, "large.txt"), []byte(strings.Repeat("x\n", 200<<10)), 0o644); err != nil {
		t.Fatal(err)
	}
	c := b.take(run, 6, journal.PhaseBefore)
	if _, exists, err := b.store.Text(c, "large.txt"); !exists || !errors.Is(err, checkpoint.ErrNotText) {
		t.Errorf("Text(large.txt) = %v, %v; want it there and ErrNotText", exists, err)
	}
}

// TestTextExcluded: a path a checkpoint left out says why.
func TestTextExcluded(t *testing.T) {
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "mkdir -p __pycache__ && printf 'x' > __pycache__/m.pyc")
	c := b.take(run, 2, journal.PhaseBefore)
	_, _, err := b.store.Text(c, "__pycache__/m.pyc")
	var ex *checkpoint.ExcludedError
	if !errors.As(err, &ex) || ex.Reason != checkpoint.ReasonFolder {
		t.Errorf("Text(__pycache__/m.pyc) = %v, want an ExcludedError for an excluded folder", err)
	}
}
