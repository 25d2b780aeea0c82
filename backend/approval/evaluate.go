package approval

import (
	"errors"
	"fmt"
	"strings"
)

// Verdict is the rule engine's judgement of one command line: the overall
// decision and, for each segment, what decided it and why. It is what
// `corral rules test` prints and what the approval preview shows.
type Verdict struct {
	Command string `json:"command"`
	// Decision is the strongest decision of the segments (deny > ask >
	// allow); allow for an empty command.
	Decision Decision `json:"decision"`
	// Reason says in one sentence what decided it.
	Reason   string    `json:"reason"`
	Segments []Segment `json:"segments"`
	// Hints are the risks seen in the command, whatever the rules say.
	Hints []Hint `json:"hints,omitempty"`
	// ParseError is set when the command is not valid shell; the verdict
	// is then ask, with one segment covering the whole command.
	ParseError string `json:"parse_error,omitempty"`
}

// Segment is one thing the shell will run, judged on its own.
type Segment struct {
	// Text is the segment's source, Command[Start:End] (byte offsets).
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Kind is "command" for a simple command; "function", "arithmetic",
	// "test", "loop", "case" or "coprocess" for constructs judged whole;
	// "unparsed" for a command that could not be parsed.
	Kind string `json:"kind"`
	// Depth counts the command or process substitutions around it.
	Depth    int      `json:"depth,omitempty"`
	Decision Decision `json:"decision"`
	// Rule is the rule that decided it; nil when no rule matched and it
	// asks by default.
	Rule *RuleRef `json:"rule,omitempty"`
	// Reason explains the decision for a person.
	Reason string `json:"reason"`
	// Writes lists the workspace files it writes (relative paths): the
	// literal targets of its redirections and the files of tee, cp, mv,
	// ln, install, uniq and sed -i. Check passes each through the write
	// policy and rules.
	Writes []string `json:"writes,omitempty"`
	// CodeFile is set when it writes a file that makes tools run code
	// (see CodeFile): it says which and why. Such a segment always asks.
	CodeFile string `json:"code_file,omitempty"`
}

// Evaluate judges the command line cmd against the exec rules of rules.
// The command is parsed as shell and each segment is judged on its own:
// every simple command in a list, pipeline, subshell, group, if, while,
// for or case body, or inside a command or process substitution. A segment
// is denied when a deny rule matches it, asks when an ask rule does, and is
// allowed only when an allow rule matches it entirely; otherwise it asks.
//
// What an allow rule must name to allow a segment:
//   - every word, literally: a word whose value the shell only knows when
//     it runs ($VAR, $(...), globs, ~, {a,b}, $'...') matches only a rule
//     word with the same shell text. Quoting that still yields a literal
//     word is fine: 'no'de, n\ode and "node" all run node;
//   - every VAR=value prefix, since it changes what runs (LD_PRELOAD=x node
//     asks under exec(node *));
//   - eval, exec, source, ., trap, a shell's -c and find's -exec, as a
//     literal word (exec(*) does not allow eval);
//   - every redirection that writes outside the workspace, or to a target
//     that is not literal (/dev/null and /dev/std* are fine);
//   - function definitions, arithmetic commands, [[ ]] tests, for loop
//     headers (which assign a variable) and coprocesses, by their exact
//     text; a case whose word or patterns hold a substitution always asks;
//   - after a cd anywhere in the command, every redirection to a relative
//     path, since where it writes is no longer known.
//
// A comment is not run, so "npm test # ; rm -rf /" is just npm test. Text
// that does not parse asks.
//
// Evaluate applies rules only; Check applies the agent's Policy on top.
func Evaluate(cmd string, rules RuleSet, ws Workspace) Verdict {
	v := Verdict{Command: cmd}
	a, err := analyze(cmd, ws)
	if err == nil && strings.IndexByte(cmd, 0) >= 0 {
		err = errors.New("the command contains a NUL byte")
	}
	if err != nil {
		v.Decision = Ask
		v.ParseError = err.Error()
		v.Reason = "the command could not be parsed as shell (" + err.Error() + "), so it cannot be checked"
		v.Segments = []Segment{{Text: cmd, End: len(cmd), Kind: string(kindUnparsed), Decision: Ask, Reason: v.Reason}}
		return v
	}
	v.Decision = Allow
	v.Segments = make([]Segment, len(a.segs))
	for i, sg := range a.segs {
		v.Segments[i] = rules.judge(a, sg)
		v.Decision = v.Decision.stronger(v.Segments[i].Decision)
	}
	v.Hints = a.hints()
	v.Reason = v.summary()
	return v
}

