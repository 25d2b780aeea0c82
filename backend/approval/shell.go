package approval

import (
	"bytes"
	"path"
	"slices"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// The shell analysis: a command line is parsed (as bash, a superset of what
// sh runs, so bash-only syntax is recognised and judged rather than
// misread) and cut into segments, each one thing the shell will run: a
// simple command, or a construct that is judged as a whole (a function
// definition, an arithmetic command, a [[ ]] test, a for loop's header).
// Segments inside command and process substitutions are found too.

// segKind names what a segment is; it is shown in Segment.Kind.
type segKind string

const (
	kindCommand    segKind = "command"
	kindFunction   segKind = "function"
	kindArithmetic segKind = "arithmetic"
	kindTest       segKind = "test"
	kindLoop       segKind = "loop"
	kindCase       segKind = "case"
	kindCoprocess  segKind = "coprocess"
	kindUnparsed   segKind = "unparsed"
)

// dyn is a set of reasons a word is not a literal string.
type dyn uint16

const (
	dynParam dyn = 1 << iota
	dynCmdSubst
	dynProcSubst
	dynArith
	dynGlob
	dynBrace
	dynTilde
	dynDollarQuote
	dynExtGlob
	dynArray
)

var dynNames = []struct {
	d    dyn
	name string
}{
	{dynCmdSubst, "command substitution"},
	{dynProcSubst, "process substitution"},
	{dynParam, "parameter expansion"},
	{dynArith, "arithmetic expansion"},
	{dynGlob, "a glob"},
	{dynBrace, "brace expansion"},
	{dynTilde, "tilde expansion"},
	{dynDollarQuote, "$'...' or $\"...\" quoting"},
	{dynExtGlob, "an extended glob"},
	{dynArray, "an array"},
}

func (d dyn) String() string {
	var names []string
	for _, n := range dynNames {
		if d&n.d != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// word is one word of a command, with its value when it is literal.
type word struct {
	node    *syntax.Word
	value   string // the word as the shell passes it, when dyn == 0
	dyn     dyn
	printed string // canonical shell text, filled by print
}

func (w *word) literal() bool { return w.dyn == 0 }

// text is the word as shown to a person: its value if literal, else its
// shell text.
func (w *word) text() string {
	if w.literal() {
		return w.value
	}
	return w.print()
}

func (w *word) print() string {
	if w.printed == "" && w.node != nil {
		w.printed = printNode(w.node)
	}
	return w.printed
}

// assign is a VAR=value prefix of a command.
type assign struct {
	name   string
	append bool
	value  word // empty and literal for "VAR="
}

// redir is a redirection of a segment, or of a compound command around it.
type redir struct {
	node   *syntax.Redirect
	op     syntax.RedirOperator
	fd     string
	target word
	// sensitive marks a redirection a rule must name: a write outside the
	// workspace, a write whose target is not literal, or a here-document
	// or target with a substitution in it. why says which.
	sensitive bool
	why       string
	outside   string // the resolved target of a write outside the workspace
	relative  bool   // a write inside the workspace named by a relative path
}

// need is a part of a segment that only a rule naming it literally can
// allow: eval, exec, source, sh -c, find -exec.
type need struct {
	index int // the word that must be matched literally
	what  string
}

// seg is one segment.
type seg struct {
	kind       segKind
	start, end int
	depth      int // number of substitutions around it
	words      []word
	assigns    []assign
	redirs     []redir
	needs      []need
	printed    string // canonical text, for kinds judged as a whole
	subst      bool   // a substitution appears in it
	funcName   string // the name a function definition defines
	selfCall   bool   // the defined function calls itself
	// inner are the commands a wrapper runs (env X=1 nice rm: nice rm,
	// then rm), judged by deny and ask rules as if run alone.
	inner []*seg
	// writes are the workspace files it writes, relative to the
	// workspace: literal redirection targets and the files of tee, cp...
	writes []string
	// codeFile says which written file makes tools run code, and why.
	codeFile string
	// force says why it asks whatever the allow rules say.
	force string
}

// text returns the segment's source text.
func (s *seg) text(src string) string { return src[s.start:s.end] }

// analysis is a parsed command line.
type analysis struct {
	src   string
	ws    Workspace
	segs  []*seg
	pipes [][][]*seg // pipelines: for each, the segments of each stage
	// cdSeen reports a cd, pushd or popd anywhere in the command.
	cdSeen bool
}

var parsers = sync.Pool{New: func() any { return syntax.NewParser(syntax.Variant(syntax.LangBash)) }}

// parse parses src as a bash script.
func parse(src string) (*syntax.File, error) {
	p := parsers.Get().(*syntax.Parser)
	defer parsers.Put(p)
	return p.Parse(strings.NewReader(src), "")
}

// printNode returns n as canonical shell text on one line where possible,
// or "" for a node the printer does not take (a "" never matches a rule).
func printNode(n syntax.Node) string {
	var b bytes.Buffer
	if err := syntax.NewPrinter(syntax.SingleLine(true)).Print(&b, n); err != nil {
		return ""
	}
	return strings.TrimSpace(b.String())
}

// redirText returns a redirection (with its here-document) as canonical
// shell text.
func redirText(r *syntax.Redirect) string {
	return printNode(&syntax.Stmt{Redirs: []*syntax.Redirect{r}})
}

// analyze parses src and finds its segments.
func analyze(src string, ws Workspace) (*analysis, error) {
	f, err := parse(src)
	if err != nil {
		return nil, err
	}
	a := &analysis{src: src, ws: ws}
	a.stmts(f.Stmts, nil, 0)
	if a.cdSeen {
		a.afterCd()
	}
	for _, sg := range a.segs {
		a.findWrites(sg)
	}
	// Segments found in a redirection's substitution are added before the
	// command they belong to; show them all in source order.
	slices.SortStableFunc(a.segs, func(x, y *seg) int { return x.start - y.start })
	return a, nil
}

func (a *analysis) stmts(list []*syntax.Stmt, inherited []redir, depth int) {
	for _, s := range list {
		a.stmt(s, inherited, depth)
	}
}

// stmt adds the segments of s. Redirections of a compound command apply to
// every command inside it, so they are passed down.
func (a *analysis) stmt(s *syntax.Stmt, inherited []redir, depth int) {
	if s == nil {
		return
	}
	redirs := append(inherited[:len(inherited):len(inherited)], a.redirects(s.Redirs, depth)...)
	switch c := s.Cmd.(type) {
	case nil, *syntax.CallExpr, *syntax.DeclClause:
		a.command(s, redirs, depth)
	case *syntax.BinaryCmd:
		if c.Op == syntax.Pipe || c.Op == syntax.PipeAll {
			a.pipeline(c, redirs, depth)
			return
		}
		a.stmt(c.X, redirs, depth)
		a.stmt(c.Y, redirs, depth)
	case *syntax.Subshell:
		a.stmts(c.Stmts, redirs, depth)
	case *syntax.Block:
		a.stmts(c.Stmts, redirs, depth)
	case *syntax.IfClause:
		for ic := c; ic != nil; ic = ic.Else {
			a.stmts(ic.Cond, redirs, depth)
			a.stmts(ic.Then, redirs, depth)
		}
	case *syntax.WhileClause:
		a.stmts(c.Cond, redirs, depth)
		a.stmts(c.Do, redirs, depth)
	case *syntax.ForClause:
		header := *c
		header.Do = nil
		sg := a.whole(kindLoop, int(c.Pos().Offset()), int(c.DoPos.Offset()), &header, depth)
		sg.redirs = redirs
		sg.subst = a.nested(c.Loop, depth)
		a.stmts(c.Do, redirs, depth)
	case *syntax.CaseClause:
		patternSubst := false
		for _, item := range c.Items {
			for _, p := range item.Patterns {
				patternSubst = patternSubst || a.hasSubst(p)
			}
		}
		if patternSubst || a.hasSubst(c.Word) {
			sg := a.whole(kindCase, int(c.Case.Offset()), int(c.Word.End().Offset()), c.Word, depth)
			sg.subst = a.nested(c.Word, depth)
		}
		for _, item := range c.Items {
			for _, p := range item.Patterns {
				a.nested(p, depth)
			}
			a.stmts(item.Stmts, redirs, depth)
		}
	case *syntax.FuncDecl:
		sg := a.whole(kindFunction, int(c.Pos().Offset()), int(c.End().Offset()), c, depth)
		sg.redirs = redirs
		if c.Name != nil {
			sg.funcName = c.Name.Value
			sg.selfCall = callsItself(c.Body, c.Name.Value)
		}
		a.stmt(c.Body, redirs, depth)
	case *syntax.ArithmCmd:
		sg := a.whole(kindArithmetic, int(c.Pos().Offset()), int(c.End().Offset()), c, depth)
		sg.redirs = redirs
		sg.subst = a.nested(c, depth)
	case *syntax.LetClause:
		sg := a.whole(kindArithmetic, int(c.Pos().Offset()), int(c.End().Offset()), c, depth)
		sg.redirs = redirs
		sg.subst = a.nested(c, depth)
	case *syntax.TestClause:
		sg := a.whole(kindTest, int(c.Pos().Offset()), int(c.End().Offset()), c, depth)
		sg.redirs = redirs
		sg.subst = a.nested(c, depth)
	case *syntax.TimeClause:
		// time only measures the command it runs.
		a.stmt(c.Stmt, redirs, depth)
	case *syntax.CoprocClause:
		sg := a.whole(kindCoprocess, int(c.Pos().Offset()), int(c.End().Offset()), c, depth)
		sg.redirs = redirs
		a.stmt(c.Stmt, redirs, depth)
	default:
		sg := a.whole(kindUnparsed, int(s.Pos().Offset()), int(s.End().Offset()), s, depth)
		sg.redirs = redirs
		sg.subst = a.nested(s, depth)
	}
}

// whole adds a segment judged as a whole.
func (a *analysis) whole(kind segKind, start, end int, n syntax.Node, depth int) *seg {
	start, end = a.trim(start, end)
	sg := &seg{kind: kind, start: start, end: end, depth: depth, printed: printNode(n)}
	a.segs = append(a.segs, sg)
	return sg
}

// trim narrows [start, end) to leave out surrounding blanks and separators.
func (a *analysis) trim(start, end int) (int, int) {
	start, end = max(0, min(start, len(a.src))), max(0, min(end, len(a.src)))
	for end > start && strings.ContainsRune(" \t\n;&", rune(a.src[end-1])) {
		end--
	}
	return start, end
}

// pipeline adds the stages of a pipeline and remembers which segments each
// stage produced, for the download-piped-to-a-shell hint.
func (a *analysis) pipeline(c *syntax.BinaryCmd, redirs []redir, depth int) {
	var stages []*syntax.Stmt
	var flatten func(s *syntax.Stmt)
	flatten = func(s *syntax.Stmt) {
		if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && (b.Op == syntax.Pipe || b.Op == syntax.PipeAll) && len(s.Redirs) == 0 && !s.Negated {
			flatten(b.X)
			flatten(b.Y)
			return
		}
		stages = append(stages, s)
	}
	flatten(c.X)
	flatten(c.Y)
	var groups [][]*seg
	for _, st := range stages {
		first := len(a.segs)
		a.stmt(st, redirs, depth)
		groups = append(groups, slices.Clone(a.segs[first:]))
	}
	a.pipes = append(a.pipes, groups)
}

// command adds a simple command (or a declaration such as export, judged
// like one) and the segments inside its substitutions.
func (a *analysis) command(s *syntax.Stmt, redirs []redir, depth int) {
	sg := &seg{kind: kindCommand, depth: depth, redirs: redirs}
	start, end := -1, -1
	span := func(n syntax.Node) {
		if p := int(n.Pos().Offset()); start < 0 || p < start {
			start = p
		}
		if e := int(n.End().Offset()); e > end {
			end = e
		}
	}
	a.segs = append(a.segs, sg)
	switch c := s.Cmd.(type) {
	case *syntax.CallExpr:
		span(c)
		// A literal word holds no substitution: only the others are walked.
		for _, as := range c.Assigns {
			sg.assigns = append(sg.assigns, a.assignment(as))
			if !sg.assigns[len(sg.assigns)-1].value.literal() {
				sg.subst = a.nested(as, depth) || sg.subst
			}
		}
		sg.words = make([]word, 0, len(c.Args))
		for _, w := range c.Args {
			sg.words = append(sg.words, a.word(w))
			if !sg.words[len(sg.words)-1].literal() {
				sg.subst = a.nested(w, depth) || sg.subst
			}
		}
	case *syntax.DeclClause:
		span(c)
		sg.words = append(sg.words, word{value: c.Variant.Value})
		for _, as := range c.Args {
			sg.words = append(sg.words, a.declWord(as))
			sg.subst = a.nested(as, depth) || sg.subst
		}
	}
	for _, r := range s.Redirs {
		span(r)
		sg.subst = sg.subst || a.hasSubst(r)
	}
	if start < 0 {
		start, end = int(s.Pos().Offset()), int(s.End().Offset())
	}
	sg.start, sg.end = a.trim(start, end)
	sg.needs = needs(sg.words)
	sg.inner = innerSegs(sg)
	if len(sg.words) > 0 {
		switch sg.words[0].value {
		case "cd", "pushd", "popd":
			a.cdSeen = true
		}
	}
}

// redirects analyses a statement's own redirections.
func (a *analysis) redirects(rs []*syntax.Redirect, depth int) []redir {
	var out []redir
	for _, r := range rs {
		rd := redir{node: r, op: r.Op}
		if r.N != nil {
			rd.fd = r.N.Value
		}
		if r.Word != nil {
			rd.target = a.word(r.Word)
		}
		switch {
		case r.Hdoc != nil && a.hasSubst(r.Hdoc):
			rd.sensitive, rd.why = true, "a here-document with a command substitution in it"
		case rd.target.dyn&(dynCmdSubst|dynProcSubst) != 0:
			rd.sensitive, rd.why = true, "a redirection whose target runs a command ("+rd.target.dyn.String()+")"
		case writes(r.Op, &rd.target):
			a.checkWrite(&rd)
		}
		if r.Hdoc != nil || !rd.target.literal() {
			a.nested(r, depth)
		}
		out = append(out, rd)
	}
	return out
}

// writes reports whether a redirection opens its target for writing.
func writes(op syntax.RedirOperator, target *word) bool {
	switch op {
	case syntax.RdrOut, syntax.AppOut, syntax.RdrInOut, syntax.RdrAll, syntax.AppAll, syntax.RdrClob, syntax.RdrAllClob, syntax.AppAllClob:
		return true
	case syntax.DplOut: // >&2 and >&- duplicate; >&file writes file
		if !target.literal() {
			return true
		}
		v := target.value
		return v != "-" && strings.Trim(v, "0123456789-") != ""
	}
	return false
}

// harmless are the device files a command may write to freely.
var harmless = map[string]bool{"/dev/null": true, "/dev/stdout": true, "/dev/stderr": true, "/dev/tty": true}

// checkWrite marks a write redirection sensitive when its target is not
// literal or is outside the workspace.
func (a *analysis) checkWrite(rd *redir) {
	t := &rd.target
	if !t.literal() {
		rd.sensitive, rd.why = true, "a redirection to "+t.print()+", whose target cannot be known before it runs ("+t.dyn.String()+")"
		return
	}
	if harmless[t.value] || strings.HasPrefix(t.value, "/dev/fd/") {
		return
	}
	res := a.ws.resolve(t.value, a.ws.Cwd)
	if !res.inside {
		rd.sensitive, rd.why, rd.outside = true, "a redirection that writes "+res.display()+" outside the workspace ("+res.why+")", res.display()
		return
	}
	rd.relative = !path.IsAbs(t.value) && !strings.HasPrefix(t.value, "~")
}

// afterCd marks relative write redirections sensitive when the command
// changes directory somewhere (before them, or in a loop around them):
// where they write is then not where the analysis placed them.
func (a *analysis) afterCd() {
	for _, sg := range a.segs {
		for i := range sg.redirs {
			if rd := &sg.redirs[i]; rd.relative && !rd.sensitive {
				rd.sensitive, rd.why = true, "a redirection to the relative path "+rd.target.value+" in a command that changes directory"
			}
		}
	}
}

// hasSubst reports whether n contains a command or process substitution.
func (a *analysis) hasSubst(n syntax.Node) bool {
	if n == nil {
		return false
	}
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		switch n.(type) {
		case *syntax.CmdSubst, *syntax.ProcSubst:
			found = true
		}
		return !found
	})
	return found
}

// nested adds the segments inside the substitutions in n and reports
// whether there were any.
func (a *analysis) nested(n syntax.Node, depth int) bool {
	if n == nil {
		return false
	}
	found := false
	syntax.Walk(n, func(n syntax.Node) bool {
		switch c := n.(type) {
		case *syntax.CmdSubst:
			found = true
			a.stmts(c.Stmts, nil, depth+1)
			return false
		case *syntax.ProcSubst:
			found = true
			a.stmts(c.Stmts, nil, depth+1)
			return false
		}
		return true
	})
	return found
}

// word analyses one word.
func (a *analysis) word(w *syntax.Word) word {
	v, d := literal(w, false)
	return word{node: w, value: v, dyn: d}
}

// assignment analyses a VAR=value prefix.
func (a *analysis) assignment(as *syntax.Assign) assign {
	out := assign{append: as.Append}
	if as.Name != nil {
		out.name = as.Name.Value
	}
	switch {
	case as.Index != nil || as.Array != nil:
		out.value = word{dyn: dynArray, printed: printNode(as)}
	case as.Value != nil:
		v, d := literal(as.Value, true)
		out.value = word{node: as.Value, value: v, dyn: d}
	}
	return out
}

// declWord turns an argument of export, declare, local, readonly or typeset
// into a word, literal when its value is.
func (a *analysis) declWord(as *syntax.Assign) word {
	if as.Naked && as.Value != nil && as.Name == nil { // an option such as -x
		return a.word(as.Value)
	}
	if as.Naked {
		return word{value: as.Name.Value}
	}
	as2 := a.assignment(as)
	op := "="
	if as.Append {
		op = "+="
	}
	return word{value: as2.name + op + as2.value.value, dyn: as2.value.dyn, printed: printNode(as)}
}

// literal returns the string the shell makes of w when that is fixed by
// the text alone, with the reasons it is not otherwise. inAssign applies
// the tilde rules of assignment values (a ~ after = or : expands).
func literal(w *syntax.Word, inAssign bool) (string, dyn) {
	if w == nil {
		return "", 0
	}
	if len(w.Parts) == 1 { // the common case: one plain unquoted literal
		if l, ok := w.Parts[0].(*syntax.Lit); ok && !strings.ContainsAny(l.Value, `\*?[{~`) {
			return l.Value, 0
		}
	}
	var val strings.Builder
	var skel []byte // unquoted characters as written; quoted or escaped ones as '_'
	var d dyn
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			s := p.Value
			for i := 0; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					val.WriteByte(s[i])
					skel = append(skel, '_')
					continue
				}
				val.WriteByte(s[i])
				skel = append(skel, s[i])
			}
		case *syntax.SglQuoted:
			if p.Dollar {
				d |= dynDollarQuote
			}
			val.WriteString(p.Value)
			skel = append(skel, '_')
		case *syntax.DblQuoted:
			if p.Dollar {
				d |= dynDollarQuote
			}
			for _, in := range p.Parts {
				if l, ok := in.(*syntax.Lit); ok {
					val.WriteString(unescapeDouble(l.Value))
				} else {
					d |= partDyn(in)
				}
			}
			skel = append(skel, '_')
		default:
			d |= partDyn(part)
			skel = append(skel, '_')
		}
	}
	d |= skeletonDyn(skel, inAssign)
	if d != 0 {
		return "", d
	}
	return val.String(), 0
}

