package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/diff"
	"github.com/corral-dev/corral/backend/journal"
)

// Change operations of a restore plan.
const (
	OpCreate = "create" // the path is missing now and comes back
	OpModify = "modify" // contents or link target differ
	OpMode   = "mode"   // only the permissions differ
	OpType   = "type"   // a file, folder or link is replaced by another kind
	OpDelete = "delete" // the path did not exist at the checkpoint and goes
)

// maxDiffBytes bounds the files a preview diffs as text.
const maxDiffBytes = 256 << 10

// Change is one path a restore writes or removes.
type Change struct {
	Path string `json:"path"`
	Op   string `json:"op"`
	// Type is the entry's type at the checkpoint (TypeFile, TypeDir, TypeSymlink), or now
	// for a deletion.
	Type    string `json:"type"`
	OldSize int64  `json:"old_size"`
	NewSize int64  `json:"new_size"`
	OldMode string `json:"old_mode,omitempty"`
	NewMode string `json:"new_mode,omitempty"`
	// Binary is set for files not shown as text; Diff is the unified diff of a text file.
	Binary bool   `json:"binary,omitempty"`
	Diff   string `json:"diff,omitempty"`
}

// RestoreOptions say what a restore touches.
type RestoreOptions struct {
	// Git restores .git too; without it .git is left as it is (and a moved HEAD or ref is
	// reported as a warning).
	Git bool
	// Diffs fills Change.Diff in a preview.
	Diffs bool
}

// Plan is what a restore would change.
type Plan struct {
	Target  journal.Checkpoint `json:"-"`
	Changes []Change           `json:"changes"`
	// Excluded are the paths the restore leaves alone (left out of the checkpoint or of the
	// current state).
	Excluded []Excluded `json:"excluded"`
	Warnings []string   `json:"warnings"`

	target, current *Manifest
}

// Result is a finished restore.
type Result struct {
	Plan
	// Undo is the checkpoint of the workspace taken before the restore: restore it to undo.
	Undo    journal.Checkpoint
	Restore journal.Restore
}

// Preview returns what restoring a checkpoint would change in its workspace, without
// changing it.
func (s *Store) Preview(ctx context.Context, target journal.Checkpoint, opts RestoreOptions) (Plan, error) {
	tm, err := s.Load(target.Manifest)
	if err != nil {
		return Plan{}, err
	}
	s.mu.Lock()
	_, cur, _, err := s.snapshot(ctx, target.Workspace)
	s.mu.Unlock()
	if err != nil {
		return Plan{}, err
	}
	p := plan(cur, tm, opts)
	p.Target = target
	if opts.Diffs {
		s.fillDiffs(&p)
	}
	return p, nil
}

