package approval

import (
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strings"
)

// withSubcommand are the commands whose second word is a subcommand worth
// keeping in a suggested rule: git status *, not git *.
var withSubcommand = map[string]bool{
	"git": true, "npm": true, "pnpm": true, "yarn": true, "bun": true, "npx": true, "go": true, "cargo": true,
	"docker": true, "kubectl": true, "pip": true, "pip3": true, "make": true, "gh": true, "brew": true,
	"apt": true, "apt-get": true, "dotnet": true, "mvn": true, "gradle": true, "./gradlew": true, "poetry": true,
	"uv": true, "rustup": true, "deno": true, "composer": true, "bundle": true, "rake": true, "terraform": true,
	"helm": true, "systemctl": true, "just": true, "task": true,
}

// risky are the commands never suggested with a trailing *: remembering
// "rm *" after approving one rm would allow every rm.
var risky = map[string]bool{
	"rm": true, "sudo": true, "doas": true, "su": true, "dd": true, "chmod": true, "chown": true, "chgrp": true,
	"eval": true, "exec": true, "source": true, ".": true, "trap": true, "sh": true, "bash": true, "zsh": true,
	"dash": true, "ksh": true, "env": true, "xargs": true, "find": true, "curl": true, "wget": true, "mv": true,
	"kill": true, "pkill": true, "killall": true, "shutdown": true, "reboot": true, "mkfs": true,
}

var subcommandWord = regexp.MustCompile(`^[a-z][a-z0-9:_-]*$`)

// interpreters are the commands that run whatever program they are given:
// a rule naming one with a * allows any code, and even an exact rule
// allows whatever the script file holds when it runs.
var interpreters = map[string]bool{
	"python": true, "python2": true, "python3": true, "node": true, "nodejs": true, "deno": true, "bun": true,
	"bunx": true, "npx": true, "pnpx": true, "perl": true, "ruby": true, "php": true, "lua": true, "Rscript": true,
	"java": true, "pwsh": true, "tclsh": true, "awk": true, "gawk": true, "osascript": true, "sh": true,
	"bash": true, "zsh": true, "dash": true, "ksh": true, "fish": true, "env": true, "xargs": true,
}

// SuggestionNote says what remembering a suggested rule means: what else
// it would allow, and a warning when it would allow running any code.
type SuggestionNote struct {
	Rule string `json:"rule"`
	// Exact is true for a rule that allows only the command (or path) as
	// it was asked.
	Exact bool `json:"exact"`
	// Allows says, for a wider rule, what else it would allow.
	Allows string `json:"allows,omitempty"`
	// Warning is set when the rule lets the agent run code a person has
	// not seen: an interpreter or shell.
	Warning string `json:"warning,omitempty"`
}

// NoteSuggestions explains each rule SuggestRule proposed for the call.
func NoteSuggestions(tool string, input json.RawMessage, rules []string) []SuggestionNote {
	if len(rules) == 0 {
		return nil
	}
	exact := map[string]bool{}
	if tool == "exec" {
		var in execInput
		if decodeInput(input, &in) == nil {
			if a, err := analyze(in.Command, Workspace{}); err == nil {
				for _, sg := range a.segs {
					exact["exec("+sg.text(a.src)+")"] = true
				}
			}
		}
	}
	out := make([]SuggestionNote, 0, len(rules))
	for i, r := range rules {
		n := SuggestionNote{Rule: r}
		switch {
		case tool == "exec":
			n.Exact = exact[r]
			n.Allows, n.Warning = noteExec(r, n.Exact)
		case i == 0:
			n.Exact = true
		default:
			n.Allows = "also allows every other file under " + strings.TrimSuffix(strings.TrimSuffix(r[strings.IndexByte(r, '(')+1:], ")"), "/**")
		}
		out = append(out, n)
	}
	return out
}

// noteExec says what an exec rule allows beyond the command asked, and
// warns when its command runs arbitrary code.
func noteExec(rule string, exact bool) (allows, warning string) {
	pattern := strings.TrimSuffix(strings.TrimPrefix(rule, "exec("), ")")
	fields := strings.Fields(pattern)
	name := ""
	for _, f := range fields {
		if !strings.Contains(f, "=") {
			name = path.Base(f)
			break
		}
	}
	if !exact && strings.HasSuffix(pattern, " *") {
		allows = "also allows " + strings.TrimSuffix(pattern, " *") + " with any other arguments"
	}
	if !interpreters[name] {
		return allows, ""
	}
	if exact {
		return allows, name + " runs a program: this allows whatever the files it runs hold when it runs, even if they change"
	}
	return allows, name + " runs any program it is given: this rule allows the agent to run any code"
}

