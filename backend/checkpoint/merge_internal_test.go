package checkpoint

import (
	"slices"
	"strings"
	"testing"
)

// TestMergeSpans: merging span by span (what lies outside the listed folders copied whole)
// gives what merging entry by entry gives, for listings that add, remove, nest and border.
func TestMergeSpans(t *testing.T) {
	t.Parallel()
	ents := func(spec string) []Entry {
		var out []Entry
		for _, f := range strings.Fields(spec) {
			typ := TypeFile
			if p, ok := strings.CutSuffix(f, "/"); ok {
				f, typ = p, TypeDir
			}
			out = append(out, Entry{Path: f, Type: typ, Size: int64(len(f))})
		}
		slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
		return out
	}
	prev := ents("a/ a/x a/b/ a/b/y a-c a0 b/ b/z c/ c/d/ c/d/e z")
	for _, tc := range []struct {
		name, found string
		listed      []string
	}{
		{"file rewritten", "a/x", []string{"a"}},
		{"file added in a nested folder", "a/b/y a/b/w", []string{"a/b"}},
		{"nested folders both listed", "a/x a/b/ a/b/y a/b/new", []string{"a", "a/b"}},
		{"folder emptied", "", []string{"c/d"}},
		{"new folder", "b/z b/n/ b/n/m", []string{"b", "b/n"}},
		{"folder gone", "c/x", []string{"c"}},
		{"top listed", "a/ a-c a0 b/ c/ z y", []string{"."}},
		{"neighbours sorting around a span", "a/x a/b/", []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listed := map[string]bool{}
			for _, d := range tc.listed {
				listed[d] = true
			}
			found := ents(tc.found)
			got, gotLost, ok := mergeSpans(prev, found, listed, listedSpans(prev, listed))
			want, wantLost, _ := mergeSpans(prev, found, listed, []span{{0, len(prev), ""}})
			if !ok || gotLost != wantLost || !slices.Equal(got, want) {
				t.Errorf("mergeSpans(%v) = %v, lost %v, ok %v; want %v, lost %v", tc.listed, paths(got), gotLost, ok, paths(want), wantLost)
			}
		})
	}
}

func paths(es []Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Path
	}
	return out
}
