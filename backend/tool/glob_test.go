package tool_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/tool"
)

func TestGlob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	files := []string{
		"main.go", "README.md", "app.log",
		"src/a.go", "src/b.ts", "src/c.tsx", "src/deep/d.go", "src/deep/keep.log",
		"build/out.go", "node_modules/pkg/index.js",
		".git/config", ".github/workflows/ci.yml",
		"sub/.gitignore", "sub/x.go", "sub/gen/y.go",
	}
	for i, f := range files {
		b.file(t, f, "x")
		b.touch(t, f, i) // later in the list = newer
	}
	b.file(t, ".gitignore", "build/\nnode_modules\n*.log\n!src/deep/keep.log\n")
	b.file(t, "sub/.gitignore", "gen/\n")
	if err := os.Symlink(t.TempDir(), filepath.Join(b.ws, "linked-dir")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		tool  *tool.Glob
		input string
		want  want
	}{
		{"AllGoNewestFirst", &tool.Glob{}, `{"pattern":"**/*.go"}`, want{exact: ptr("sub/x.go\nsrc/deep/d.go\nsrc/a.go\nmain.go")}},
		{"TopLevelOnly", &tool.Glob{}, `{"pattern":"*.go"}`, want{exact: ptr("main.go")}},
		{"UnderPath", &tool.Glob{}, `{"pattern":"*.go","path":"src"}`, want{exact: ptr("src/a.go")}},
		{"UnderPathRecursive", &tool.Glob{}, `{"pattern":"**/*.go","path":"src"}`, want{exact: ptr("src/deep/d.go\nsrc/a.go")}},
		{"StaticPrefix", &tool.Glob{}, `{"pattern":"src/deep/*"}`, want{exact: ptr("src/deep/keep.log\nsrc/deep/d.go")}},
		{"Braces", &tool.Glob{}, `{"pattern":"src/*.{ts,tsx}"}`, want{exact: ptr("src/c.tsx\nsrc/b.ts")}},
		{"HiddenButNotGit", &tool.Glob{}, `{"pattern":"**/*.yml"}`, want{exact: ptr(".github/workflows/ci.yml")}},
		{"GitDirSkipped", &tool.Glob{}, `{"pattern":"**/config"}`, want{exact: ptr(`No files match "**/config" in the workspace.`)}},
		{"IgnoredSkipped", &tool.Glob{}, `{"pattern":"**/*.{js,log}"}`, want{exact: ptr("src/deep/keep.log")}},
		{"ExplicitIgnoredPath", &tool.Glob{}, `{"pattern":"*.go","path":"build"}`, want{exact: ptr("build/out.go")}},
		{"AbsolutePattern", &tool.Glob{}, `{"pattern":"$WS/src/*.go"}`, want{exact: ptr("src/a.go")}},
		{"Capped", &tool.Glob{MaxResults: 2}, `{"pattern":"**/*.go"}`,
			want{exact: ptr("sub/x.go\nsrc/deep/d.go\n[2 of 4 matching files shown, newest first; narrow the pattern or path to see the rest]")}},
		{"NoMatch", &tool.Glob{}, `{"pattern":"**/*.rs"}`, want{exact: ptr(`No files match "**/*.rs" in the workspace.`)}},
		{"MissingStaticDir", &tool.Glob{}, `{"pattern":"nope/**/*.go"}`, want{exact: ptr(`No files match "nope/**/*.go" in the workspace.`)}},
		{"InvalidPattern", &tool.Glob{}, `{"pattern":"src/[a"}`, want{isError: true, contains: []string{"not a valid glob"}}},
		{"EmptyPattern", &tool.Glob{}, `{"pattern":""}`, want{isError: true, contains: []string{"pattern is empty"}}},
		{"PathOutside", &tool.Glob{}, `{"pattern":"*","path":"../"}`, want{isError: true, contains: []string{"outside the workspace"}}},
		{"PathSymlinkOutside", &tool.Glob{}, `{"pattern":"*","path":"linked-dir"}`, want{isError: true, contains: []string{"outside the workspace"}}},
		{"PathIsFile", &tool.Glob{}, `{"pattern":"*","path":"main.go"}`, want{isError: true, contains: []string{"not a directory"}}},
		{"PathMissing", &tool.Glob{}, `{"pattern":"*","path":"nope"}`, want{isError: true, exact: ptr("nope does not exist.")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.run(t, tt.tool, tt.input)
			tt.want.check(t, tt.input, res)
		})
	}
}
