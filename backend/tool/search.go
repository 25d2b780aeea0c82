package tool

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// lineMatcher finds the lines of a buffer that a regular expression
// matches. It looks for a literal every match must contain first (with
// bytes.Index, or a search for one rare byte in both cases when the
// literal is case-insensitive) and runs the expression only on the lines
// holding a candidate; without such a literal it runs the expression over
// the whole buffer and checks the line of each match. A line never
// includes its newline or a carriage return before it.
type lineMatcher struct {
	re   *regexp.Regexp
	lit  []byte // a substring of every match, or nil
	pure bool   // the expression is exactly lit: no need to run it
	fold *foldByte
}

// foldByte is a byte every match contains at offset off of its
// case-insensitive literal, in either case (lo, up).
type foldByte struct {
	off    int
	lo, up byte
	// seg is the stretch of the literal around that byte, in lower case,
	// that holds no k or s (which also fold to the non-ASCII Kelvin sign
	// and long s): every match has exactly these bytes up to ASCII case,
	// starting at offset segAt of the literal, so candidates are checked
	// against it before the expression runs. whole reports that seg is
	// the whole literal.
	seg   []byte
	segAt int
	whole bool
}

// newLineMatcher compiles expr, which must already carry its flags, e.g.
// "(?m)" and "(?i)".
func newLineMatcher(expr string) (*lineMatcher, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	m := &lineMatcher{re: re}
	if prefix, complete := re.LiteralPrefix(); complete && prefix != "" {
		m.lit, m.pure = []byte(prefix), true
		return m, nil
	}
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return m, nil //nolint:nilerr // regexp accepted it; just no prefilter
	}
	simple := parsed.Simplify()
	lit, fold := requiredLiteral(simple)
	switch {
	case len(lit) == 0:
	case !fold:
		m.lit = []byte(string(lit))
	default:
		m.fold = pickFoldByte(lit)
		// A pattern that is only this literal needs no further check.
		m.pure = m.fold != nil && m.fold.whole && simple.Op == syntax.OpLiteral
	}
	return m, nil
}

// requiredLiteral returns a literal that every match of re contains, the
// longest it can find, and whether it matches case-insensitively.
func requiredLiteral(re *syntax.Regexp) (lit []rune, fold bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return re.Rune, re.Flags&syntax.FoldCase != 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			l, f := requiredLiteral(sub)
			// Prefer longer literals, and exact ones over folded ones.
			if score(l, f) > score(lit, fold) {
				lit, fold = l, f
			}
		}
		return lit, fold
	}
	return nil, false
}

func score(lit []rune, fold bool) int {
	s := 2 * len(lit)
	if fold && s > 0 {
		s--
	}
	return s
}

// pickFoldByte chooses the rarest byte of an ASCII literal matched
// case-insensitively. k and s are never chosen: they also fold to the
// Kelvin sign and the long s, which are not ASCII.
func pickFoldByte(lit []rune) *foldByte {
	best, bestRank := -1, 1<<30
	for i, r := range lit {
		if r >= utf8.RuneSelf {
			return nil
		}
		b := byte(r)
		lo := lower(b)
		if lo == 'k' || lo == 's' {
			continue
		}
		if rank := byteRank(lo); rank < bestRank {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return nil
	}
	b := lower(byte(lit[best]))
	start, end := best, best+1
	for start > 0 && !foldsOutside(lit[start-1]) {
		start--
	}
	for end < len(lit) && !foldsOutside(lit[end]) {
		end++
	}
	seg := make([]byte, 0, end-start)
	for _, r := range lit[start:end] {
		seg = append(seg, lower(byte(r)))
	}
	return &foldByte{off: best, lo: b, up: upper(b), seg: seg, segAt: start, whole: start == 0 && end == len(lit)}
}

// foldsOutside reports whether the ASCII r matches a non-ASCII rune when
// case is ignored.
func foldsOutside(r rune) bool {
	lo := lower(byte(r))
	return lo == 'k' || lo == 's'
}

// foldAt reports whether buf holds lit (lower case ASCII) at pos, ignoring
// ASCII case.
func foldAt(buf []byte, pos int, lit []byte) bool {
	if pos+len(lit) > len(buf) {
		return false
	}
	for i, c := range lit {
		if lower(buf[pos+i]) != c {
			return false
		}
	}
	return true
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - ('a' - 'A')
	}
	return b
}

// commonBytes orders bytes from the most to the least frequent in source
// code and prose, roughly; bytes not listed are rarer still.
const commonBytes = " \n\tetainorslcdpu_.m(),hf=\"g;:y/-b0w1v'{}2*3x4#5>6<7[8]9k$q&j|z!+@%?\\~^`"

func byteRank(b byte) int {
	if i := strings.IndexByte(commonBytes, b); i >= 0 {
		return len(commonBytes) - i
	}
	return 0
}

// eachLine calls fn with the bounds of every matching line of buf, in
// order, until fn returns false.
func (m *lineMatcher) eachLine(buf []byte, fn func(start, end int) bool) {
	var scan foldScan
	if m.fold != nil {
		scan = foldScan{f: m.fold, nextLo: -2, nextUp: -2}
	}
	for from := 0; from < len(buf); {
		var pos int
		switch {
		case m.lit != nil:
			i := bytes.Index(buf[from:], m.lit)
			if i < 0 {
				return
			}
			pos = from + i
		case m.fold != nil:
			pos = scan.next(buf, from)
			for pos >= 0 && !foldAt(buf, pos+m.fold.segAt, m.fold.seg) {
				pos = scan.next(buf, pos+1)
			}
			if pos < 0 {
				return
			}
		default:
			loc := m.re.FindIndex(buf[from:])
			if loc == nil {
				return
			}
			pos = from + loc[0]
		}
		start := bytes.LastIndexByte(buf[from:pos], '\n') + 1 + from
		end := len(buf)
		if i := bytes.IndexByte(buf[pos:], '\n'); i >= 0 {
			end = pos + i
		}
		lineEnd := end
		if lineEnd > start && buf[lineEnd-1] == '\r' {
			lineEnd--
		}
		if m.pure || m.re.Match(buf[start:lineEnd]) {
			if !fn(start, lineEnd) {
				return
			}
		}
		from = end + 1
	}
}

// foldScan finds a fold byte's positions in one buffer, remembering where
// the next of each case is so that every byte is scanned at most once per
// case.
type foldScan struct {
	f              *foldByte
	nextLo, nextUp int // -2: not looked for yet; -1: none left
}

// next returns the start of the next candidate literal at or after from
// (possibly before from when the literal straddles it), or -1.
func (s *foldScan) next(buf []byte, from int) int {
	at := from + s.f.off
	if at >= len(buf) {
		return -1
	}
	s.nextLo = seek(buf, at, s.f.lo, s.nextLo)
	pos := s.nextLo
	if s.f.up != s.f.lo {
		s.nextUp = seek(buf, at, s.f.up, s.nextUp)
		if pos < 0 || (s.nextUp >= 0 && s.nextUp < pos) {
			pos = s.nextUp
		}
	}
	if pos < 0 {
		return -1
	}
	return pos - s.f.off
}

// seek returns the position of b at or after at, reusing cached when it
// is still ahead.
func seek(buf []byte, at int, b byte, cached int) int {
	if cached == -1 || cached >= at {
		return cached
	}
	i := bytes.IndexByte(buf[at:], b)
	if i < 0 {
		return -1
	}
	return at + i
}
