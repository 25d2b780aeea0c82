package tool_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/tool"
)

func TestRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ten strings.Builder
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&ten, "line %d\n", i)
	}
	b.file(t, "ten.txt", ten.String())
	b.file(t, "dir/nested.go", "package dir\n")
	b.file(t, "nonl.txt", "a\nb")
	b.file(t, "crlf.txt", "a\r\nb\r\n")
	b.file(t, "empty.txt", "")
	b.file(t, "nul.bin", "text\x00more")
	b.file(t, "latin1.txt", "caf\xe9\n")
	b.file(t, "long.txt", strings.Repeat("é", 20)+"\nshort\n")
	b.file(t, "utf8-at-sniff-edge.txt", strings.Repeat("abc\n", 2047)+"aaaé\n") // é straddles byte 8192
	if err := os.Symlink("/etc/hostname", filepath.Join(b.ws, "escape")); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(secret, filepath.Join(b.ws, "hardlink")); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		tool  *tool.Read
		input string
		want  want
	}{
		{"Whole", &tool.Read{}, `{"path":"dir/nested.go"}`, want{exact: ptr("     1\tpackage dir")}},
		{"AbsoluteInside", &tool.Read{}, `{"path":"$WS/dir/nested.go"}`, want{exact: ptr("     1\tpackage dir")}},
		{"DotSlash", &tool.Read{}, `{"path":"./dir/../dir/nested.go"}`, want{exact: ptr("     1\tpackage dir")}},
		{"OffsetLimit", &tool.Read{}, `{"path":"ten.txt","offset":3,"limit":2}`,
			want{exact: ptr("     3\tline 3\n     4\tline 4\n[lines 3-4 of 10; continue with offset=5]")}},
		{"OffsetToEnd", &tool.Read{}, `{"path":"ten.txt","offset":9}`,
			want{exact: ptr("     9\tline 9\n    10\tline 10\n[lines 9-10 of 10]")}},
		{"DefaultLimit", &tool.Read{DefaultLimit: 3}, `{"path":"ten.txt"}`,
			want{contains: []string{"     3\tline 3\n[lines 1-3 of 10; continue with offset=4]"}}},
		{"NoFinalNewline", &tool.Read{}, `{"path":"nonl.txt"}`, want{exact: ptr("     1\ta\n     2\tb")}},
		{"CRLF", &tool.Read{}, `{"path":"crlf.txt"}`, want{exact: ptr("     1\ta\n     2\tb")}},
		{"Empty", &tool.Read{}, `{"path":"empty.txt"}`, want{exact: ptr("empty.txt is empty.")}},
		{"LongLineCut", &tool.Read{MaxLineBytes: 5}, `{"path":"long.txt"}`,
			want{exact: ptr("     1\téé [... line cut: 36 more bytes]\n     2\tshort\n[lines 1-2 of 2; 1 long line cut at 5 bytes]")}},
		{"ByteCap", &tool.Read{MaxBytes: 40}, `{"path":"ten.txt"}`,
			want{exact: ptr("     1\tline 1\n     2\tline 2\n[lines 1-2 of 10; output capped at 0 KiB; continue with offset=3]")}},
		{"RuneAtSniffEdge", &tool.Read{}, `{"path":"utf8-at-sniff-edge.txt","offset":2048}`, want{contains: []string{"  2048\taaaé"}}},
		{"OffsetPastEnd", &tool.Read{}, `{"path":"ten.txt","offset":11}`,
			want{isError: true, exact: ptr("offset 11 is past the end of ten.txt, which has 10 lines.")}},
		{"Binary", &tool.Read{}, `{"path":"nul.bin"}`,
			want{isError: true, exact: ptr("nul.bin looks like a binary file (it contains NUL bytes, 9 bytes); read shows text files only.")}},
		{"NotUTF8", &tool.Read{}, `{"path":"latin1.txt"}`,
			want{isError: true, contains: []string{"it is not valid UTF-8"}}},
		{"Directory", &tool.Read{}, `{"path":"dir"}`,
			want{isError: true, exact: ptr("dir is a directory; use glob to list its files.")}},
		{"Missing", &tool.Read{}, `{"path":"nope.txt"}`, want{isError: true, exact: ptr("nope.txt does not exist.")}},
		{"Outside", &tool.Read{}, `{"path":"../secret"}`,
			want{isError: true, contains: []string{"../secret is outside the workspace"}}},
		{"AbsoluteOutside", &tool.Read{}, `{"path":"/etc/passwd"}`,
			want{isError: true, contains: []string{"/etc/passwd is outside the workspace"}}},
		{"SymlinkOutside", &tool.Read{}, `{"path":"escape"}`,
			want{isError: true, exact: ptr("escape is outside the workspace (a symbolic link leads outside); only files inside it can be used.")}},
		// Issue 14 finding 9: a hard link to a file outside is refused, as the README says.
		{"HardLinkToOutside", &tool.Read{}, `{"path":"hardlink"}`,
			want{isError: true, contains: []string{"hardlink is outside the workspace (the file has 2 hard links"}}},
		{"NoPath", &tool.Read{}, `{}`, want{isError: true, contains: []string{"path is empty"}}},
		{"NegativeOffset", &tool.Read{}, `{"path":"ten.txt","offset":-1}`, want{isError: true, contains: []string{"must be positive"}}},
		{"WrongType", &tool.Read{}, `{"path":7}`, want{isError: true, contains: []string{"Invalid input for read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, tt.input, b.run(t, tt.tool, tt.input))
		})
	}
}

func TestReadCountsBeyondLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "big.txt", strings.Repeat("x\n", 100000))
	res := b.run(t, &tool.Read{}, `{"path":"big.txt","limit":1}`)
	if want := "     1\tx\n[lines 1-1 of 100000; continue with offset=2]"; res.Content != want {
		t.Errorf("Content = %q, want %q", res.Content, want)
	}
	if !res.Meta.Truncated || res.Meta.Lines != 1 || res.Meta.Bytes != 200000 {
		t.Errorf("Meta = %+v, want truncated, 1 line, 200000 bytes", res.Meta)
	}
}
