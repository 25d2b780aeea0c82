package tool_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/tool"
)

func TestWrite(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "existing.txt", "one\ntwo\nthree\n")
	b.file(t, "dir/keep", "")
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(b.ws, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(b.ws, "hardlink")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		input    string
		want     want
		file     string // checked on the host afterwards
		content  string
		created  bool
		added    int
		removed  int
		diffHead string
	}{
		{name: "Create", input: `{"path":"new.txt","content":"hello\nworld\n"}`,
			want: want{exact: ptr("Created new.txt (12 bytes, 2 lines).")}, file: "new.txt", content: "hello\nworld\n", created: true},
		{name: "CreateParents", input: `{"path":"a/b/c/deep.txt","content":"x"}`,
			want: want{exact: ptr("Created a/b/c/deep.txt (1 byte, 1 line).")}, file: "a/b/c/deep.txt", content: "x", created: true},
		{name: "CreateEmpty", input: `{"path":"empty","content":""}`,
			want: want{exact: ptr("Created empty (0 bytes, 0 lines).")}, file: "empty", content: "", created: true},
		{name: "AbsoluteInside", input: `{"path":"$WS/abs.txt","content":"abs"}`,
			want: want{contains: []string{"Created abs.txt"}}, file: "abs.txt", content: "abs", created: true},
		{name: "Overwrite", input: `{"path":"existing.txt","content":"one\n2\nthree\n"}`,
			want: want{exact: ptr("Overwrote existing.txt (12 bytes, 3 lines).")}, file: "existing.txt", content: "one\n2\nthree\n",
			added: 1, removed: 1, diffHead: "--- a/existing.txt\n+++ b/existing.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"},
		{name: "Directory", input: `{"path":"dir","content":"x"}`, want: want{isError: true, exact: ptr("dir is a directory.")}},
		{name: "Root", input: `{"path":".","content":"x"}`, want: want{isError: true, contains: []string{"workspace root"}}},
		{name: "MissingContent", input: `{"path":"x.txt"}`, want: want{isError: true, contains: []string{"content is missing"}}, file: "x.txt", content: "<missing>"},
		{name: "Outside", input: `{"path":"../x.txt","content":"x"}`, want: want{isError: true, contains: []string{"../x.txt is outside the workspace"}}},
		{name: "SymlinkOutside", input: `{"path":"escape","content":"changed"}`,
			want: want{isError: true, exact: ptr("escape is outside the workspace (a symbolic link leads outside); only files inside it can be used.")}},
		{name: "HardLinkToOutside", input: `{"path":"hardlink","content":"changed"}`,
			want: want{isError: true, contains: []string{"hardlink is outside the workspace (the file has 2 hard links"}}},
		{name: "UnderAFile", input: `{"path":"existing.txt/child","content":"x"}`, want: want{isError: true, contains: []string{"existing.txt/child"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.run(t, &tool.Write{}, tt.input)
			tt.want.check(t, tt.input, res)
			if tt.file != "" {
				if got := b.read(t, tt.file); got != tt.content {
					t.Errorf("after Run(%s), %s = %q, want %q", tt.input, tt.file, got, tt.content)
				}
			}
			if res.Meta.Created != tt.created || res.Meta.Added != tt.added || res.Meta.Removed != tt.removed {
				t.Errorf("Meta = %+v, want created %v, +%d -%d", res.Meta, tt.created, tt.added, tt.removed)
			}
			if res.Meta.Diff != tt.diffHead {
				t.Errorf("Meta.Diff = %q, want %q", res.Meta.Diff, tt.diffHead)
			}
		})
	}
	if data, _ := os.ReadFile(outside); string(data) != "outside\n" {
		t.Errorf("outside file = %q, want it unchanged", data)
	}
}