// partDyn says why a word part is not literal.
func partDyn(p syntax.WordPart) dyn {
	switch p.(type) {
	case *syntax.ParamExp:
		return dynParam
	case *syntax.CmdSubst:
		return dynCmdSubst
	case *syntax.ProcSubst:
		return dynProcSubst
	case *syntax.ArithmExp:
		return dynArith
	case *syntax.ExtGlob:
		return dynExtGlob
	case *syntax.BraceExp:
		return dynBrace
	}
	return dynParam
}

// skeletonDyn finds the expansions the shell applies to the unquoted
// characters of a word: globs, brace expansion and tilde expansion.
func skeletonDyn(skel []byte, inAssign bool) dyn {
	var d dyn
	s := string(skel)
	if strings.ContainsAny(s, "*?") {
		d |= dynGlob
	}
	if i := strings.IndexByte(s, '['); i >= 0 && strings.IndexByte(s[i+1:], ']') >= 0 {
		d |= dynGlob
	}
	if i := strings.IndexByte(s, '{'); i >= 0 {
		if j := strings.IndexByte(s[i:], '}'); j >= 0 {
			inner := s[i+1 : i+j]
			if strings.Contains(inner, ",") || strings.Contains(inner, "..") {
				d |= dynBrace
			}
		}
	}
	if strings.HasPrefix(s, "~") || (inAssign && strings.Contains(s, ":~")) {
		d |= dynTilde
	}
	return d
}

