package checkpoint_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// bundle is a journal, a store and a session to make runs in, all in t.TempDir().
type bundle struct {
	t       *testing.T
	dataDir string
	j       *journal.Journal
	store   *checkpoint.Store
	session journal.Session
}

func setup(t *testing.T, opts checkpoint.Options) *bundle {
	t.Helper()
	dataDir := t.TempDir()
	j, err := journal.Open(t.Context(), filepath.Join(dataDir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	store, err := checkpoint.Open(dataDir, j, opts)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	t.Cleanup(store.Close)
	s, err := j.CreateSession(t.Context(), journal.Session{ID: journal.NewID("ses"), Title: "checkpoints", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{t: t, dataDir: dataDir, j: j, store: store, session: s}
}

// newRun makes a run in a fresh workspace.
func (b *bundle) newRun() journal.Run {
	b.t.Helper()
	ws := b.t.TempDir()
	run, err := b.j.CreateRun(b.t.Context(), journal.Run{ID: journal.NewID("run"), SessionID: b.session.ID, Workspace: ws, Status: journal.RunRunning})
	if err != nil {
		b.t.Fatal(err)
	}
	return run
}

func (b *bundle) take(run journal.Run, seq int, phase string) journal.Checkpoint {
	b.t.Helper()
	c, err := b.store.Take(b.t.Context(), checkpoint.Point{RunID: run.ID, Seq: seq, Phase: phase, Workspace: run.Workspace})
	if err != nil {
		b.t.Fatalf("Take(%d %s) = %v", seq, phase, err)
	}
	return c
}

// sh runs a shell script on the host in dir.
func sh(t *testing.T, dir, script string) {
	t.Helper()
	if script == "" {
		return
	}
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.test", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh %q: %v\n%s", script, err, out)
	}
}

// state describes a tree independently of the package: one line per path (type, mode,
// content hash or link target), skipping paths under skip.
func state(t *testing.T, root string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		mode := fi.Mode()
		switch {
		case mode.IsDir():
			out[rel] = fmt.Sprintf("dir %v", mode)
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link " + target
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			out[rel] = fmt.Sprintf("file %v %s", mode, hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("state(%s) = %v", root, err)
	}
	return out
}

// stateDiff lists how two states differ, a few lines at most.
func stateDiff(got, want map[string]string) string {
	var lines []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			lines = append(lines, fmt.Sprintf("missing %s (%s)", k, w))
		} else if g != w {
			lines = append(lines, fmt.Sprintf("%s: got %s, want %s", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, fmt.Sprintf("extra %s (%s)", k, g))
		}
	}
	slices.Sort(lines)
	if len(lines) > 8 {
		lines = append(lines[:8], fmt.Sprintf("... and %d more", len(lines)-8))
	}
	return strings.Join(lines, "\n")
}
