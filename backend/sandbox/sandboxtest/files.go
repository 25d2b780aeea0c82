package sandboxtest

import (
	"errors"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

func testFiles(t *testing.T, newSandbox Factory) {
	t.Run("WriteRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		tests := []struct {
			name string
			path string
			data string
		}{
			{"Top", "a.txt", "alpha\n"},
			{"ParentsCreated", "dir/nested/deep/b.txt", "beta\n"},
			{"Empty", "empty", ""},
			{"Unicode", "unicodé ✓.txt", "ünïcödé\n"},
			{"Binary", "bin.dat", "\x00\x01\xff\xfe"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := b.files.WriteFile(tt.path, []byte(tt.data), 0o644); err != nil {
					t.Fatalf("WriteFile(%q) error = %v", tt.path, err)
				}
				got, err := b.files.ReadFile(tt.path)
				if err != nil || string(got) != tt.data {
					t.Errorf("ReadFile(%q) = %q, %v, want %q", tt.path, got, err, tt.data)
				}
				fi, err := b.files.Stat(tt.path)
				if err != nil {
					t.Fatalf("Stat(%q) error = %v", tt.path, err)
				}
				if !fi.Mode().IsRegular() || fi.Size() != int64(len(tt.data)) {
					t.Errorf("Stat(%q) = mode %v size %d, want a regular file of %d bytes", tt.path, fi.Mode(), fi.Size(), len(tt.data))
				}
				if got := b.mustExec(t, "cat "+shellQuote(tt.path)); got != tt.data {
					t.Errorf("cat %q = %q, want %q", tt.path, got, tt.data)
				}
			})
		}
	})

	t.Run("OverwriteTruncates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		for _, data := range []string{"a long first version\n", "short\n", ""} {
			if err := b.files.WriteFile("f.txt", []byte(data), 0o644); err != nil {
				t.Fatalf("WriteFile(f.txt, %q) error = %v", data, err)
			}
			if got, err := b.files.ReadFile("f.txt"); err != nil || string(got) != data {
				t.Errorf("ReadFile(f.txt) = %q, %v, want %q", got, err, data)
			}
		}
	})

	t.Run("OverwriteKeepsMode", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		b.mustExec(t, "printf 'echo one\n' > run.sh && chmod 755 run.sh")
		if err := b.files.WriteFile("run.sh", []byte("echo two\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := b.mustExec(t, "./run.sh"); got != "two\n" {
			t.Errorf("./run.sh after WriteFile = %q, want %q (executable bit kept)", got, "two\n")
		}
	})

	t.Run("WriteThroughInsideLink", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		b.mustExec(t, "mkdir real && printf old > real/target.txt && ln -s real/target.txt link.txt && ln -s real linkdir")
		if err := b.files.WriteFile("link.txt", []byte("via link"), 0o644); err != nil {
			t.Fatalf("WriteFile(link.txt) error = %v", err)
		}
		if err := b.files.WriteFile("linkdir/new.txt", []byte("via dir link"), 0o644); err != nil {
			t.Fatalf("WriteFile(linkdir/new.txt) error = %v", err)
		}
		if got := b.mustExec(t, "cat real/target.txt; echo; cat real/new.txt; echo; [ -L link.txt ] && echo link-kept"); got != "via link\nvia dir link\nlink-kept\n" {
			t.Errorf("after writes through links: %q, want the targets written and the link kept", got)
		}
		if got, err := b.files.ReadFile("link.txt"); err != nil || string(got) != "via link" {
			t.Errorf("ReadFile(link.txt) = %q, %v, want %q", got, err, "via link")
		}
	})

	t.Run("ReadDir", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		for _, name := range []string{"b.txt", "a.txt", "sub/c.txt", "z/y/x.txt"} {
			if err := b.files.WriteFile(name, []byte(name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := b.files.ReadDir(".")
		if err != nil {
			t.Fatalf("ReadDir(.) error = %v", err)
		}
		var got []string
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() {
				n += "/"
			}
			got = append(got, n)
		}
		if want := []string{"a.txt", "b.txt", "sub/", "z/"}; !slices.Equal(got, want) {
			t.Errorf("ReadDir(.) = %q, want %q", got, want)
		}
	})

	t.Run("FS", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		for _, name := range []string{"a.txt", "dir/b.txt", "dir/sub/c.txt"} {
			if err := b.files.WriteFile(name, []byte("content of "+name), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := fstest.TestFS(b.files, "a.txt", "dir/b.txt", "dir/sub/c.txt"); err != nil {
			t.Errorf("fstest.TestFS: %v", err)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		if err := b.files.WriteFile("dir/file", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			op   func() error
			want error // errors.Is target, or errAny
		}{
			{"ReadMissing", func() error { _, err := b.files.ReadFile("missing"); return err }, fs.ErrNotExist},
			{"StatMissing", func() error { _, err := b.files.Stat("missing/x"); return err }, fs.ErrNotExist},
			{"ReadDirMissing", func() error { _, err := b.files.ReadDir("missing"); return err }, fs.ErrNotExist},
			{"ReadDirectory", func() error { _, err := b.files.ReadFile("dir"); return err }, errAny},
			{"WriteDirectory", func() error { return b.files.WriteFile("dir", []byte("x"), 0o644) }, errAny},
			{"WriteRoot", func() error { return b.files.WriteFile(".", []byte("x"), 0o644) }, errAny},
			{"WriteUnderFile", func() error { return b.files.WriteFile("dir/file/child", []byte("x"), 0o644) }, errAny},
			{"InvalidEmpty", func() error { _, err := b.files.ReadFile(""); return err }, errAny},
			{"InvalidDotSlash", func() error { _, err := b.files.ReadFile("./dir/file"); return err }, errAny},
			{"InvalidTrailingSlash", func() error { return b.files.WriteFile("dir/new/", []byte("x"), 0o644) }, errAny},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.op()
				if err == nil || (!errors.Is(tt.want, errAny) && !errors.Is(err, tt.want)) {
					t.Errorf("error = %v, want %v", err, tt.want)
				}
				if errors.Is(err, sandbox.ErrUnavailable) {
					t.Errorf("error = %v: a file error is not the sandbox being unavailable", err)
				}
			})
		}
	})

	t.Run("FIFODoesNotHang", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		b.mustExec(t, "mkfifo fifo")
		for _, op := range []struct {
			name string
			run  func() error
		}{
			{"ReadFile", func() error { _, err := b.files.ReadFile("fifo"); return err }},
			{"WriteFile", func() error { return b.files.WriteFile("fifo", []byte("x"), 0o644) }},
		} {
			done := make(chan error, 1)
			go func() { done <- op.run() }()
			timer := time.NewTimer(quick)
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("%s(fifo) succeeded, want an error (not a regular file)", op.name)
				}
			case <-timer.C:
				t.Fatalf("%s(fifo) hung for %v", op.name, quick)
			}
			timer.Stop()
		}
	})
}