// unescapeDouble removes the backslashes that escape inside double quotes.
func unescapeDouble(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
			i++
			if s[i] == '\n' {
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// shells are the commands that run a string given with -c as a script.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "ash": true, "fish": true, "busybox": true}

// needs finds the parts of a command that run code the rule engine cannot
// see: eval, exec, source and ., trap, a shell's -c, and the options of
// known commands that run a program or write a file (optionNeeds).
func needs(words []word) []need {
	if len(words) == 0 || !words[0].literal() {
		return nil
	}
	name := words[0].value
	switch name {
	case "eval", "exec", "source", ".", "trap":
		return append([]need{{0, "`" + name + "`"}}, optionNeeds(words)...)
	}
	if shells[path.Base(name)] {
		// Any option word with a c in it counts, wherever it is: a word
		// too many makes a rule spell it out, a word too few would let
		// a script string through.
		for i := 1; i < len(words); i++ {
			v := words[i].value
			if v == "--command" || strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "--") && strings.ContainsRune(v, 'c') {
				return []need{{0, "`" + name + " -c`"}, {i, "`" + name + " -c`"}}
			}
		}
	}
	return optionNeeds(words)
}

// callsItself reports whether body calls the function name.
func callsItself(body *syntax.Stmt, name string) bool {
	found := false
	syntax.Walk(body, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 {
			if v, d := literal(c.Args[0], false); d == 0 && v == name {
				found = true
			}
		}
		return !found
	})
	return found
}