// summary explains the overall decision by the first segment that made it.
func (v *Verdict) summary() string {
	if len(v.Segments) == 0 {
		return "the command is empty; nothing runs"
	}
	n := 0
	var first *Segment
	for i := range v.Segments {
		if s := &v.Segments[i]; s.Decision == v.Decision {
			n++
			if first == nil {
				first = s
			}
		}
	}
	switch v.Decision {
	case Allow:
		if len(v.Segments) == 1 {
			return first.Reason
		}
		return fmt.Sprintf("all %d commands are allowed by rules", len(v.Segments))
	default:
		more := ""
		if n > 1 {
			more = fmt.Sprintf(" (and %d more)", n-1)
		}
		return fmt.Sprintf("`%s`: %s%s", first.Text, first.Reason, more)
	}
}

// judge decides one segment.
func (s RuleSet) judge(a *analysis, sg *seg) Segment {
	out := Segment{Text: sg.text(a.src), Start: sg.start, End: sg.end, Kind: string(sg.kind), Depth: sg.depth, Writes: sg.writes, CodeFile: sg.codeFile}
	for _, list := range []List{ListDeny, ListAsk} {
		for i := range s.rules {
			r := &s.rules[i]
			if r.exec == nil || r.List != list {
				continue
			}
			if r.exec.matchAny(sg, list) {
				out.Decision, out.Rule = list.decision(), r.ref()
				if list == ListDeny {
					out.Reason = "denied by " + out.Rule.String()
				} else {
					out.Reason = "the ask rule " + out.Rule.String() + " requires approval"
				}
				return out
			}
		}
	}
	if sg.force != "" {
		out.Decision, out.Reason = Ask, sg.force
		return out
	}
	near := ""
	for i := range s.rules {
		r := &s.rules[i]
		if r.exec == nil || r.List != ListAllow {
			continue
		}
		ok, why := r.exec.match(sg, ListAllow)
		if ok {
			out.Decision, out.Rule = Allow, r.ref()
			out.Reason = "allowed by " + out.Rule.String()
			return out
		}
		if why != "" && near == "" {
			near = r.Text + " matches its words, but " + why
		}
	}
	out.Decision = Ask
	out.Reason = sg.askReason(near)
	return out
}

// matchAny reports whether p matches sg or a command its wrappers run
// (deny and ask rules: nice rm -rf / is still rm).
func (p *pattern) matchAny(sg *seg, list List) bool {
	if ok, _ := p.match(sg, list); ok {
		return true
	}
	for _, in := range sg.inner {
		if ok, _ := p.match(in, list); ok {
			return true
		}
	}
	return false
}

// askReason explains why no rule allowed sg: the near miss of an allow
// rule if there was one, else what a rule would have to name.
func (sg *seg) askReason(near string) string {
	if near != "" {
		return near
	}
	reasons := []string{"no rule allows it"}
	switch sg.kind {
	case kindFunction:
		reasons = append(reasons, "a function definition is allowed only by a rule that spells it out")
	case kindArithmetic, kindTest, kindLoop, kindCase, kindCoprocess:
		reasons = append(reasons, fmt.Sprintf("a %s construct is allowed only by a rule that spells it out", sg.kind))
	}
	for i := range sg.words {
		if w := &sg.words[i]; !w.literal() {
			what := fmt.Sprintf("word %d", i+1)
			if i == 0 {
				what = "the command name"
			}
			reasons = append(reasons, fmt.Sprintf("%s `%s` is not literal (%s), so only a rule with the same text can allow it", what, w.print(), w.dyn))
			break
		}
	}
	if len(sg.assigns) > 0 {
		reasons = append(reasons, fmt.Sprintf("it sets %s, which a rule must name", sg.assigns[0].name))
	}
	if len(sg.needs) > 0 {
		reasons = append(reasons, fmt.Sprintf("it uses %s, which only a rule naming it can allow", sg.needs[0].what))
	}
	for _, rd := range sg.redirs {
		if rd.sensitive {
			reasons = append(reasons, "it has "+rd.why+", which a rule must name")
			break
		}
	}
	if sg.depth > 0 {
		reasons = append(reasons, "it runs inside a substitution")
	}
	return strings.Join(reasons, "; ")
}

