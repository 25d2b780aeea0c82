package walk_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/walk"
)

// tree makes dirs folders of files files each under a temporary root.
func tree(t *testing.T, dirs, files int) string {
	t.Helper()
	root := t.TempDir()
	for d := range dirs {
		dir := filepath.Join(root, fmt.Sprintf("d%d", d), "sub")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range files {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", f)), []byte("x"), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink("d0", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	return root
}

// listDirs is a Tree job function that lists folders by absolute path.
func listDirs(seen *[]string, mu *sync.Mutex) func(context.Context, int, string) ([]string, error) {
	return func(_ context.Context, _ int, dir string) ([]string, error) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		*seen = append(*seen, dir)
		mu.Unlock()
		var next []string
		for _, e := range entries {
			if e.IsDir() {
				next = append(next, filepath.Join(dir, e.Name()))
			}
		}
		return next, nil
	}
}

func TestTree(t *testing.T) {
	t.Parallel()
	root := tree(t, 20, 0)
	for _, workers := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var seen []string
			var mu sync.Mutex
			if err := walk.Tree(t.Context(), workers, []string{root}, listDirs(&seen, &mu)); err != nil {
				t.Fatalf("Tree() = %v", err)
			}
			var want []string
			_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					want = append(want, p)
				}
				return err
			})
			sort.Strings(seen)
			sort.Strings(want)
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("Tree() listed %d folders, want %d: %v", len(seen), len(want), seen)
			}
		})
	}
}

func TestTreeStopsAtFirstError(t *testing.T) {
	t.Parallel()
	root := tree(t, 50, 0)
	boom := errors.New("boom")
	var mu sync.Mutex
	calls := 0
	err := walk.Tree(t.Context(), 4, []string{root}, func(ctx context.Context, w int, dir string) ([]string, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		if dir != root {
			return nil, boom
		}
		return listDirs(new([]string), new(sync.Mutex))(ctx, w, dir)
	})
	if !errors.Is(err, boom) {
		t.Errorf("Tree() = %v, want %v", err, boom)
	}
	if calls > 1+4 {
		t.Errorf("Tree() listed %d folders after the first error, want at most one per worker", calls-1)
	}
}

func TestStatAtMatchesLstat(t *testing.T) {
	t.Parallel()
	root := tree(t, 1, 3)
	if err := os.Chmod(filepath.Join(root, "d0", "sub", "f1"), 0o4755|fs.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{root, filepath.Join(root, "d0", "sub")} {
		f, err := os.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		names, err := f.Readdirnames(-1)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, "vanished")
		got := map[string]walk.Info{}
		walk.StatAt(f, names, func(i int, in walk.Info) { got[names[i]] = in })
		f.Close()
		if _, ok := got["vanished"]; ok || len(got) != len(names)-1 {
			t.Errorf("StatAt(%s) gave %d names, want %d (not the vanished one)", dir, len(got), len(names)-1)
		}
		for name, in := range got {
			fi, err := os.Lstat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if want := walk.Stat(fi); in != want {
				t.Errorf("StatAt(%s) = %+v, want %+v (Lstat)", name, in, want)
			}
		}
	}
}
