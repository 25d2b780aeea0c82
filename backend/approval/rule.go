package approval

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/corral-dev/corral/backend/egress"
	"mvdan.cc/sh/v3/syntax"
)

// ErrBadRule reports rule text that cannot be parsed.
var ErrBadRule = errors.New("approval: bad rule")

// Rule is one entry of an allow, ask or deny list. Its text names a tool
// and a pattern:
//
//   - exec(CMD): CMD is parsed as one shell command. Its words match the
//     words of a simple command: a literal word matches the same literal
//     word (quoting does not matter: 'no'de is node); a word with an
//     unquoted * or ? is a glob over one literal word; a last word that is
//     a lone * matches any number (zero too) of further literal words; any
//     other word (with $VAR, $(...), ~) matches only the same shell text.
//     VAR=x prefixes and redirections in CMD must appear in the command.
//     exec(git status *) matches "git status" and "git status --short".
//   - write(PATH): a doublestar pattern over the path written or edited,
//     relative to the workspace, or absolute, or starting with ~/.
//   - read(PATH): the same, for files read.
//   - mcp(SERVER/TOOL): a glob over an MCP server's tool (see CheckMCP);
//     mcp(github/*) is every tool of the server github.
//   - net(HOST): a host the sandbox's commands may reach through the egress
//     proxy (allow) or never (deny): a name, *.domain or an IP address, with
//     an optional :PORT or :* (see egress.ParseHost); net(*.github.com).
//
// Build rules with ParseRule; a Rule made otherwise matches nothing.
type Rule struct {
	// Text is the rule, normalised, such as "exec(npm test)".
	Text string
	// List is the list the rule is on.
	List List
	// Scope is where the rule applies.
	Scope Scope
	// ID identifies a remembered rule in the Ledger; empty for rules from
	// configuration.
	ID string

	tool string
	exec *pattern
	path string
}

// RuleRef identifies the rule that decided a segment or an action.
type RuleRef struct {
	Text  string `json:"rule"`
	List  List   `json:"list"`
	Scope Scope  `json:"scope"`
	ID    string `json:"id,omitempty"`
}

func (r *Rule) ref() *RuleRef {
	return &RuleRef{Text: r.Text, List: r.List, Scope: r.Scope, ID: r.ID}
}

// String describes the rule for a person: "exec(npm test) (global allow)".
func (r RuleRef) String() string {
	return fmt.Sprintf("%s (%s %s)", r.Text, r.Scope, r.List)
}

// ParseRule parses text as a rule on list at scope.
func ParseRule(list List, scope Scope, text string) (Rule, error) {
	if !list.Valid() {
		return Rule{}, fmt.Errorf("%w %q: list %q is not allow, ask or deny", ErrBadRule, text, list)
	}
	if _, err := ParseScope(string(scope)); err != nil {
		return Rule{}, fmt.Errorf("%w %q: %w", ErrBadRule, text, err)
	}
	tool, arg, err := splitRule(text)
	if err != nil {
		return Rule{}, err
	}
	r := Rule{Text: tool + "(" + arg + ")", List: list, Scope: scope, tool: tool}
	switch tool {
	case "exec":
		p, err := compilePattern(arg)
		if err != nil {
			return Rule{}, fmt.Errorf("%w %q: %w", ErrBadRule, text, err)
		}
		r.exec = p
	case "write", "read":
		if !doublestar.ValidatePattern(arg) {
			return Rule{}, fmt.Errorf("%w %q: %q is not a valid path pattern", ErrBadRule, text, arg)
		}
		r.path = arg
	case "mcp":
		return parseMCPRule(r, text, arg)
	case "net":
		h, err := egress.ParseHost(arg)
		if err != nil {
			return Rule{}, fmt.Errorf("%w %q: %w", ErrBadRule, text, err)
		}
		r.Text, r.path = "net("+h.Pattern+")", h.Pattern
		return r, nil
	case "edit":
		return Rule{}, fmt.Errorf("%w %q: write(...) rules cover both write and edit", ErrBadRule, text)
	default:
		return Rule{}, fmt.Errorf("%w %q: unknown tool %q (want exec, write, read, mcp or net)", ErrBadRule, text, tool)
	}
	return r, nil
}

