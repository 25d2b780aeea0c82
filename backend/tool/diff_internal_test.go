package tool

import (
	"fmt"
	"strings"
	"testing"
)

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
func TestUnifiedDiff(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, added, removed := unifiedDiff("f", tt.before, tt.after)
			want := tt.want
			if want != "" {
				want = "--- a/f\n+++ b/f\n" + want
			}
			if got != want || added != tt.added || removed != tt.removed {
				t.Errorf("unifiedDiff() = %q, +%d -%d; want %q, +%d -%d", got, added, removed, want, tt.added, tt.removed)
			}
		})
	}
}
