//go:build unix

package checkpoint

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestReadFile reads files whole whatever the size hint says (a file may change between its
// stat and its read) and refuses a link.
func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789"), 1000)
	for _, tc := range []struct {
		name string
		data []byte
		hint int64
	}{
		{"empty", nil, 0},
		{"as stated", []byte("hello\n"), 6},
		{"grew", big, 10},
		{"shrank", []byte("hi"), 4096},
		{"no hint", big, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readFile(p, tc.hint)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("readFile(%q, %d) = %d bytes, %v; want %d bytes", tc.name, tc.hint, len(got), err, len(tc.data))
			}
		})
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("as stated", link); err != nil {
		t.Fatal(err)
	}
	var pe *fs.PathError
	if _, err := readFile(link, 6); !errors.As(err, &pe) || pe.Path != link {
		t.Errorf("readFile(link) = %v; want a path error naming it (no link followed)", err)
	}
}

// TestCreateFile creates files with their exact mode and never writes through what is
// already at the name, a link planted there included.
func TestCreateFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, mode := range []fs.FileMode{0o644, 0o600, 0o755, 0o777, 0o400, 0o000, fs.ModeSetuid | 0o755, fs.ModeSticky | 0o644} {
		name := "f" + mode.String()
		if err := createFile(d, name, mode, []byte(name)); err != nil {
			t.Fatalf("createFile(%s) = %v", name, err)
		}
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & modeBits; got != mode&modeBits {
			t.Errorf("createFile(%s) made mode %v, want %v", name, got, mode&modeBits)
		}
		if fi.Size() != int64(len(name)) {
			t.Errorf("createFile(%s) wrote %d bytes, want %d", name, fi.Size(), len(name))
		}
	}
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "planted")); err != nil {
		t.Fatal(err)
	}
	if err := createFile(d, "planted", 0o644, []byte("written")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("createFile(over a link) = %v; want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(outside); string(data) != "untouched" {
		t.Errorf("the link's target holds %q; want it untouched", data)
	}
	if err := renameFile(d, "f-rw-r--r--", "planted"); err != nil {
		t.Fatalf("renameFile(over the link) = %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "planted")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("after renameFile the name is %v, %v; want the regular file (the link replaced)", fi, err)
	}
	if data, _ := os.ReadFile(outside); string(data) != "untouched" {
		t.Errorf("the link's target holds %q after the rename; want it untouched", data)
	}
}
