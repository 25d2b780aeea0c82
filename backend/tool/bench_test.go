package tool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// The 50k tree: 500 directories (10 x 10 x 5) of 100 files of about 4 KiB
// of code-like text, about 200 MB in all, generated once from a fixed seed
// and kept under os.TempDir(). The needle appears in every 5,000th file.
const (
	treeVersion = "v1"
	treeFiles   = 50000
	needle      = "NeedleToken4217"
)

func grepTree(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "corral-grep50k-"+treeVersion)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	b.Logf("generating %d files under %s (once)", treeFiles, dir)
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	words := strings.Fields("func return if else for range var const type struct interface map string int error nil " +
		"ctx context err value result config server client request response handler buffer index count name path file " +
		"open close read write lock unlock append make len cap copy delete panic recover select case default go defer")
	rng := rand.New(rand.NewPCG(1, 2))
	var text strings.Builder
	n := 0
	for i := range 10 {
		for j := range 10 {
			for k := range 5 {
				sub := filepath.Join(dir, fmt.Sprintf("pkg%02d", i), fmt.Sprintf("mod%02d", j), fmt.Sprintf("part%d", k))
				if err := os.MkdirAll(sub, 0o755); err != nil {
					b.Fatal(err)
				}
				for f := range 100 {
					text.Reset()
					size := 2048 + rng.IntN(4096)
					for line := 1; text.Len() < size; line++ {
						text.WriteString(strings.Repeat("\t", rng.IntN(3)))
						for range 3 + rng.IntN(8) {
							text.WriteString(words[rng.IntN(len(words))])
							text.WriteByte(' ')
						}
						fmt.Fprintf(&text, "// %d\n", line)
					}
					if n%5000 == 0 {
						text.WriteString("\tcall(" + needle + ")\n")
					}
					name := filepath.Join(sub, fmt.Sprintf("file%03d.go", f))
					if err := os.WriteFile(name, []byte(text.String()), 0o644); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkGrep50k searches the 50k tree for a rare literal with the grep
// tool, ripgrep and GNU grep (the latter two when installed), warm cache.
func BenchmarkGrep50k(b *testing.B) {
	dir := grepTree(b)
	sb, err := local.New(dir, local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()

	lower := strings.ToLower(needle)
	cases := []struct {
		name  string
		input string   // for the grep tool
		argv  []string // for an external tool
	}{
		{name: "corral", input: `{"pattern":"` + needle + `"}`},
		{name: "ripgrep", argv: []string{"rg", "-n", needle, dir}},
		{name: "gnugrep", argv: []string{"grep", "-rn", needle, dir}},
		// The same search ignoring case, and as a regular expression.
		{name: "corral-i", input: `{"pattern":"` + lower + `","case_insensitive":true}`},
		{name: "ripgrep-i", argv: []string{"rg", "-n", "-i", lower, dir}},
		{name: "corral-regex", input: `{"pattern":"Needle\\w+4217"}`},
		{name: "ripgrep-regex", argv: []string{"rg", "-n", `Needle\w+4217`, dir}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if c.argv == nil {
				grep := &tool.Grep{}
				for b.Loop() {
					res, err := grep.Run(context.Background(), sb, json.RawMessage(c.input))
					if err != nil || res.IsError || strings.Count(res.Content, needle) != treeFiles/5000 {
						b.Fatalf("Run(%s) = %+v, %v", c.input, res, err)
					}
				}
				return
			}
			if _, err := exec.LookPath(c.argv[0]); err != nil {
				b.Skipf("%s is not installed", c.argv[0])
			}
			for b.Loop() {
				out, err := exec.Command(c.argv[0], c.argv[1:]...).Output()
				if err != nil || strings.Count(string(out), needle) != treeFiles/5000 {
					b.Fatalf("%s = %q, %v", c.argv, out, err)
				}
			}
		})
	}
}

// BenchmarkExecTracking runs a command that changes one file, with the
// changed-file tracking on (a snapshot of the workspace before and after)
// and off, in workspaces of 1,000 and 10,000 small files (100 per
// directory).
func BenchmarkExecTracking(b *testing.B) {
	for _, files := range []int{1000, 10000} {
		dir := b.TempDir()
		for i := range files {
			sub := filepath.Join(dir, fmt.Sprintf("d%02d", i/1000), fmt.Sprintf("e%d", i/100%10))
			if i%100 == 0 {
				if err := os.MkdirAll(sub, 0o755); err != nil {
					b.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.txt", i%100)), []byte("x\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		sb, err := local.New(dir, local.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { sb.Close() })
		input := json.RawMessage(`{"command":"echo x >> d00/e0/f000.txt"}`)
		for _, c := range []struct {
			name string
			tool *tool.Exec
		}{{"on", &tool.Exec{}}, {"off", &tool.Exec{MaxTrackedFiles: -1}}} {
			b.Run(fmt.Sprintf("files=%d/tracking=%s", files, c.name), func(b *testing.B) {
				for b.Loop() {
					res, err := c.tool.Run(context.Background(), sb, input)
					if err != nil || res.IsError || (c.name == "on" && len(res.Meta.Changed) != 1) {
						b.Fatalf("Run = %+v, %v", res, err)
					}
				}
			})
		}
	}
}
