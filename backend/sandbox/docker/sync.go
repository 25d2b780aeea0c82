package docker

import (
	"archive/tar"
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
	"syscall"
	"time"

	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/walk"
)

// workspaceSync keeps a copied workspace in step between the host directory
// (the truth for Files and for the rest of Corral) and a container's
// /workspace volume, through the archive API.
//
// Before a command: the host is walked and what changed since the last
// sync (by type, size, mode, mtime, ctime, inode) is sent in one tar with
// CopyToContainer; what was deleted on the host is deleted in the container
// with rm.
//
// After a command: the wrapper lists the workspace with the ctime of every
// entry; entries changed since the command started (ctime is set by the
// kernel, so copies that keep old mtimes are caught), entries the host does
// not have and entries whose type differs are fetched with
// CopyFromContainer and written on the host through os.Root (a file is
// written beside its target and renamed over it, so neither a symbolic link
// nor a hard link on the host is written through); host entries missing
// from a complete listing are deleted unless the host changed them
// meanwhile. When the listing is unusable (no find or stat in the image, a
// file name with a newline, the wrapper killed), the whole workspace is
// fetched instead.
//
// Only directories, regular files, symbolic links and FIFOs are synced;
// hard links arrive as copies; ownership on each side is that side's user.
type workspaceSync struct {
	mu    sync.Mutex
	root  string
	owner ids                // whom files in the container belong to
	known map[string]fileSig // host entries as of the last sync, equal in the container
	dirty bool               // the container may hold changes not pulled yet
}

// fileSig is what tells a host entry changed (a folder's size is not compared).
type fileSig = walk.Info

func sigOf(fi fs.FileInfo) fileSig {
	in := walk.Stat(fi)
	if fi.IsDir() {
		in.Size = 0
	}
	return in
}

func syncableMode(m fs.FileMode) bool { return fileType(m) != 0 }

func newWorkspaceSync(root string) *workspaceSync {
	return &workspaceSync{root: root, known: map[string]fileSig{}}
}

// reset forgets everything: the next push copies the whole workspace into
// a fresh container, owned by owner there.
func (s *workspaceSync) reset(owner ids) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owner = owner
	s.known = map[string]fileSig{}
	s.dirty = false
}

func (s *workspaceSync) markDirty() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirty = true
}

// walkHost lists the host workspace. Directories it cannot read are
// returned in unreadable: what is under them is unknown, not deleted.
func walkHost(root *os.Root) (map[string]fileSig, []string, error) {
	entries := map[string]fileSig{}
	var unreadable []string
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			unreadable = append(unreadable, p)
			return nil
		}
		if p == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			unreadable = append(unreadable, p)
			return nil
		}
		entries[p] = sigOf(fi)
		return nil
	})
	return entries, unreadable, err
}

// under reports whether name is one of dirs or inside one of them.
func under(name string, dirs []string) bool {
	for _, d := range dirs {
		if name == d || strings.HasPrefix(name, d+"/") {
			return true
		}
	}
	return false
}