// splitRule splits "tool(arg)" into its parts, trimming blanks.
func splitRule(text string) (tool, arg string, err error) {
	t := strings.TrimSpace(text)
	open := strings.IndexByte(t, '(')
	if open <= 0 || !strings.HasSuffix(t, ")") {
		return "", "", fmt.Errorf("%w %q: want tool(pattern), such as exec(npm test) or write(src/**)", ErrBadRule, text)
	}
	tool, arg = strings.TrimSpace(t[:open]), strings.TrimSpace(t[open+1:len(t)-1])
	if arg == "" {
		return "", "", fmt.Errorf("%w %q: the pattern is empty", ErrBadRule, text)
	}
	return tool, arg, nil
}

// pattern is a compiled exec rule.
type pattern struct {
	kind    segKind
	words   []patWord
	rest    bool // the last word was a lone *: any further literal words
	assigns []patAssign
	redirs  []patRedir
	printed string // for kinds matched as a whole
}

type patKind uint8

const (
	patLit  patKind = iota // equal literal words
	patGlob                // a glob over a literal word
	patRaw                 // the same shell text
)

type patWord struct {
	kind patKind
	s    string   // the literal, or the shell text for patRaw
	glob []string // for patGlob: literal pieces split by "*" and "?" markers
}

type patAssign struct {
	name   string
	append bool
	value  patWord
}

type patRedir struct {
	op     syntax.RedirOperator
	fd     string
	target patWord
	hdoc   bool
}

// compilePattern parses the argument of an exec rule.
func compilePattern(src string) (*pattern, error) {
	f, err := parse(src)
	if err != nil {
		return nil, fmt.Errorf("not a shell command: %w", err)
	}
	if len(f.Stmts) != 1 {
		return nil, errors.New("a rule names one command; write one rule per command")
	}
	st := f.Stmts[0]
	if st.Background || st.Negated {
		return nil, errors.New("a rule names one command, not negated (!) or in the background (&)")
	}
	switch st.Cmd.(type) {
	case *syntax.BinaryCmd, *syntax.Subshell, *syntax.Block, *syntax.IfClause, *syntax.WhileClause, *syntax.CaseClause, *syntax.TimeClause:
		return nil, errors.New("a rule names one simple command (or one function definition, loop header or test); write one rule per command")
	}
	a := &analysis{src: src}
	a.stmt(st, nil, 0)
	i := slices.IndexFunc(a.segs, func(s *seg) bool { return s.depth == 0 })
	if i < 0 {
		return nil, errors.New("no command")
	}
	sg := a.segs[i]
	p := &pattern{kind: sg.kind, printed: sg.printed}
	if sg.kind != kindCommand {
		return p, nil
	}
	for i := range sg.words {
		w := &sg.words[i]
		if i == len(sg.words)-1 && isLoneStar(w.node) {
			p.rest = true
			break
		}
		p.words = append(p.words, patternWord(w))
	}
	for i := range sg.assigns {
		as := &sg.assigns[i]
		p.assigns = append(p.assigns, patAssign{name: as.name, append: as.append, value: patternWord(&as.value)})
	}
	for i := range sg.redirs {
		rd := &sg.redirs[i]
		pr := patRedir{op: rd.op, fd: rd.fd, target: patternWord(&rd.target), hdoc: rd.node.Hdoc != nil}
		if pr.hdoc {
			pr.target = patWord{kind: patRaw, s: redirText(rd.node)}
		}
		p.redirs = append(p.redirs, pr)
	}
	return p, nil
}

// isLoneStar reports whether w is an unquoted *.
func isLoneStar(w *syntax.Word) bool {
	if w == nil || len(w.Parts) != 1 {
		return false
	}
	l, ok := w.Parts[0].(*syntax.Lit)
	return ok && l.Value == "*"
}

// patternWord turns a word of a rule into what it matches.
func patternWord(w *word) patWord {
	switch {
	case w.literal():
		return patWord{kind: patLit, s: w.value}
	case w.dyn == dynGlob && w.node != nil:
		if g, ok := globPieces(w.node); ok {
			return patWord{kind: patGlob, glob: g, s: w.print()}
		}
	}
	return patWord{kind: patRaw, s: w.print()}
}

