package tool

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestLineMatcher checks the prefiltered search against running the
// expression on every line.
func TestLineMatcher(t *testing.T) {
	t.Parallel()
	corpus := []byte("package main\r\n\nfunc Handler() {}\nfunc helper() {}\n// TODO: fix\nKELVIN \u212Aelvin kelvin\nnaïve Naïve\nlong ſtring STRING\nfoo.bar foo bar\nto\u212Aen42 TOKEN42 t0ken42\nx\n\nlast line without newline")
	patterns := []struct {
		expr      string
		lit, fold bool // which prefilter is expected
	}{
		{expr: "(?m)func", lit: true},
		{expr: "(?m)Handler", lit: true},
		{expr: "(?m)^func", lit: true},
		{expr: "(?m)fix$", lit: true},
		{expr: "(?m)main$", lit: true},
		{expr: `(?m)func\s+\w+\(`, lit: true},
		{expr: `(?m)(foo|bar)`},
		{expr: `(?m)[A-Z]+`},
		{expr: `(?m)^$`},
		{expr: `(?m)x*`},
		{expr: `(?m)foo\.bar`, lit: true},
		{expr: `(?mi)handler`, fold: true},
		{expr: `(?mi)kelvin`, fold: true},
		{expr: `(?mi)string`, fold: true},
		{expr: `(?mi)ks`},
		{expr: `(?mi)token42`, fold: true},
		{expr: `(?mi)token42\b`, fold: true},
		{expr: `(?mi)naïve`},
		{expr: `(?mi)func\s+H`, fold: true},
		{expr: `(?m)(?i:todo): fix`, lit: true},
		{expr: `(?m)without newline$`, lit: true},
		{expr: `(?m)nomatch`, lit: true},
	}
	lines := bytes.Split(corpus, []byte("\n"))
	for _, p := range patterns {
		t.Run(p.expr, func(t *testing.T) {
			t.Parallel()
			m, err := newLineMatcher(p.expr)
			if err != nil {
				t.Fatal(err)
			}
			if (m.lit != nil) != p.lit || (m.fold != nil) != p.fold {
				t.Errorf("prefilter: literal %q, fold %+v; want literal %v, fold %v", m.lit, m.fold, p.lit, p.fold)
			}
			re := regexp.MustCompile(p.expr)
			var want, got []string
			for _, l := range lines {
				l = bytes.TrimSuffix(l, []byte("\r"))
				if re.Match(l) {
					want = append(want, string(l))
				}
			}
			m.eachLine(corpus, func(start, end int) bool {
				got = append(got, string(corpus[start:end]))
				return true
			})
			if !slices.Equal(got, want) {
				t.Errorf("eachLine(%s) = %q, want %q", p.expr, got, want)
			}
		})
	}
}

// TestLineMatcherRandom compares the prefiltered search with a per-line
// run of the expression on random text and literals, case-sensitive and
// not, drawn from an alphabet rich in the troublesome letters.
func TestLineMatcherRandom(t *testing.T) {
	t.Parallel()
	alphabet := []rune("aAkKsSe4 \u212A\u017F\n\r")
	rng := rand.New(rand.NewPCG(7, 11))
	word := func(n int, noNewline bool) string {
		var b strings.Builder
		for range n {
			r := alphabet[rng.IntN(len(alphabet))]
			for noNewline && (r == '\n' || r == '\r') {
				r = alphabet[rng.IntN(len(alphabet))]
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	for i := range 500 {
		text := []byte(word(200, false))
		expr := "(?m)" + regexp.QuoteMeta(word(1+rng.IntN(4), true))
		if i%2 == 1 {
			expr = "(?mi)" + expr[4:]
		}
		if i%3 == 2 {
			expr += `\b`
		}
		m, err := newLineMatcher(expr)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(expr)
		var want, got []string
		for _, l := range bytes.Split(text, []byte("\n")) {
			l = bytes.TrimSuffix(l, []byte("\r"))
			if re.Match(l) {
				want = append(want, string(l))
			}
		}
		m.eachLine(text, func(start, end int) bool {
			got = append(got, string(text[start:end]))
			return true
		})
		if !slices.Equal(got, want) {
			t.Fatalf("eachLine(%q) on %q = %q, want %q", expr, text, got, want)
		}
	}
}
