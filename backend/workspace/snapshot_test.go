package workspace_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"testing"

	"github.com/corral-dev/corral/backend/workspace"
)

func TestSnapshot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(tr *tree)
		opts  workspace.Options
		want  []string
	}{
		{
			name: "TreeOrder",
			build: func(tr *tree) {
				tr.write("a-c", "x")
				tr.write("a/b", "x")
				tr.write("B", "x")
				tr.write("a/z/y", "x")
				tr.write("a.txt", "x")
			},
			want: []string{"B", "a/", "a/b", "a/z/", "a/z/y", "a-c", "a.txt"},
		},
		{
			name: "AlwaysIgnoredShownCollapsed",
			build: func(tr *tree) {
				tr.write(".git/HEAD", "ref")
				tr.write("node_modules/pkg/index.js", "x")
				tr.write("web/node_modules/x.js", "x")
				tr.write("web/app.js", "x")
			},
			want: []string{".git/ ignored", "node_modules/ ignored", "web/", "web/app.js", "web/node_modules/ ignored"},
		},
		{
			name: "GitignoreWithNegation",
			build: func(tr *tree) {
				tr.write(".gitignore", "build/\n*.log\n!keep.log\n# comment\n\n")
				tr.write("build/out.bin", "x")
				tr.write("src/build/deep.bin", "x")
				tr.write("debug.log", "x")
				tr.write("keep.log", "x")
				tr.write("src/trace.log", "x")
			},
			want: []string{
				".gitignore", "build/ ignored", "debug.log ignored", "keep.log",
				"src/", "src/build/ ignored", "src/trace.log ignored",
			},
		},
		{
			name: "NestedGitignore",
			build: func(tr *tree) {
				tr.write("a.tmp", "x")
				tr.write("sub/.gitignore", "*.tmp\n/only-here\n")
				tr.write("sub/b.tmp", "x")
				tr.write("sub/only-here", "x")
				tr.write("sub/deeper/only-here", "x")
				tr.write("sub/deeper/c.tmp", "x")
				tr.write("sub/deeper/.gitignore", "!c.tmp\n")
			},
			want: []string{
				"a.tmp", "sub/", "sub/.gitignore", "sub/b.tmp ignored", "sub/deeper/",
				"sub/deeper/.gitignore", "sub/deeper/c.tmp", "sub/deeper/only-here", "sub/only-here ignored",
			},
		},
		{
			name: "IgnoreFileAndOptions",
			build: func(tr *tree) {
				tr.write(".ignore", "vendor/\n")
				tr.write("vendor/x.go", "x")
				tr.write("dist/app.js", "x")
				tr.write("main.go", "x")
			},
			opts: workspace.Options{Ignore: []string{"dist/"}},
			want: []string{".ignore", "dist/ ignored", "main.go", "vendor/ ignored"},
		},
		{
			name: "SymlinksListedNotFollowed",
			build: func(tr *tree) {
				tr.write("target/f.txt", "x")
				tr.symlink("target", "link")
				tr.symlink("target/f.txt", "flink")
				tr.symlink("missing", "dangling")
			},
			want: []string{"dangling@", "flink@", "link@", "target/", "target/f.txt"},
		},
		{
			name:  "Empty",
			build: func(*tree) {},
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newTree(t)
			tt.build(tr)
			entries, err := workspace.Snapshot(context.Background(), tr.root, tt.opts)
			if err != nil {
				t.Fatalf("Snapshot() = %v", err)
			}
			if got := paths(entries); !slices.Equal(got, tt.want) {
				t.Errorf("Snapshot() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSnapshotEntry(t *testing.T) {
	t.Parallel()
	tr := newTree(t)
	tr.write("dir/file.txt", "hello")
	entries, err := workspace.Snapshot(context.Background(), tr.root, workspace.Options{})
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	info, err := os.Stat(tr.abs("dir/file.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := workspace.Entry{Path: "dir/file.txt", Size: 5, ModTime: info.ModTime()}
	if len(entries) != 2 || entries[1] != want {
		t.Errorf("Snapshot() = %+v, want [dir/, %+v]", entries, want)
	}
	if !entries[0].Dir || entries[0].Size != 0 {
		t.Errorf("Snapshot()[0] = %+v, want a directory of size 0", entries[0])
	}
}

func TestSnapshotRootErrors(t *testing.T) {
	t.Parallel()
	tr := newTree(t)
	tr.write("file", "x")
	tests := []struct {
		name string
		root string
		want error
	}{
		{"Missing", tr.abs("missing"), fs.ErrNotExist},
		{"File", tr.abs("file"), fs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := workspace.Snapshot(context.Background(), tt.root, workspace.Options{}); !errors.Is(err, tt.want) {
				t.Errorf("Snapshot(%q) = %v, want %v", tt.root, err, tt.want)
			}
			if _, err := workspace.New(tt.root, workspace.Options{}); !errors.Is(err, tt.want) {
				t.Errorf("New(%q) = %v, want %v", tt.root, err, tt.want)
			}
		})
	}
}

// TestSnapshotPermissionDenied needs a user that permissions apply to; as
// root, the injected failure in TestUnreadableDirectory covers it.
func TestSnapshotPermissionDenied(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("permissions do not apply to root")
	}
	tr := newTree(t)
	tr.write("secret/key", "x")
	tr.write("open.txt", "x")
	if err := os.Chmod(tr.abs("secret"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(tr.abs("secret"), 0o755) })
	entries, err := workspace.Snapshot(context.Background(), tr.root, workspace.Options{})
	if err != nil {
		t.Fatalf("Snapshot() = %v", err)
	}
	want := []string{"open.txt", "secret/ unreadable"}
	if got := paths(entries); !slices.Equal(got, want) {
		t.Errorf("Snapshot() = %q, want %q", got, want)
	}
}
