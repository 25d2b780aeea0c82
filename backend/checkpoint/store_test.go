package checkpoint_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
)

// TestUnchangedTreeReusesManifest: a second checkpoint of an unchanged tree names the same
// manifest and stores nothing.
func TestUnchangedTreeReusesManifest(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "mkdir -p a/b; echo 1 > a/b/c; echo 2 > d; ln -s d e")
	first := b.take(run, 2, journal.PhaseBefore)
	second := b.take(run, 2, journal.PhaseAfter)
	if second.Manifest != first.Manifest || second.AddedBytes != 0 {
		t.Errorf("Take() of an unchanged tree = manifest %s, %d bytes added; want %s and 0", second.Manifest, second.AddedBytes, first.Manifest)
	}
	if first.Files != 5 {
		t.Errorf("Take().Files = %d, want 5 (a, a/b, a/b/c, d, e)", first.Files)
	}
}

// TestDeltaChain takes more checkpoints of one workspace than a chain of deltas may hold,
// then rebuilds each into an empty folder: every one gives the tree as it was.
func TestDeltaChain(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "for i in $(seq 1 60); do echo $i > f$i; done")
	type point struct {
		c     journal.Checkpoint
		state map[string]string
	}
	var points []point
	for round := range 40 {
		sh(t, run.Workspace, fmt.Sprintf("echo round %d >> f%d; rm -f f%d; mkdir -p d%d", round, round+1, 60-round, round%5))
		points = append(points, point{b.take(run, round+2, journal.PhaseBefore), state(t, run.Workspace)})
	}
	for i, p := range points {
		dir := t.TempDir()
		if err := b.store.Materialize(t.Context(), p.c, dir); err != nil {
			t.Fatalf("Materialize(round %d) = %v", i, err)
		}
		if d := stateDiff(state(t, dir), p.state); d != "" {
			t.Errorf("Materialize(round %d) differs from the tree then:\n%s", i, d)
		}
	}
	manifests, _ := filepath.Glob(filepath.Join(b.store.Dir(), "manifests", "*", "*"))
	if len(manifests) != 40 {
		t.Errorf("%d manifests stored, want 40 (one per changed tree)", len(manifests))
	}
}

// TestDeltaOfRoot: when steps change a few files of a larger tree, a chain of deltas that
// reaches its bound goes on as a delta of the chain's whole manifest rather than a new
// whole one, in this process and in the next (a store opened again on the same data
// directory); every checkpoint still rebuilds the tree as it was.
func TestDeltaOfRoot(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "for i in $(seq 1 400); do echo $i > f$i; done")
	type point struct {
		c     journal.Checkpoint
		state map[string]string
	}
	var points []point
	round := func(store *checkpoint.Store, i int) {
		sh(t, run.Workspace, fmt.Sprintf("echo round %d >> f%d", i, i%7+1))
		c, err := store.Take(t.Context(), checkpoint.Point{RunID: run.ID, Seq: i + 2, Phase: journal.PhaseBefore, Workspace: run.Workspace})
		if err != nil {
			t.Fatalf("Take(round %d) = %v", i, err)
		}
		points = append(points, point{c, state(t, run.Workspace)})
	}
	for i := range 50 {
		round(b.store, i)
	}
	again, err := checkpoint.Open(b.dataDir, b.j, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Close)
	for i := 50; i < 90; i++ {
		round(again, i)
	}
	fresh, err := checkpoint.Open(b.dataDir, b.j, checkpoint.Options{NoWatch: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range points {
		dir := t.TempDir()
		if err := fresh.Materialize(t.Context(), p.c, dir); err != nil {
			t.Fatalf("Materialize(round %d) = %v", i, err)
		}
		if d := stateDiff(state(t, dir), p.state); d != "" {
			t.Errorf("Materialize(round %d) differs from the tree then:\n%s", i, d)
		}
	}
	if n := wholeManifests(t, b.store.Dir()); n != 1 {
		t.Errorf("%d manifests stored whole, want 1 (the first; the rest are deltas of it or of each other)", n)
	}
}

// wholeManifests counts the manifests of a store that are not deltas.
func wholeManifests(t *testing.T, dir string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "manifests", "*", "*"))
	n := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Base string `json:"base"`
		}
		if err := json.NewDecoder(zr).Decode(&st); err != nil {
			t.Fatalf("manifest %s: %v", f, err)
		}
		if st.Base == "" {
			n++
		}
	}
	return n
}

// TestExcludedAreListed: excluded folders and files over the limit are named with their
// reason, and a restore leaves them alone.
func TestExcludedAreListed(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{ExcludeFolders: []string{"cache"}, MaxFileSize: 1000})
	run := b.newRun()
	sh(t, run.Workspace, "mkdir -p cache/x node_modules; echo 1 > cache/x/y; head -c 2000 /dev/zero > big; echo small > s")
	c := b.take(run, 2, journal.PhaseBefore)
	for _, want := range []string{`{"path":"big","reason":"over the size limit","size":2000}`, `{"path":"cache","reason":"excluded folder"}`} {
		if !strings.Contains(string(c.Excluded), want) {
			t.Errorf("Excluded = %s, want %s", c.Excluded, want)
		}
	}
	if strings.Contains(string(c.Excluded), "node_modules") {
		t.Errorf("Excluded = %s; node_modules is not excluded when ExcludeFolders replaces the defaults", c.Excluded)
	}
	sh(t, run.Workspace, "rm -rf cache big s")
	res, err := b.store.Restore(t.Context(), c, checkpoint.RestoreOptions{})
	if err != nil {
		t.Fatalf("Restore() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(run.Workspace, "s")); err != nil {
		t.Errorf("s not restored: %v", err)
	}
	for _, gone := range []string{"cache", "big"} {
		if _, err := os.Stat(filepath.Join(run.Workspace, gone)); err == nil {
			t.Errorf("Restore() brought back excluded %s", gone)
		}
	}
	if len(res.Excluded) != 2 {
		t.Errorf("Restore().Excluded = %v, want cache and big", res.Excluded)
	}
}

