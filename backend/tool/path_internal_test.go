package tool

import (
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
)

func TestResolvePath(t *testing.T) {
	t.Parallel()
	info := sandbox.Info{Workspace: "/home/u/proj", WorkDir: "/workspace"}
	tests := []struct {
		in   string
		want string // "" = refused
	}{
		{"main.go", "main.go"},
		{"./src/../main.go", "main.go"},
		{"src/", "src"},
		{".", "."},
		{"/home/u/proj", "."},
		{"/home/u/proj/src/a.go", "src/a.go"},
		{"/workspace/src/a.go", "src/a.go"},
		{"/workspace", "."},
		{" src/a.go ", "src/a.go"},
		{"..", ""},
		{"../proj/x", ""},
		{"src/../../x", ""},
		{"/home/u/projx/a.go", ""},
		{"/workspacex", ""},
		{"/etc/passwd", ""},
		{"~/.ssh/id_rsa", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, bad := resolvePath(info, tt.in)
			if tt.want == "" {
				if bad == nil || !bad.IsError {
					t.Errorf("resolvePath(%q) = %q, want refused", tt.in, got)
				}
				return
			}
			if bad != nil || got != tt.want {
				t.Errorf("resolvePath(%q) = %q, %v; want %q", tt.in, got, bad, tt.want)
			}
		})
	}
}
