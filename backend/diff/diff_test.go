package diff_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/diff"
)

// seq returns the lines 1..n, with the lines in replace swapped.
func seq(n int, replace map[int]string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if s, ok := replace[i]; ok {
			b.WriteString(s + "\n")
		} else {
			fmt.Fprintf(&b, "%d\n", i)
		}
	}
	return b.String()
}

// The expectations are GNU diff -u's output for the same files.
func TestUnified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		before, after  string
		want           string
		added, removed int
	}{
		{"Equal", "a\n", "a\n", "", 0, 0},
		{"TwoHunks", seq(20, nil), seq(20, map[int]string{3: "three", 17: "seventeen"}),
			"@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n" +
				"@@ -14,7 +14,7 @@\n 14\n 15\n 16\n-17\n+seventeen\n 18\n 19\n 20\n", 2, 2},
		{"MergedHunk", seq(20, nil), seq(20, map[int]string{3: "three", 9: "nine"}),
			"@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n-9\n+nine\n 10\n 11\n 12\n", 2, 2},
		{"NoNewlineAtEnd", "a\nb", "a\nb\nc\n",
			"@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n", 2, 1},
		{"FromEmpty", "", "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y\n", 2, 0},
		{"ToEmpty", "x\ny\n", "", "@@ -1,2 +0,0 @@\n-x\n-y\n", 0, 2},
		{"PureInsertion", "a\nb\nc\n", "a\nb\nX\nc\n", "@@ -1,3 +1,4 @@\n a\n b\n+X\n c\n", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := diff.Lines(tt.before, tt.after, diff.DefaultContext)
			got := d.Unified("a/f", "b/f")
			want := tt.want
			if want != "" {
				want = "--- a/f\n+++ b/f\n" + want
			}
			if got != want || d.Added != tt.added || d.Removed != tt.removed {
				t.Errorf("Lines(%q, %q) = %q, +%d -%d; want %q, +%d -%d", tt.before, tt.after, got, d.Added, d.Removed, want, tt.added, tt.removed)
			}
		})
	}
}

func TestLineNumbers(t *testing.T) {
	t.Parallel()
	d := diff.Lines(seq(10, nil), seq(10, map[int]string{5: "five"}), 1)
	want := []diff.Line{
		{Op: diff.Context, Text: "4", Old: 4, New: 4},
		{Op: diff.Delete, Text: "5", Old: 5},
		{Op: diff.Insert, Text: "five", New: 5},
		{Op: diff.Context, Text: "6", Old: 6, New: 6},
	}
	if len(d.Hunks) != 1 || fmt.Sprint(d.Hunks[0].Lines) != fmt.Sprint(want) {
		t.Fatalf("Lines() hunks = %+v, want one hunk with %+v", d.Hunks, want)
	}
}

// TestPage checks that the pages of a diff, put together, are the whole
// diff, and that each page's hunks carry their own correct ranges.
func TestPage(t *testing.T) {
	t.Parallel()
	changes := map[int]string{}
	for i := 5; i <= 200; i += 15 {
		changes[i] = fmt.Sprintf("changed %d", i)
	}
	changes[100] = "a\nb\nc" // one line becomes three
	before, after := seq(210, nil), seq(210, changes)
	d := diff.Lines(before, after, diff.DefaultContext)
	for _, limit := range []int{1, 2, 7, 10, 33, 1000, 0} {
		t.Run(fmt.Sprintf("Limit%d", limit), func(t *testing.T) {
			t.Parallel()
			var lines []diff.Line
			for offset, pages := 0, 0; ; pages++ {
				if pages > d.Lines+1 {
					t.Fatal("Page never ends")
				}
				p := d.Page(offset, limit)
				if p.Offset != offset || p.Total != d.Lines {
					t.Fatalf("Page(%d, %d) offset, total = %d, %d; want %d, %d", offset, limit, p.Offset, p.Total, offset, d.Lines)
				}
				n := 0
				for _, h := range p.Hunks {
					checkRanges(t, h)
					n += len(h.Lines)
					lines = append(lines, h.Lines...)
				}
				if limit > 0 && n > limit {
					t.Fatalf("Page(%d, %d) has %d lines", offset, limit, n)
				}
				if !p.More {
					break
				}
				offset = p.Next
			}
			var all []diff.Line
			for _, h := range d.Hunks {
				all = append(all, h.Lines...)
			}
			if fmt.Sprint(lines) != fmt.Sprint(all) {
				t.Errorf("pages with limit %d do not add up to the diff", limit)
			}
		})
	}
}

// checkRanges checks a hunk's header against its lines' numbers.
func checkRanges(t *testing.T, h diff.Hunk) {
	t.Helper()
	oldN, newN, firstOld, firstNew := 0, 0, 0, 0
	for _, l := range h.Lines {
		if l.Old > 0 {
			oldN++
			if firstOld == 0 {
				firstOld = l.Old
			}
		}
		if l.New > 0 {
			newN++
			if firstNew == 0 {
				firstNew = l.New
			}
		}
	}
	if oldN != h.OldLines || newN != h.NewLines || (oldN > 0 && firstOld != h.OldStart) || (newN > 0 && firstNew != h.NewStart) {
		t.Errorf("hunk %s does not match its lines %+v", h.Header(), h.Lines)
	}
}

func TestPageBounds(t *testing.T) {
	t.Parallel()
	d := diff.Lines("a\n", "b\n", 3)
	tests := []struct {
		name          string
		offset, limit int
		lines         int
		more          bool
	}{
		{"All", 0, 0, 2, false},
		{"First", 0, 1, 1, true},
		{"Second", 1, 1, 1, false},
		{"PastEnd", 5, 1, 0, false},
		{"Negative", -3, 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := d.Page(tt.offset, tt.limit)
			n := 0
			for _, h := range p.Hunks {
				n += len(h.Lines)
			}
			if n != tt.lines || p.More != tt.more {
				t.Errorf("Page(%d, %d) = %d lines, more %v; want %d, %v", tt.offset, tt.limit, n, p.More, tt.lines, tt.more)
			}
		})
	}
}

func TestBinary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		want bool
	}{
		{"Text", []byte("héllo\n"), false},
		{"Empty", nil, false},
		{"NUL", []byte("a\x00b"), true},
		{"InvalidUTF8", []byte{0xff, 0xfe, 'a'}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := diff.Binary(tt.data); (got != "") != tt.want {
				t.Errorf("Binary(%q) = %q, want binary %v", tt.data, got, tt.want)
			}
		})
	}
}

// BenchmarkLines10k diffs a 10,000-line file with 100 scattered changes.
func BenchmarkLines10k(b *testing.B) {
	before, after := Scattered(10000, 100)
	b.ReportAllocs()
	for b.Loop() {
		d := diff.Lines(before, after, diff.DefaultContext)
		if d.Added != 100 {
			b.Fatalf("Added = %d, want 100", d.Added)
		}
	}
}

// Scattered returns an n-line text and a copy with changes lines changed,
// spread evenly.
func Scattered(n, changes int) (before, after string) {
	var a, c strings.Builder
	step := n / changes
	for i := range n {
		fmt.Fprintf(&a, "line %d: some ordinary source text here\n", i)
		if i%step == step/2 {
			fmt.Fprintf(&c, "line %d: changed text\n", i)
		} else {
			fmt.Fprintf(&c, "line %d: some ordinary source text here\n", i)
		}
	}
	return a.String(), c.String()
}