// SuggestRule proposes rules that would allow the tool call next time,
// most useful first, for a person choosing "approve and remember":
//
//   - exec: the exact rule of each simple command first, then a prefix
//     rule for each: git status --short gives exec(git status --short)
//     and exec(git status *); node build.js gives exec(node build.js) and
//     exec(node *). Risky commands (rm, sudo, sh, curl, ...) and commands
//     with risk hints or eval-like parts get only the exact rule. A
//     command line of several commands gives the rules for each, exact
//     ones first. NoteSuggestions says what the wider ones also allow.
//   - write, edit: write(src/a/b.go) and write(src/a/**).
//   - read: read(PATH) and read(DIR/**).
//
// It returns nil for other tools and for input it cannot decode.
func SuggestRule(tool string, input json.RawMessage) []string {
	switch tool {
	case "exec":
		var in execInput
		if decodeInput(input, &in) != nil {
			return nil
		}
		return suggestExec(in.Command)
	case "write", "edit", "read":
		var in struct {
			Path string `json:"path"`
		}
		if json.Unmarshal(input, &in) != nil || strings.TrimSpace(in.Path) == "" {
			return nil
		}
		ruleTool := "write"
		if tool == "read" {
			ruleTool = "read"
		}
		return suggestPath(ruleTool, strings.TrimSpace(in.Path))
	}
	return nil
}

func suggestExec(cmd string) []string {
	a, err := analyze(cmd, Workspace{})
	if err != nil {
		return nil
	}
	hinted := map[int]bool{}
	for _, h := range a.hints() {
		hinted[h.Segment] = true
	}
	var out, wide []string
	add := func(list *[]string, pattern string) {
		if r := "exec(" + pattern + ")"; !slices.Contains(out, r) && !slices.Contains(wide, r) {
			if _, err := ParseRule(ListAllow, Global, r); err == nil {
				*list = append(*list, r)
			}
		}
	}
	for i, sg := range a.segs {
		text := sg.text(a.src) // add drops text that does not parse as a rule
		if sg.kind != kindCommand || len(sg.words) == 0 {
			if text != "" {
				add(&out, text)
			}
			continue
		}
		add(&out, text)
		if prefix := sg.prefix(a.src); prefix != "" && !hinted[i] && len(sg.needs) == 0 && !hasSensitive(sg) {
			add(&wide, prefix+" *")
		}
	}
	return append(out, wide...)
}

// prefix returns the shell text of the words a prefix rule keeps: the
// assignments, the command name, and its subcommand for commands that have
// them; "" when no prefix rule fits.
func (sg *seg) prefix(src string) string {
	w0 := &sg.words[0]
	if !w0.literal() || risky[path.Base(w0.value)] || strings.HasPrefix(path.Base(w0.value), "mkfs") {
		return ""
	}
	keep := 1
	if withSubcommand[w0.value] && len(sg.words) > 1 {
		if w1 := &sg.words[1]; w1.literal() && subcommandWord.MatchString(w1.value) {
			keep = 2
		}
	}
	last := sg.words[keep-1].node
	if last == nil {
		return ""
	}
	return src[sg.start:int(last.End().Offset())]
}

func hasSensitive(sg *seg) bool {
	for _, rd := range sg.redirs {
		if rd.sensitive {
			return true
		}
	}
	return false
}

// suggestPath proposes the exact path and its directory.
func suggestPath(tool, p string) []string {
	clean := strings.ReplaceAll(p, `\`, "/")
	if !strings.HasPrefix(clean, "~") {
		clean = path.Clean(clean)
	}
	out := []string{tool + "(" + escapeGlob(clean) + ")"}
	if dir := path.Dir(clean); dir != "." && dir != "/" && dir != "~" && dir != ".." {
		out = append(out, tool+"("+escapeGlob(dir)+"/**)")
	}
	return out
}

// escapeGlob escapes the characters doublestar treats as pattern syntax.
func escapeGlob(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
