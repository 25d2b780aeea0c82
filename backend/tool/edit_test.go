package tool_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/tool"
)

func TestEdit(t *testing.T) {
	t.Parallel()
	const code = "package main\n\nfunc main() {\n\tx := 1\n\tprintln(x)\n\tprintln(x)\n}\n"
	tests := []struct {
		name  string
		file  string // initial content of f.go; "" for none
		tool  *tool.Edit
		input string
		want  want
		after string // f.go afterwards; "" means unchanged
	}{
		{name: "Unique", file: code, input: `{"path":"f.go","old_string":"x := 1","new_string":"x := 2"}`,
			want: want{exact: ptr("Edited f.go: replaced 1 occurrence (+1 -1 lines).\n" +
				"--- a/f.go\n+++ b/f.go\n@@ -1,7 +1,7 @@\n package main\n \n func main() {\n-\tx := 1\n+\tx := 2\n \tprintln(x)\n \tprintln(x)\n }")},
			after: strings.Replace(code, "x := 1", "x := 2", 1)},
		{name: "ReplaceAll", file: code, input: `{"path":"f.go","old_string":"println(x)","new_string":"print(x)","replace_all":true}`,
			want:  want{contains: []string{"replaced 2 occurrences (+2 -2 lines)", "-\tprintln(x)\n-\tprintln(x)\n+\tprint(x)\n+\tprint(x)"}},
			after: strings.ReplaceAll(code, "println(x)", "print(x)")},
		{name: "Delete", file: code, input: `{"path":"f.go","old_string":"\tx := 1\n","new_string":""}`,
			want: want{contains: []string{"(+0 -1 lines)", "-\tx := 1\n"}}, after: strings.Replace(code, "\tx := 1\n", "", 1)},
		{name: "MultiLine", file: code, input: `{"path":"f.go","old_string":"func main() {\n\tx := 1","new_string":"func main() {\n\t// one\n\tx := 1"}`,
			want: want{contains: []string{"(+1 -0 lines)", "+\t// one\n"}}, after: strings.Replace(code, "{\n\tx", "{\n\t// one\n\tx", 1)},
		{name: "CRLFFile", file: "a\r\nb\r\nc\r\n", input: `{"path":"f.go","old_string":"a\nb","new_string":"a\nB"}`,
			want: want{contains: []string{"replaced 1 occurrence"}}, after: "a\r\nB\r\nc\r\n"},
		{name: "DiffCut", file: code, tool: &tool.Edit{MaxDiffBytes: 40}, input: `{"path":"f.go","old_string":"x := 1","new_string":"x := 2"}`,
			want:  want{contains: []string{"--- a/f.go\n+++ b/f.go\n@@ -1,7 +1,7 @@\n[... diff cut: 78 more bytes]"}},
			after: strings.Replace(code, "x := 1", "x := 2", 1)},
		{name: "NotFound", file: code, input: `{"path":"f.go","old_string":"x := 3","new_string":"x := 2"}`,
			want: want{isError: true, contains: []string{"old_string was not found in f.go"}}},
		{name: "WhitespaceMatters", file: code, input: `{"path":"f.go","old_string":"    x := 1","new_string":"x := 2"}`,
			want: want{isError: true, contains: []string{"not found"}}},
		{name: "NotUnique", file: code, input: `{"path":"f.go","old_string":"println(x)","new_string":"print(x)"}`,
			want: want{isError: true, exact: ptr("old_string occurs 2 times in f.go (at lines 5, 6). Include more surrounding text to make it unique, or set replace_all to true to replace every occurrence.")}},
		{name: "Identical", file: code, input: `{"path":"f.go","old_string":"x","new_string":"x"}`,
			want: want{isError: true, contains: []string{"identical"}}},
		{name: "EmptyOld", file: code, input: `{"path":"f.go","old_string":"","new_string":"x"}`,
			want: want{isError: true, contains: []string{"old_string is empty", "use write"}}},
		{name: "MissingNew", file: code, input: `{"path":"f.go","old_string":"x"}`,
			want: want{isError: true, contains: []string{"old_string and new_string are both required"}}},
		{name: "MissingFile", input: `{"path":"f.go","old_string":"x","new_string":"y"}`,
			want: want{isError: true, exact: ptr("f.go does not exist. Use write to create a file.")}},
		{name: "Binary", file: "a\x00b", input: `{"path":"f.go","old_string":"a","new_string":"c"}`,
			want: want{isError: true, contains: []string{"binary"}}},
		{name: "Outside", file: code, input: `{"path":"/etc/hostname","old_string":"a","new_string":"c"}`,
			want: want{isError: true, contains: []string{"/etc/hostname is outside the workspace"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.file != "" {
				b.file(t, "f.go", tt.file)
			}
			tl := tt.tool
			if tl == nil {
				tl = &tool.Edit{}
			}
			res := b.run(t, tl, tt.input)
			tt.want.check(t, tt.input, res)
			after := tt.after
			if after == "" {
				after = tt.file
			}
			if tt.file == "" {
				after = "<missing>"
			}
			if got := b.read(t, "f.go"); got != after {
				t.Errorf("f.go after Run(%s) = %q, want %q", tt.input, got, after)
			}
		})
	}
}

func TestEditKeepsMode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "run.sh", "echo one\n")
	p := filepath.Join(b.ws, "run.sh")
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	res := b.run(t, &tool.Edit{}, `{"path":"run.sh","old_string":"one","new_string":"two"}`)
	if res.IsError {
		t.Fatal(res.Content)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode after edit = %v, %v; want 0755", fi.Mode(), err)
	}
}

// TestReplace is the matching the edit tool and the approval preview share.
func TestReplace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, s, old, new string
		all               bool
		want              string
		n                 int
		err               error
		many              int
	}{
		{name: "once", s: "a b c", old: "b", new: "B", want: "a B c", n: 1},
		{name: "all", s: "x x x", old: "x", new: "y", all: true, want: "y y y", n: 3},
		{name: "crlf file, lf old", s: "one\r\ntwo\r\n", old: "one\ntwo", new: "1\n2", want: "1\r\n2\r\n", n: 1},
		{name: "not found", s: "abc", old: "z", new: "y", err: tool.ErrEditNotFound},
		{name: "empty old", s: "abc", old: "", new: "y", err: tool.ErrEditEmpty},
		{name: "same", s: "abc", old: "a", new: "a", err: tool.ErrEditSame},
		{name: "ambiguous", s: "x x", old: "x", new: "y", many: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := tool.Replace(tt.s, tt.old, tt.new, tt.all)
			var many *tool.AmbiguousEdit
			switch {
			case tt.many > 0:
				if !errors.As(err, &many) || many.Count != tt.many {
					t.Fatalf("Replace() error = %v, want AmbiguousEdit with count %d", err, tt.many)
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Fatalf("Replace() error = %v, want %v", err, tt.err)
				}
			case err != nil || got != tt.want || n != tt.n:
				t.Fatalf("Replace() = %q, %d, %v; want %q, %d", got, n, err, tt.want, tt.n)
			}
		})
	}
}