// Glob markers in the pieces of a compiled glob.
const (
	globStar = "\x00*"
	globOne  = "\x00?"
)

// globPieces compiles a word whose only expansions are * and ? globs into
// literal pieces and markers. [ and ] are literal in rules.
func globPieces(w *syntax.Word) ([]string, bool) {
	var out []string
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, lit.String())
			lit.Reset()
		}
	}
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit:
			s := p.Value
			for i := 0; i < len(s); i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s):
					i++
					lit.WriteByte(s[i])
				case s[i] == '*':
					flush()
					out = append(out, globStar)
				case s[i] == '?':
					flush()
					out = append(out, globOne)
				default:
					lit.WriteByte(s[i])
				}
			}
		case *syntax.SglQuoted:
			lit.WriteString(p.Value)
		case *syntax.DblQuoted:
			for _, in := range p.Parts {
				l, ok := in.(*syntax.Lit)
				if !ok {
					return nil, false
				}
				lit.WriteString(unescapeDouble(l.Value))
			}
		default:
			return nil, false
		}
	}
	flush()
	return out, true
}

// globMatch matches s against compiled glob pieces: * is any run of bytes
// (slashes too), ? one character.
func globMatch(pieces []string, s string) bool {
	if len(pieces) == 0 {
		return s == ""
	}
	switch p := pieces[0]; p {
	case globStar:
		for i := 0; i <= len(s); i++ {
			if globMatch(pieces[1:], s[i:]) {
				return true
			}
		}
		return false
	case globOne:
		if s == "" {
			return false
		}
		_, size := utf8.DecodeRuneInString(s)
		return globMatch(pieces[1:], s[size:])
	default:
		return strings.HasPrefix(s, p) && globMatch(pieces[1:], s[len(p):])
	}
}

// RuleSet is the rules that apply to one action: typically the global,
// agent and session rules of the Ledger plus an agent's configured rules.
// Precedence is by list, deny > ask > allow, whatever the scopes; among
// matching rules of one list the most specific scope is reported. The zero
// RuleSet has no rules.
type RuleSet struct {
	rules []Rule
}

// NewRuleSet returns a set of rules.
func NewRuleSet(rules ...Rule) RuleSet {
	return RuleSet{}.With(rules...)
}

// With returns s with rules added.
func (s RuleSet) With(rules ...Rule) RuleSet {
	all := append(slices.Clip(s.rules), rules...)
	slices.SortStableFunc(all, func(a, b Rule) int { return cmp.Compare(b.Scope.rank(), a.Scope.rank()) })
	return RuleSet{rules: all}
}

// Rules returns the rules, most specific scope first.
func (s RuleSet) Rules() []Rule { return slices.Clone(s.rules) }

// Len is the number of rules.
func (s RuleSet) Len() int { return len(s.rules) }

// NetHosts returns the host patterns of the net(...) rules on list, in order.
func (s RuleSet) NetHosts(list List) []string {
	var hosts []string
	for _, r := range s.rules {
		if r.tool == "net" && r.List == list {
			hosts = append(hosts, r.path)
		}
	}
	return hosts
}

// RuleLists is the rules of one scope as configured, for example in an
// agent's definition: {"allow": ["exec(npm test)"], "deny": ["exec(rm *)"]}.
type RuleLists struct {
	Allow []string `json:"allow,omitempty"`
	Ask   []string `json:"ask,omitempty"`
	Deny  []string `json:"deny,omitempty"`
}

// Rules parses the lists as rules of scope.
func (l RuleLists) Rules(scope Scope) ([]Rule, error) {
	var out []Rule
	var errs []error
	for _, list := range []struct {
		name  List
		texts []string
	}{{ListAllow, l.Allow}, {ListAsk, l.Ask}, {ListDeny, l.Deny}} {
		for _, t := range list.texts {
			r, err := ParseRule(list.name, scope, t)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, r)
		}
	}
	return out, errors.Join(errs...)
}
