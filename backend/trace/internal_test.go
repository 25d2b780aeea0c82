package trace

import (
	"errors"
	"strings"
	"testing"
)

func TestReadLimit(t *testing.T) {
	t.Parallel()
	_, _, err := read(strings.NewReader(`{"format":"corral.trace","version":1}`+strings.Repeat(" ", 100)), 64)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("read(over the limit) = %v, want ErrInvalid about the size", err)
	}
}

func TestRewriteStrings(t *testing.T) {
	t.Parallel()
	upper := func(key, s string, isKey bool) (string, bool) {
		if isKey || key != "a" {
			return s, false
		}
		return strings.ToUpper(s), true
	}
	tests := []struct{ in, want string }{
		{`{"a":"x","b":"y"}`, `{"a":"X","b":"y"}`},
		{`{"a":["x","y"],"c":{"a":"z"}}`, `{"a":["X","Y"],"c":{"a":"Z"}}`},
		{`{"b":"\"a\":\"x\"","a" : "q\u00e9"}`, `{"b":"\"a\":\"x\"","a" : "QÉ"}`},
		{`[{"a":1},{"a":"n"}]`, `[{"a":1},{"a":"N"}]`},
		{`{"b":"keep"}`, `{"b":"keep"}`},
	}
	for _, tc := range tests {
		got, _ := rewriteStrings([]byte(tc.in), upper)
		if string(got) != tc.want {
			t.Errorf("rewriteStrings(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCheckDepth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		fail bool
	}{
		{`[[[]]]`, 3, false},
		{`[[[[]]]]`, 3, true},
		{`{"a":"[[[[[[[["}`, 2, false},
		{`{"a":"\"[[[["}`, 2, false},
	}
	for _, tc := range tests {
		if err := checkDepth([]byte(tc.in), tc.max); (err != nil) != tc.fail {
			t.Errorf("checkDepth(%s, %d) = %v, want failure %v", tc.in, tc.max, err, tc.fail)
		}
	}
}
