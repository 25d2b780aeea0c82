package sandbox_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
)

func openDir(t *testing.T) (*sandbox.Dir, string) {
	t.Helper()
	ws := t.TempDir()
	d, err := sandbox.OpenDir(ws)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, ws
}

func TestDirNames(t *testing.T) {
	t.Parallel()
	d, ws := openDir(t)
	if err := os.WriteFile(filepath.Join(ws, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"Plain", "f", nil},
		{"Root", ".", nil},
		{"Parent", "..", sandbox.ErrOutsideWorkspace},
		{"ParentChild", "../f", sandbox.ErrOutsideWorkspace},
		{"InnerDotDot", "a/../f", sandbox.ErrOutsideWorkspace},
		{"Absolute", "/etc/passwd", sandbox.ErrOutsideWorkspace},
		{"Empty", "", fs.ErrInvalid},
		{"DotSlash", "./f", fs.ErrInvalid},
		{"DoubleSlash", "a//f", fs.ErrInvalid},
		{"TrailingSlash", "f/", fs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.Stat(tt.path)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Stat(%q) error = %v, want %v", tt.path, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.path) {
				t.Errorf("Stat(%q) error %q does not name the path", tt.path, err)
			}
		})
	}
}

func TestDirSymlinkOutside(t *testing.T) {
	t.Parallel()
	d, ws := openDir(t)
	if err := os.Symlink("/etc", filepath.Join(ws, "etc")); err != nil {
		t.Fatal(err)
	}
	_, err := d.ReadFile("etc/hostname")
	if !errors.Is(err, sandbox.ErrOutsideWorkspace) {
		t.Fatalf("ReadFile(etc/hostname) error = %v, want %v", err, sandbox.ErrOutsideWorkspace)
	}
	if want := "read etc/hostname: sandbox: path is outside the workspace (a symbolic link leads outside)"; err.Error() != want {
		t.Errorf("ReadFile(etc/hostname) error = %q, want %q", err, want)
	}
}

// TestDirWriteRefusesHardLinks checks the strict local behaviour the
// conformance suite allows a copying sandbox to relax: a file with several
// links is never written, even when both links are inside.
func TestDirWriteRefusesHardLinks(t *testing.T) {
	t.Parallel()
	d, ws := openDir(t)
	out := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(out, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("mine.txt", []byte("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("mine.txt", []byte("v2"), 0o644); err != nil {
		t.Fatalf("overwrite of a singly linked file: %v", err)
	}
	if err := os.Link(filepath.Join(ws, "mine.txt"), filepath.Join(ws, "twin.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(out, filepath.Join(ws, "to-outside")); err != nil {
		t.Skipf("cannot hard-link within the temp dir: %v", err)
	}
	tests := []struct {
		name string
		path string
	}{
		{"LinkToOutside", "to-outside"},
		{"BothLinksInside", "mine.txt"},
		{"TheOtherInsideLink", "twin.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.WriteFile(tt.path, []byte("changed"), 0o644)
			if !errors.Is(err, sandbox.ErrOutsideWorkspace) || !strings.Contains(err.Error(), "2 hard links") {
				t.Errorf("WriteFile(%q) error = %v, want %v mentioning the 2 hard links", tt.path, err, sandbox.ErrOutsideWorkspace)
			}
		})
	}
	if data, _ := os.ReadFile(out); string(data) != "outside\n" {
		t.Errorf("outside file = %q, want it unchanged", data)
	}
	if data, _ := os.ReadFile(filepath.Join(ws, "mine.txt")); string(data) != "v2" {
		t.Errorf("mine.txt = %q, want %q unchanged", data, "v2")
	}
}

// TestDirRefusesHardLinkedReads (issue 14 finding 9): the read tool and the file viewer read
// through Open and ReadFile, which refuse a file with several hard links as WriteFile does:
// another link may be outside the workspace (here, a secret linked in from elsewhere).
func TestDirRefusesHardLinkedReads(t *testing.T) {
	t.Parallel()
	d, ws := openDir(t)
	secret := filepath.Join(t.TempDir(), "shadow")
	if err := os.WriteFile(secret, []byte("root:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(ws, "innocent.txt")); err != nil {
		t.Skipf("cannot hard-link within the temp dir: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(ws, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(ws, "sub", "deeper")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "plain.txt"), []byte("plain"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		path  string
		links string // "" when the read must succeed
	}{
		{"LinkToOutside", "innocent.txt", "3 hard links"},
		{"LinkInSubdir", "sub/deeper", "3 hard links"},
		{"SingleLink", "plain.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rerr := d.ReadFile(tt.path)
			f, oerr := d.Open(tt.path)
			if oerr == nil {
				f.Close()
			}
			for op, err := range map[string]error{"ReadFile": rerr, "Open": oerr} {
				switch {
				case tt.links == "" && err != nil:
					t.Errorf("%s(%q) = %v, want it read", op, tt.path, err)
				case tt.links != "" && (!errors.Is(err, sandbox.ErrOutsideWorkspace) || !strings.Contains(err.Error(), tt.links)):
					t.Errorf("%s(%q) error = %v, want %v mentioning %s", op, tt.path, err, sandbox.ErrOutsideWorkspace, tt.links)
				}
			}
		})
	}
	if f, err := d.Open("sub"); err != nil {
		t.Errorf("Open(sub) = %v; a directory's link count is not a hard link", err)
	} else {
		f.Close()
	}
}
