package tool_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/tool"
)

func TestGrep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "main.go", "package main\n\nfunc main() {\n\tserve()\n}\n\nfunc serve() {\n\t// TODO: ports\n}\n")
	b.file(t, "lib/util.go", "package lib\n\n// Todo list\nfunc Helper() {}\n")
	b.file(t, "lib/util_test.go", "package lib\n\nfunc TestHelper() {}\n")
	b.file(t, "docs/notes.txt", "todo: write docs\nnothing here\n")
	b.file(t, "docs/deep/more.txt", "another todo\n")
	b.file(t, "build/gen.go", "// TODO generated\n")
	b.file(t, ".gitignore", "build/\n")
	b.file(t, "bin/blob.bin", "TODO\x00binary")
	b.file(t, "crlf.txt", "alpha\r\nbeta\r\n")
	b.file(t, "long.txt", "needle "+strings.Repeat("x", 600)+"\n")
	b.file(t, "ctx.txt", "1\n2\nhit a\n4\n5\n6\n7\n8\nhit b\nhit c\n11\n")
	if err := os.Symlink(t.TempDir(), filepath.Join(b.ws, "linked")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		tool  *tool.Grep
		input string
		want  want
	}{
		{"Content", &tool.Grep{}, `{"pattern":"TODO"}`,
			want{exact: ptr("main.go:8:\t// TODO: ports\n[1 file with matches skipped as binary]")}},
		{"CaseInsensitive", &tool.Grep{}, `{"pattern":"todo","case_insensitive":true}`,
			want{exact: ptr("docs/deep/more.txt:1:another todo\ndocs/notes.txt:1:todo: write docs\nlib/util.go:3:// Todo list\nmain.go:8:\t// TODO: ports\n[1 file with matches skipped as binary]")}},
		{"FilesWithMatches", &tool.Grep{}, `{"pattern":"(?i)todo","output_mode":"files_with_matches"}`,
			want{exact: ptr("docs/deep/more.txt\ndocs/notes.txt\nlib/util.go\nmain.go\n[1 file with matches skipped as binary]")}},
		{"Count", &tool.Grep{}, `{"pattern":"func","output_mode":"count"}`,
			want{exact: ptr("lib/util.go:1\nlib/util_test.go:1\nmain.go:2")}},
		{"Include", &tool.Grep{}, `{"pattern":"func","include":"*_test.go"}`,
			want{exact: ptr("lib/util_test.go:3:func TestHelper() {}")}},
		{"IncludeWithSlash", &tool.Grep{}, `{"pattern":"todo","include":"docs/**/*.txt"}`,
			want{exact: ptr("docs/deep/more.txt:1:another todo\ndocs/notes.txt:1:todo: write docs")}},
		{"IncludeBelowPath", &tool.Grep{}, `{"pattern":"todo","path":"docs","include":"deep/*.txt"}`,
			want{exact: ptr("docs/deep/more.txt:1:another todo")}},
		{"Path", &tool.Grep{}, `{"pattern":"func","path":"lib"}`,
			want{exact: ptr("lib/util.go:4:func Helper() {}\nlib/util_test.go:3:func TestHelper() {}")}},
		{"SingleFile", &tool.Grep{}, `{"pattern":"func","path":"$WS/main.go"}`,
			want{exact: ptr("main.go:3:func main() {\nmain.go:7:func serve() {")}},
		{"IgnoredPathNamedExplicitly", &tool.Grep{}, `{"pattern":"TODO","path":"build"}`,
			want{exact: ptr("build/gen.go:1:// TODO generated")}},
		{"Anchors", &tool.Grep{}, `{"pattern":"^func \\w+\\(\\) \\{$"}`,
			want{exact: ptr("main.go:3:func main() {\nmain.go:7:func serve() {")}},
		{"CRLFLineEnds", &tool.Grep{}, `{"pattern":"^beta$"}`, want{exact: ptr("crlf.txt:2:beta")}},
		{"Context", &tool.Grep{}, `{"pattern":"^hit","context":1,"path":"ctx.txt"}`,
			want{exact: ptr("ctx.txt-2-2\nctx.txt:3:hit a\nctx.txt-4-4\n--\nctx.txt-8-8\nctx.txt:9:hit b\nctx.txt:10:hit c\nctx.txt-11-11")}},
		{"ContextOverlapping", &tool.Grep{}, `{"pattern":"^hit [ab]","context":3,"path":"ctx.txt"}`,
			want{exact: ptr("ctx.txt-1-1\nctx.txt-2-2\nctx.txt:3:hit a\nctx.txt-4-4\nctx.txt-5-5\nctx.txt-6-6\nctx.txt-7-7\nctx.txt-8-8\nctx.txt:9:hit b\nctx.txt-10-hit c\nctx.txt-11-11")}},
		{"LongLineCut", &tool.Grep{MaxLineBytes: 10}, `{"pattern":"needle"}`,
			want{exact: ptr("long.txt:1:needle xxx [... 597 more bytes]")}},
		{"CappedLines", &tool.Grep{MaxLines: 2}, `{"pattern":"func"}`,
			want{exact: ptr("lib/util.go:4:func Helper() {}\nlib/util_test.go:3:func TestHelper() {}\n[2 of 4 matching lines in 3 files shown; narrow the pattern, path or include to see the rest]")}},
		{"CappedFiles", &tool.Grep{MaxFiles: 1}, `{"pattern":"func","output_mode":"files_with_matches"}`,
			want{exact: ptr("lib/util.go\n[1 of 3 matching files shown; narrow the pattern, path or include to see the rest]")}},
		{"BinarySkipped", &tool.Grep{}, `{"pattern":"binary"}`,
			want{exact: ptr(`No matches for "binary" in the workspace. (1 file with matches skipped as binary)`)}},
		{"LargeSkipped", &tool.Grep{MaxFileSize: 100}, `{"pattern":"needle"}`,
			want{exact: ptr(`No matches for "needle" in the workspace. (1 file over 100 bytes skipped)`)}},
		{"NoMatch", &tool.Grep{}, `{"pattern":"zebra"}`, want{exact: ptr(`No matches for "zebra" in the workspace.`)}},
		{"InvalidRegexp", &tool.Grep{}, `{"pattern":"(unclosed"}`,
			want{isError: true, contains: []string{"not a valid regular expression", "missing closing )"}}},
		{"Lookahead", &tool.Grep{}, `{"pattern":"foo(?=bar)"}`, want{isError: true, contains: []string{"RE2"}}},
		{"Newline", &tool.Grep{}, `{"pattern":"a\\nb"}`, want{isError: true, contains: []string{"single lines"}}},
		{"BadMode", &tool.Grep{}, `{"pattern":"x","output_mode":"lines"}`, want{isError: true, contains: []string{"output_mode must be"}}},
		{"BadContext", &tool.Grep{}, `{"pattern":"x","context":99}`, want{isError: true, contains: []string{"context must be between 0 and 10"}}},
		{"BadInclude", &tool.Grep{}, `{"pattern":"x","include":"[a"}`, want{isError: true, contains: []string{"not a valid glob"}}},
		{"PathOutside", &tool.Grep{}, `{"pattern":"root","path":"/etc"}`, want{isError: true, contains: []string{"/etc is outside the workspace"}}},
		{"PathSymlinkOutside", &tool.Grep{}, `{"pattern":"x","path":"linked"}`, want{isError: true, contains: []string{"linked is outside the workspace"}}},
		{"PathMissing", &tool.Grep{}, `{"pattern":"x","path":"nope"}`, want{isError: true, exact: ptr("nope does not exist.")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, tt.input, b.run(t, tt.tool, tt.input))
		})
	}
}