// TestGitMovedWarns: a restore without .git says that HEAD moved and leaves .git alone.
func TestGitMovedWarns(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{})
	run := b.newRun()
	sh(t, run.Workspace, "git init -q -b main . && git config user.email t@example.test && git config user.name t && echo 1 > a && git add a && git commit -qm one")
	c := b.take(run, 2, journal.PhaseBefore)
	sh(t, run.Workspace, "echo 2 > a && git commit -qam two")
	head := readRef(t, run.Workspace)
	res, err := b.store.Restore(t.Context(), c, checkpoint.RestoreOptions{})
	if err != nil {
		t.Fatalf("Restore() = %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "HEAD or refs moved") || !strings.Contains(res.Warnings[0], "refs/heads/main") {
		t.Errorf("Restore().Warnings = %q, want one saying refs/heads/main moved", res.Warnings)
	}
	if got := readRef(t, run.Workspace); got != head {
		t.Errorf("refs/heads/main after a restore without git = %s, want it left at %s", got, head)
	}
	if data, _ := os.ReadFile(filepath.Join(run.Workspace, "a")); string(data) != "1\n" {
		t.Errorf("a = %q, want %q", data, "1\n")
	}
}

func readRef(t *testing.T, ws string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ws, ".git", "refs", "heads", "main"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestGC: the files of a deleted session's checkpoints go; over a budget the oldest
// checkpoints go first.
func TestGC(t *testing.T) {
	t.Parallel()
	b := setup(t, checkpoint.Options{})
	b.store.SetGCGrace(0)
	run := b.newRun()
	sh(t, run.Workspace, "head -c 100000 /dev/urandom > r1")
	b.take(run, 2, journal.PhaseBefore)
	u, err := b.store.Usage(t.Context())
	if err != nil || u.Checkpoints != 1 || u.Bytes < 100000 {
		t.Fatalf("Usage() = %+v, %v; want 1 checkpoint of over 100000 bytes", u, err)
	}
	if err := b.j.SetRunStatus(t.Context(), run.ID, journal.RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.j.DeleteSession(t.Context(), b.session.ID); err != nil {
		t.Fatal(err)
	}
	res, err := b.store.GC(t.Context())
	if err != nil {
		t.Fatalf("GC() = %v", err)
	}
	if res.Blobs != 1 || res.Manifests != 1 || res.Usage.Bytes != 0 || res.Usage.Checkpoints != 0 {
		t.Errorf("GC() after the session was deleted = %+v, want 1 blob and 1 manifest removed, nothing left", res)
	}

	budget := setup(t, checkpoint.Options{Budget: 250000})
	budget.store.SetGCGrace(0)
	run = budget.newRun()
	var ids []string
	for i := range 5 {
		sh(t, run.Workspace, "head -c 100000 /dev/urandom > r"+fmt.Sprint(i))
		ids = append(ids, budget.take(run, i+2, journal.PhaseBefore).ID)
		sh(t, run.Workspace, "rm r"+fmt.Sprint(i))
	}
	res, err = budget.store.GC(t.Context())
	if err != nil {
		t.Fatalf("GC() = %v", err)
	}
	if res.Usage.Bytes > 250000 || res.Checkpoints != 3 {
		t.Errorf("GC() over budget = %+v, want the 3 oldest checkpoints removed and at most 250000 bytes left", res)
	}
	for i, id := range ids {
		_, err := budget.j.CheckpointByID(t.Context(), id)
		if kept := err == nil; kept != (i >= 3) {
			t.Errorf("checkpoint %d kept = %v after GC, want %v", i, kept, i >= 3)
		}
	}
}

// TestDataDirNeverCaptured: a workspace that holds Corral's data directory (the journal and
// the store) leaves it out, so a restore can never write over the live journal.
func TestDataDirNeverCaptured(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	dataDir := filepath.Join(ws, ".corral")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(t.Context(), filepath.Join(dataDir, "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	store, err := checkpoint.Open(dataDir, j, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := j.CreateSession(t.Context(), journal.Session{ID: journal.NewID("ses"), Workspace: ws})
	run, err := j.CreateRun(t.Context(), journal.Run{ID: journal.NewID("run"), SessionID: s.ID, Workspace: ws, Status: journal.RunRunning})
	if err != nil {
		t.Fatal(err)
	}
	sh(t, ws, "echo x > a")
	c, err := store.Take(t.Context(), checkpoint.Point{RunID: run.ID, Seq: 2, Phase: journal.PhaseBefore, Workspace: ws})
	if err != nil {
		t.Fatalf("Take() = %v", err)
	}
	if c.Files != 1 || !strings.Contains(string(c.Excluded), `".corral"`) {
		t.Errorf("Take() = %d files, excluded %s; want a alone, and .corral listed as left out", c.Files, c.Excluded)
	}
}