// topmost drops the names inside another name of the sorted list.
func topmost(sorted []string) []string {
	var out []string
	for _, n := range sorted {
		if len(out) > 0 && under(n, out[len(out)-1:]) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// push sends host changes since the last sync into container id.
func (s *workspaceSync) push(ctx context.Context, b *box, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("docker: sync workspace: %w", err)
	}
	defer root.Close()
	cur, unreadable, err := walkHost(root)
	if err != nil {
		return fmt.Errorf("docker: sync workspace: %w", err)
	}
	var changed, deleted []string
	for p, sig := range cur {
		if old, ok := s.known[p]; (!ok || old != sig) && syncableMode(sig.Mode) {
			changed = append(changed, p)
		}
	}
	for p := range s.known {
		if _, ok := cur[p]; !ok && !under(p, unreadable) {
			deleted = append(deleted, p)
		}
	}
	slices.Sort(changed)
	slices.Sort(deleted)
	deleted = topmost(deleted)

	for chunk := range slices.Chunk(deleted, 256) {
		argv := []string{"rm", "-rf", "--"}
		for _, p := range chunk {
			argv = append(argv, WorkDir+"/"+p)
		}
		code, out, err := b.run(ctx, id, argv)
		if err != nil {
			return fmt.Errorf("docker: sync workspace: delete in container: %w", err)
		}
		if code != 0 {
			return fmt.Errorf("docker: sync workspace: rm exited with %d: %s", code, lastLines(out, 3))
		}
	}
	if len(changed) > 0 {
		failed, err := s.copyIn(ctx, b, id, root, changed)
		if err != nil {
			return err
		}
		for _, p := range failed {
			delete(cur, p) // unknown: sent again next time
		}
	}
	s.known = cur
	return nil
}

// copyIn sends the named host entries into container id as one tar. It
// returns the entries that changed while being read.
func (s *workspaceSync) copyIn(ctx context.Context, b *box, id string, root *os.Root, names []string) ([]string, error) {
	pr, pw := io.Pipe()
	var failed []string
	wrote := make(chan error, 1)
	go func() {
		tw := tar.NewWriter(pw)
		var err error
		for _, p := range names {
			var retry bool
			if retry, err = addToTar(tw, root, p, s.owner); err != nil {
				break
			}
			if retry {
				failed = append(failed, p)
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
		wrote <- err
	}()
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	_, err := b.m.cli.CopyToContainer(opCtx, id, client.CopyToContainerOptions{
		DestinationPath:           WorkDir,
		Content:                   pr,
		AllowOverwriteDirWithFile: true,
	})
	pr.CloseWithError(errors.New("copy ended"))
	werr := <-wrote
	if err != nil {
		return nil, b.m.engineError(ctx, "copy workspace into container", err)
	}
	if werr != nil {
		return nil, fmt.Errorf("docker: sync workspace: %w", werr)
	}
	return failed, nil
}

// addToTar writes host entry p to tw. retry reports an entry that changed
// while it was read (or vanished); it is skipped or padded, and should be
// sent again.
func addToTar(tw *tar.Writer, root *os.Root, p string, owner ids) (retry bool, err error) {
	fi, err := root.Lstat(p)
	if err != nil {
		return true, nil
	}
	hdr := &tar.Header{Name: p, Mode: int64(fi.Mode().Perm()), ModTime: fi.ModTime(), Uid: owner.uid, Gid: owner.gid, Format: tar.FormatPAX}
	switch {
	case fi.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, p+"/"
		return false, tw.WriteHeader(hdr)
	case fi.Mode().Type() == fs.ModeSymlink:
		target, err := root.Readlink(p)
		if err != nil {
			return true, nil
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return false, tw.WriteHeader(hdr)
	case fi.Mode().Type() == fs.ModeNamedPipe:
		hdr.Typeflag = tar.TypeFifo
		return false, tw.WriteHeader(hdr)
	case !fi.Mode().IsRegular():
		return false, nil
	}
	f, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return true, nil
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return true, nil
	}
	hdr.Typeflag, hdr.Size, hdr.Mode, hdr.ModTime = tar.TypeReg, fi.Size(), int64(fi.Mode().Perm()), fi.ModTime()
	if err := tw.WriteHeader(hdr); err != nil {
		return false, err
	}
	n, err := io.CopyN(tw, f, fi.Size())
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if n < fi.Size() {
		// The file shrank while read: pad to the promised size.
		if _, err := io.CopyN(tw, zeros{}, fi.Size()-n); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// maxFetches is how many entries pull fetches one by one; more are fetched
// in one tar of the directory holding them all.
const maxFetches = 16

// pull brings the container's changes reported by tr to the host.
func (s *workspaceSync) pull(ctx context.Context, b *box, id string, tr *trailer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("docker: sync workspace: %w", err)
	}
	defer root.Close()
	if !tr.listed || s.dirty {
		if err := s.pullAll(ctx, b, id, root); err != nil {
			s.dirty = true
			return err
		}
		s.dirty = false
		return nil
	}

	names := make([]string, 0, len(tr.entries))
	for p := range tr.entries {
		names = append(names, p)
	}
	slices.Sort(names)
	var fetch []string
	dirModes := map[string]fs.FileMode{}
	for _, p := range names {
		e := tr.entries[p]
		if !e.mode.syncable() || under(p, fetch) {
			continue
		}
		k, known := s.known[p]
		retyped := !known || fileType(k.Mode) != e.mode.typ()
		changed := !e.ctime.Before(tr.stamp)
		switch {
		case retyped:
			fetch = append(fetch, p) // a directory comes whole
		case e.mode.typ() == modeDir:
			if changed && uint32(k.Mode.Perm()) != e.mode.perm()&0o777 {
				dirModes[p] = fs.FileMode(e.mode.perm() & 0o777)
			}
		case changed:
			fetch = append(fetch, p)
		}
	}
	var deleted []string
	if !tr.partial {
		for p := range s.known {
			if _, ok := tr.entries[p]; !ok {
				deleted = append(deleted, p)
			}
		}
		slices.Sort(deleted)
		deleted = topmost(deleted)
	}

	touched := map[string]bool{}
	if len(fetch) > maxFetches {
		base := commonDir(fetch)
		want := func(p string) bool { return under(p, fetch) }
		if err := s.fetch(ctx, b, id, root, base, want, touched, nil); err != nil {
			return err
		}
	} else {
		for _, p := range fetch {
			if err := s.fetch(ctx, b, id, root, p, nil, touched, nil); err != nil {
				return err
			}
		}
	}
	for _, p := range deleted {
		fi, err := root.Lstat(p)
		if err != nil {
			delete(s.known, p)
			continue
		}
		if sigOf(fi) != s.known[p] {
			continue // changed on the host meanwhile: the host's version wins
		}
		if err := root.RemoveAll(p); err != nil {
			return fmt.Errorf("docker: sync workspace: %w", err)
		}
		for k := range s.known {
			if under(k, []string{p}) {
				delete(s.known, k)
			}
		}
		touched[path.Dir(p)] = true
	}
	for p, perm := range dirModes {
		if err := root.Chmod(p, perm); err == nil {
			touched[p] = true
		}
	}
	s.refresh(root, touched)
	return nil
}

// pullAll fetches the whole workspace from container id and deletes host
// entries the container no longer has.
func (s *workspaceSync) pullAll(ctx context.Context, b *box, id string, root *os.Root) error {
	touched, seen := map[string]bool{}, map[string]bool{}
	if err := s.fetch(ctx, b, id, root, ".", nil, touched, seen); err != nil {
		return err
	}
	var deleted []string
	for p := range s.known {
		if !seen[p] {
			deleted = append(deleted, p)
		}
	}
	slices.Sort(deleted)
	for _, p := range topmost(deleted) {
		if fi, err := root.Lstat(p); err == nil && sigOf(fi) == s.known[p] {
			if err := root.RemoveAll(p); err != nil {
				return fmt.Errorf("docker: sync workspace: %w", err)
			}
		}
		for k := range s.known {
			if under(k, []string{p}) {
				delete(s.known, k)
			}
		}
	}
	s.refresh(root, touched)
	return nil
}

// refresh records the host state of the touched entries and their parent
// directories as synced.
func (s *workspaceSync) refresh(root *os.Root, touched map[string]bool) {
	for p := range touched {
		for q := p; q != "."; q = path.Dir(q) {
			if fi, err := root.Lstat(q); err == nil {
				s.known[q] = sigOf(fi)
			} else {
				delete(s.known, q)
			}
		}
	}
}

// fetch copies container entry p (with everything under it) to the host,
// writing only the entries want accepts (all when want is nil). Written
// entries are added to touched, and all entries met to seen (if not nil).
func (s *workspaceSync) fetch(ctx context.Context, b *box, id string, root *os.Root, p string, want func(string) bool, touched, seen map[string]bool) error {
	src := WorkDir + "/" + p
	if p == "." {
		src = WorkDir + "/."
	}
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	res, err := b.m.cli.CopyFromContainer(opCtx, id, client.CopyFromContainerOptions{SourcePath: src})
	if err != nil {
		if isNotFound(err) {
			return nil // gone again since the listing
		}
		return b.m.engineError(ctx, "copy workspace from container", err)
	}
	defer res.Content.Close()
	base := path.Dir(p)
	if p == "." {
		base = "."
	}
	if err := applyTar(root, res.Content, base, want, touched, seen); err != nil {
		return fmt.Errorf("docker: sync workspace: %w", err)
	}
	return nil
}

// applyTar writes the entries of a tar from CopyFromContainer under base on
// the host. Entries that cannot be written where they are (a parent is not
// a directory inside the workspace) are skipped.
func applyTar(root *os.Root, r io.Reader, base string, want func(string) bool, touched, seen map[string]bool) error {
	tr := tar.NewReader(r)
	type dirMeta struct {
		name  string
		perm  fs.FileMode
		mtime time.Time
	}
	var dirs []dirMeta
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := path.Join(base, path.Clean(hdr.Name))
		if name == "." || !validName(name) || (want != nil && !want(name)) {
			continue
		}
		if seen != nil {
			seen[name] = true
		}
		perm := fs.FileMode(hdr.Mode).Perm()
		var werr error
		switch hdr.Typeflag {
		case tar.TypeDir:
			if werr = ensureDir(root, name); werr == nil {
				dirs = append(dirs, dirMeta{name, perm, hdr.ModTime})
			}
		case tar.TypeReg:
			werr = replaceFile(root, name, tr, perm, hdr.ModTime)
		case tar.TypeSymlink:
			werr = replaceSymlink(root, name, hdr.Linkname)
		case tar.TypeFifo:
			werr = replaceFifo(root, name, perm)
		case tar.TypeLink:
			// A second name of a file earlier in this tar: a copy.
			target := path.Join(base, path.Clean(hdr.Linkname))
			if !validName(target) {
				continue
			}
			var f *os.File
			if f, werr = root.OpenFile(target, os.O_RDONLY|syscall.O_NONBLOCK, 0); werr == nil {
				werr = replaceFile(root, name, f, perm, hdr.ModTime)
				f.Close()
			}
		default:
			continue // devices and sockets stay in the container
		}
		if werr != nil {
			continue
		}
		touched[name] = true
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		_ = root.Chmod(d.name, d.perm)
		_ = root.Chtimes(d.name, d.mtime, d.mtime)
	}
	return nil
}

// ensureDir makes name a directory, replacing a file or link there.
func ensureDir(root *os.Root, name string) error {
	if fi, err := root.Lstat(name); err == nil {
		if fi.IsDir() {
			return nil
		}
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return root.Mkdir(name, 0o755)
}

// tempName returns a fresh name beside name.
func tempName(name string) string {
	return path.Join(path.Dir(name), ".corral-sync-"+randomHex(6))
}

// replaceFile writes r to a new file beside name and renames it over name.
func replaceFile(root *os.Root, name string, r io.Reader, perm fs.FileMode, mtime time.Time) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := tempName(name)
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Chmod(tmp, perm)
	}
	if err == nil {
		err = root.Chtimes(tmp, mtime, mtime)
	}
	if err == nil {
		err = renameOver(root, tmp, name)
	}
	if err != nil {
		_ = root.Remove(tmp)
	}
	return err
}

// replaceSymlink makes name a symbolic link to target.
func replaceSymlink(root *os.Root, name, target string) error {
	if cur, err := root.Readlink(name); err == nil && cur == target {
		return nil
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := tempName(name)
	if err := root.Symlink(target, tmp); err != nil {
		return err
	}
	if err := renameOver(root, tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

// replaceFifo makes name a FIFO (where the platform allows).
func replaceFifo(root *os.Root, name string, perm fs.FileMode) error {
	if fi, err := root.Lstat(name); err == nil && fi.Mode().Type() == fs.ModeNamedPipe {
		return root.Chmod(name, perm)
	}
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := tempName(name)
	if err := mkfifo(root, tmp, perm); err != nil {
		return err
	}
	if err := renameOver(root, tmp, name); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

// renameOver renames tmp to name, removing a directory in the way.
func renameOver(root *os.Root, tmp, name string) error {
	err := root.Rename(tmp, name)
	if err == nil {
		return nil
	}
	if fi, lerr := root.Lstat(name); lerr == nil && fi.IsDir() {
		if err := root.RemoveAll(name); err != nil {
			return err
		}
		return root.Rename(tmp, name)
	}
	return err
}

// fileType returns the st_mode type bits of an fs.FileMode.
func fileType(m fs.FileMode) uint32 {
	switch {
	case m.IsDir():
		return modeDir
	case m.Type() == fs.ModeSymlink:
		return modeLink
	case m.IsRegular():
		return modeReg
	case m.Type() == fs.ModeNamedPipe:
		return modeFifo
	}
	return 0
}

// commonDir returns the deepest directory holding all names ("." at worst).
func commonDir(names []string) string {
	dir := path.Dir(names[0])
	for _, n := range names[1:] {
		for dir != "." && !under(n, []string{dir}) {
			dir = path.Dir(dir)
		}
	}
	return dir
}

// validName reports a slash-separated name inside the workspace.
func validName(name string) bool {
	return name != "" && name != "." && fs.ValidPath(name)
}
