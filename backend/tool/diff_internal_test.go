package tool

import "testing"

// TestUnifiedDiff checks the tool's use of backend/diff (whose own tests hold the GNU diff
// -u cases): the a/ b/ headers and the counts.
func TestUnifiedDiff(t *testing.T) {
	t.Parallel()
	if d, a, r := unifiedDiff("x.txt", "same\n", "same\n"); d != "" || a != 0 || r != 0 {
		t.Errorf("unifiedDiff(equal) = %q, %d, %d; want nothing", d, a, r)
	}
	d, a, r := unifiedDiff("x.txt", "one\ntwo\n", "one\n2\nthree\n")
	want := "--- a/x.txt\n+++ b/x.txt\n@@ -1,2 +1,3 @@\n one\n-two\n+2\n+three\n"
	if d != want || a != 2 || r != 1 {
		t.Errorf("unifiedDiff() = %q, +%d -%d; want %q, +2 -1", d, a, r, want)
	}
}