// match reports whether p matches sg for a rule on list. Allow rules must
// name everything in the segment; deny and ask rules match on what they
// name, so that a denied command cannot slip out by adding a prefix or a
// redirection. When the words match but something else keeps an allow
// rule from matching, why says what.
func (p *pattern) match(sg *seg, list List) (ok bool, why string) {
	if p.kind != sg.kind {
		return false, ""
	}
	strict := list == ListAllow
	if p.kind != kindCommand {
		if p.printed != sg.printed {
			return false, ""
		}
		if strict {
			for _, rd := range sg.redirs {
				if rd.sensitive {
					return false, "it has " + rd.why
				}
			}
		}
		return true, ""
	}
	n := len(p.words)
	if len(sg.words) < n || !p.rest && len(sg.words) != n {
		return false, ""
	}
	for i := range n {
		if !p.words[i].match(&sg.words[i]) {
			return false, ""
		}
	}
	if strict && p.rest {
		for i := n; i < len(sg.words); i++ {
			if w := &sg.words[i]; !w.literal() {
				return false, fmt.Sprintf("word %d `%s` is not literal (%s), and * matches only literal words", i+1, w.print(), w.dyn)
			}
		}
	}
	if strict || len(p.assigns) > 0 {
		if len(p.assigns) != len(sg.assigns) {
			if strict && len(sg.assigns) > 0 {
				return false, "the command sets " + sg.assigns[0].name + ", which the rule does not name"
			}
			return false, ""
		}
		for i, pa := range p.assigns {
			sa := &sg.assigns[i]
			if pa.name != sa.name || pa.append != sa.append || !pa.value.match(&sa.value) {
				return false, "the command sets " + sa.name + " differently from the rule"
			}
		}
	}
	for _, pr := range p.redirs {
		if !sg.hasRedir(pr) {
			return false, ""
		}
	}
	if strict {
		for _, rd := range sg.redirs {
			if rd.sensitive && !p.namesRedir(rd) {
				return false, "it has " + rd.why + ", which the rule does not name"
			}
		}
		for _, nd := range sg.needs {
			if nd.index >= n || p.words[nd.index].kind != patLit {
				return false, "it uses " + nd.what + ", which the rule does not name"
			}
		}
	}
	return true, ""
}

// hasRedir reports whether sg has a redirection matching pr.
func (sg *seg) hasRedir(pr patRedir) bool {
	for i := range sg.redirs {
		if pr.matchRedir(&sg.redirs[i]) {
			return true
		}
	}
	return false
}

// namesRedir reports whether p has a redirection matching rd.
func (p *pattern) namesRedir(rd redir) bool {
	for _, pr := range p.redirs {
		if pr.matchRedir(&rd) {
			return true
		}
	}
	return false
}

func (pr patRedir) matchRedir(rd *redir) bool {
	if pr.op != rd.op || pr.fd != rd.fd || pr.hdoc != (rd.node != nil && rd.node.Hdoc != nil) {
		return false
	}
	if pr.hdoc {
		return pr.target.s != "" && pr.target.s == redirText(rd.node)
	}
	return pr.target.match(&rd.target)
}

// match reports whether the rule word pw matches the command word w.
func (pw patWord) match(w *word) bool {
	switch pw.kind {
	case patLit:
		return w.literal() && w.value == pw.s
	case patGlob:
		return w.literal() && globMatch(pw.glob, w.value)
	default:
		return pw.s != "" && w.print() == pw.s
	}
}