// Restore puts a checkpoint's workspace back as the checkpoint holds it. It first
// checkpoints the workspace as it is (phase restore, seq of the point restored), so the
// restore can be undone by restoring that, and records the restore in the journal.
func (s *Store) Restore(ctx context.Context, target journal.Checkpoint, opts RestoreOptions) (Result, error) {
	tm, err := s.Load(target.Manifest)
	if err != nil {
		return Result{}, err
	}
	undo, err := s.Take(ctx, Point{RunID: target.RunID, Seq: target.Seq, Phase: journal.PhaseRestore, Workspace: target.Workspace})
	if err != nil {
		return Result{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.Load(undo.Manifest)
	if err != nil {
		return Result{}, err
	}
	p := plan(cur, tm, opts)
	p.Target = target
	if err := s.apply(target.Workspace, p); err != nil {
		return Result{Plan: p, Undo: undo}, fmt.Errorf("checkpoint: restore %s: %w (the state before is checkpoint %s)", target.Workspace, err, undo.ID)
	}
	rec, err := s.journal.AddRestore(ctx, journal.Restore{
		RunID: target.RunID, Seq: target.Seq, Phase: target.Phase, Target: target.ID, Undo: undo.ID,
		Changed: len(p.Changes), Git: opts.Git, Warnings: p.Warnings,
	})
	if err != nil {
		return Result{Plan: p, Undo: undo}, fmt.Errorf("checkpoint: %w", err)
	}
	return Result{Plan: p, Undo: undo, Restore: rec}, nil
}

// plan compares the current state with the target.
func plan(cur, target *Manifest, opts RestoreOptions) Plan {
	p := Plan{target: target, current: cur, Changes: []Change{}, Warnings: []string{}}
	p.Excluded = append(append([]Excluded{}, target.Excluded...), cur.Excluded...)
	slices.SortFunc(p.Excluded, func(a, b Excluded) int { return strings.Compare(a.Path, b.Path) })
	p.Excluded = slices.CompactFunc(p.Excluded, func(a, b Excluded) bool { return a.Path == b.Path })
	skip := func(name string) bool {
		if !opts.Git && under(name, ".git") {
			return true
		}
		for _, x := range p.Excluded {
			if under(name, x.Path) {
				return true
			}
		}
		return false
	}
	for _, e := range cur.Entries {
		if _, ok := target.Get(e.Path); !ok && !skip(e.Path) {
			p.Changes = append(p.Changes, Change{Path: e.Path, Op: OpDelete, Type: e.Type, OldSize: e.Size, OldMode: modeText(e)})
		}
	}
	for _, t := range target.Entries {
		if skip(t.Path) {
			continue
		}
		c, ok := cur.Get(t.Path)
		ch := Change{Path: t.Path, Type: t.Type, NewSize: t.Size, NewMode: modeText(t)}
		switch {
		case !ok:
			ch.Op = OpCreate
		case c.same(t):
			continue
		case c.Type != t.Type:
			ch.Op, ch.OldSize, ch.OldMode = OpType, c.Size, modeText(c)
		case c.Hash != t.Hash || c.Target != t.Target:
			ch.Op, ch.OldSize, ch.OldMode = OpModify, c.Size, modeText(c)
		default:
			ch.Op, ch.OldSize, ch.OldMode = OpMode, c.Size, modeText(c)
		}
		p.Changes = append(p.Changes, ch)
	}
	slices.SortFunc(p.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	if moved := gitMoved(cur, target); moved != "" {
		if opts.Git {
			p.Warnings = append(p.Warnings, moved+"; .git is restored to the checkpoint too")
		} else {
			p.Warnings = append(p.Warnings, moved+"; .git is left as it is (restore with git to put it back too)")
		}
	}
	return p
}

func modeText(e Entry) string {
	if e.Type == TypeSymlink {
		return ""
	}
	return fmt.Sprintf("%04o", uint32(e.Mode.Perm())|extraBits(e.Mode))
}

func extraBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// gitMoved says how HEAD or refs differ between two states of .git ("" when they agree).
func gitMoved(cur, target *Manifest) string {
	isRef := func(name string) bool {
		return name == ".git/HEAD" || name == ".git/packed-refs" || under(name, ".git/refs")
	}
	var moved []string
	seen := map[string]bool{}
	for _, m := range []*Manifest{cur, target} {
		for _, e := range m.Entries {
			if !isRef(e.Path) || e.Type == TypeDir || seen[e.Path] {
				continue
			}
			seen[e.Path] = true
			a, okA := cur.Get(e.Path)
			b, okB := target.Get(e.Path)
			if okA != okB || !a.same(b) {
				moved = append(moved, strings.TrimPrefix(e.Path, ".git/"))
			}
		}
	}
	if len(moved) == 0 {
		return ""
	}
	slices.Sort(moved)
	return "HEAD or refs moved since the checkpoint (" + strings.Join(moved, ", ") + ")"
}

// fillDiffs adds text diffs (or marks binaries) for files whose contents change.
func (s *Store) fillDiffs(p *Plan) {
	for i := range p.Changes {
		ch := &p.Changes[i]
		if ch.Type != TypeFile && ch.Op != OpDelete {
			continue
		}
		var before, after string
		var okB, okA bool
		if c, ok := p.current.Get(ch.Path); ok && c.Type == TypeFile {
			before, okB = s.text(c)
		} else {
			okB = true
		}
		if t, ok := p.target.Get(ch.Path); ok && t.Type == TypeFile {
			after, okA = s.text(t)
		} else {
			okA = true
		}
		if !okA || !okB {
			ch.Binary = true
			continue
		}
		if before != after {
			ch.Diff = diff.Lines(before, after, 3).Unified("now/"+ch.Path, "checkpoint/"+ch.Path)
		}
	}
}

// text reads a file's content from the store if it is small text.
func (s *Store) text(e Entry) (string, bool) {
	if e.Size > maxDiffBytes {
		return "", false
	}
	f, err := s.blobs.open(e.Hash)
	if err != nil {
		return "", false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDiffBytes+1))
	if err != nil || !utf8.Valid(data) || slices.Contains(data, 0) {
		return "", false
	}
	return string(data), true
}

// apply makes the workspace match the plan's target, through an os.Root so no link can
// lead a write outside it.
func (s *Store) apply(workspace string, p Plan) error {
	root, err := os.OpenRoot(workspace)
	if err != nil {
		return err
	}
	defer root.Close()
	// Folders that cannot be written now are opened up; the last pass sets every folder's
	// mode as the checkpoint has it.
	for _, e := range p.current.Entries {
		if e.Type == TypeDir && e.Mode&0o700 != 0o700 {
			if err := root.Chmod(e.Path, e.Mode|0o700); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	var removals, writes []Change
	for _, ch := range p.Changes {
		switch ch.Op {
		case OpDelete, OpType:
			removals = append(removals, ch)
		}
		if ch.Op != OpDelete {
			writes = append(writes, ch)
		}
	}
	// Children before their parents.
	slices.SortFunc(removals, func(a, b Change) int { return strings.Compare(b.Path, a.Path) })
	for _, ch := range removals {
		if err := root.RemoveAll(ch.Path); err != nil {
			return err
		}
	}
	// Folders first, parents before their children; then files and links, several at once.
	var files []Change
	for _, ch := range writes {
		if ch.Type != TypeDir {
			files = append(files, ch)
			continue
		}
		t, _ := p.target.Get(ch.Path)
		if err := s.write(root, t, ch.Op); err != nil {
			return fmt.Errorf("%s: %w", ch.Path, err)
		}
	}
	if err := s.writeAll(root, p.target, files); err != nil {
		return err
	}
	written := make(map[string]bool, len(writes))
	for _, ch := range writes {
		written[ch.Path] = true
	}
	var dirs []Entry
	for _, e := range p.target.Entries {
		if e.Type == TypeDir && (written[e.Path] || p.opened(e.Path)) {
			dirs = append(dirs, e)
		}
	}
	slices.Reverse(dirs)
	for _, e := range dirs {
		if err := root.Chmod(e.Path, e.Mode); err != nil {
			return err
		}
	}
	return nil
}

// opened reports whether apply opened up the folder (its mode lacked owner bits).
func (p Plan) opened(name string) bool {
	c, ok := p.current.Get(name)
	return ok && c.Type == TypeDir && c.Mode&0o700 != 0o700
}

// write puts one target entry in place.
func (s *Store) write(root *os.Root, e Entry, op string) error {
	switch e.Type {
	case TypeDir:
		if op == OpMode {
			return nil // the folder pass sets it
		}
		if err := root.Mkdir(e.Path, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		return nil
	case TypeSymlink:
		if err := root.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return root.Symlink(e.Target, e.Path)
	}
	if op == OpMode {
		return root.Chmod(e.Path, e.Mode)
	}
	src, err := s.blobs.open(e.Hash)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := path.Join(parentOf(e.Path), ".corral-restore-"+journal.NewID("tmp"))
	if op == OpCreate {
		tmp = e.Path // nothing is there to replace: write it in place
	}
	perm := fs.FileMode(0o600)
	if e.Mode == e.Mode&fs.ModePerm&^umask() {
		perm = e.Mode // the umask leaves it as it is: no chmod needed
	}
	dst, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if e.Size <= smallFile {
		// One read and one write: cheaper than io.Copy's copy_file_range for small files.
		var data []byte
		if data, err = io.ReadAll(src); err == nil {
			_, err = dst.Write(data)
		}
	} else {
		_, err = io.Copy(dst, src)
	}
	if err == nil && perm != e.Mode {
		err = dst.Chmod(e.Mode) // the mode asked of OpenFile passes through the umask
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil && tmp != e.Path {
		err = root.Rename(tmp, e.Path)
	}
	if err != nil {
		_ = root.Remove(tmp)
	}
	return err
}

// Materialize writes a checkpoint's workspace, .git included, into dir, which must be empty
// (a forked session's new workspace).
func (s *Store) Materialize(ctx context.Context, c journal.Checkpoint, dir string) error {
	tm, err := s.Load(c.Manifest)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: materialize: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("checkpoint: materialize into %s: the folder is not empty", dir)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p := plan(&Manifest{}, tm, RestoreOptions{Git: true})
	if err := s.apply(dir, p); err != nil {
		return fmt.Errorf("checkpoint: materialize %s into %s: %w", c.ID, dir, err)
	}
	return nil
}

// restoreWorkers write files at once during a restore.
const restoreWorkers = 4

// writeAll writes files and links (no folders) from several goroutines, one folder at a
// time each (opened once, so each file is one openat below it), stopping at the first error.
func (s *Store) writeAll(root *os.Root, target *Manifest, changes []Change) error {
	byDir := map[string][]Change{}
	var dirs []string
	for _, ch := range changes {
		d := parentOf(ch.Path)
		if _, ok := byDir[d]; !ok {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], ch)
	}
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	for range restoreWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(dirs) || failed() {
					return
				}
				if err := s.writeDir(root, target, dirs[i], byDir[dirs[i]]); err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// writeDir writes the changes of one folder through a root opened on it (and, where the
// platform allows, small files through the folder's descriptor: see createFile).
func (s *Store) writeDir(root *os.Root, target *Manifest, dir string, changes []Change) error {
	sub := root
	if dir != "." {
		var err error
		if sub, err = root.OpenRoot(dir); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		defer sub.Close()
	}
	var fd *os.File
	if folderCalls {
		var err error
		if fd, err = sub.Open("."); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		defer fd.Close()
	}
	for _, ch := range changes {
		t, _ := target.Get(ch.Path)
		t.Path = path.Base(t.Path)
		var err error
		if fd != nil && t.Type == TypeFile && ch.Op != OpMode && t.Size <= smallFile {
			err = s.writeSmall(sub, fd, t, ch.Op)
		} else {
			err = s.write(sub, t, ch.Op)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", ch.Path, err)
		}
	}
	return nil
}

// writeSmall writes a file of at most smallFile bytes named e.Path in the folder open as
// both sub and fd: the blob read whole, the file created with its mode (in place when
// nothing is there, else beside it and renamed over it).
func (s *Store) writeSmall(sub *os.Root, fd *os.File, e Entry, op string) error {
	data, err := s.blobs.read(e.Hash, e.Size)
	if err != nil {
		return err
	}
	name := e.Path
	if op != OpCreate {
		name = ".corral-restore-" + journal.NewID("tmp")
	}
	if err := createFile(fd, name, e.Mode, data); err != nil {
		return err
	}
	if name != e.Path {
		if err := renameFile(fd, name, e.Path); err != nil {
			_ = sub.Remove(name)
			return err
		}
	}
	return nil
}
