package app

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFolders(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"alpha", "alps", "beta", ".hidden"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "alfile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "beta"), filepath.Join(root, "allink")); err != nil {
		t.Fatal(err)
	}
	j := func(names ...string) []string {
		out := []string{}
		for _, n := range names {
			out = append(out, filepath.Join(root, n))
		}
		return out
	}
	tests := []struct {
		name    string
		partial string
		want    []string
	}{
		{"Prefix", filepath.Join(root, "al"), j("allink", "alpha", "alps")},
		{"Directory", root + string(filepath.Separator), j("allink", "alpha", "alps", "beta")},
		{"Hidden", filepath.Join(root, ".h"), j(".hidden")},
		{"NoMatch", filepath.Join(root, "zz"), []string{}},
		{"Relative", "alpha", []string{}},
		{"Missing", filepath.Join(root, "nowhere", "x"), []string{}},
		{"Empty", "", []string{}},
	}
	w := &Workspace{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := w.Folders(tt.partial)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("Folders(%q) = %q, %v; want %q", tt.partial, got, err, tt.want)
			}
		})
	}
}

func TestPickFolder(t *testing.T) {
	t.Parallel()
	w := &Workspace{}
	if _, err := w.PickFolder(); !errors.Is(err, ErrNoFolderDialog) {
		t.Errorf("PickFolder() without a window = %v, want ErrNoFolderDialog", err)
	}
	w.setFolderDialog(func(title string) (string, error) { return "/home/u/proj", nil })
	if got, err := w.PickFolder(); got != "/home/u/proj" || err != nil {
		t.Errorf("PickFolder() = %q, %v; want the dialog's folder", got, err)
	}
}
