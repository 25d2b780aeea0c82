package approval

import (
	"path"
	"slices"
	"strings"
)

// Argument-aware verdicts: what a known command does with its arguments.
// A wrapper (env, nice, timeout, xargs...) runs the command in its
// arguments, so that command is judged too; an option that writes a file
// or runs a program (git -c, git diff --output, find -fprint, sort -o)
// must be named literally by an allow rule, as eval and sh -c must.

// wrapSpec describes a command that runs the command in its arguments.
type wrapSpec struct {
	flags    string   // short options without an argument
	args     string   // short options that take an argument
	long     []string // long options without an argument
	longArgs []string // long options that take an argument (--x y or --x=y)
	operands int      // words between the options and the command (timeout's duration)
	assigns  bool     // VAR=value words before the command (env)
	numeric  bool     // -N is an option (nice -10)
	// optional lists short options whose argument, if any, is attached
	// (xargs -i, -e, -l).
	optional string
	// noRun lists options after which nothing is run (command -v).
	noRun string
	// opaque lists options whose argument is itself a command line the
	// analysis cannot follow (env -S).
	opaque []string
}

// wrapSpecs are the wrappers followed. Other options of these commands
// make the wrapped command unknown, so the segment asks.
var wrapSpecs = map[string]wrapSpec{
	"env":     {flags: "i0v", args: "uC", long: []string{"--ignore-environment", "--null", "--debug"}, longArgs: []string{"--unset", "--chdir"}, assigns: true, opaque: []string{"-S", "--split-string"}},
	"nice":    {args: "n", longArgs: []string{"--adjustment"}, numeric: true},
	"timeout": {flags: "v", args: "sk", long: []string{"--preserve-status", "--foreground", "--verbose"}, longArgs: []string{"--signal", "--kill-after"}, operands: 1},
	"nohup":   {},
	"command": {flags: "pvV", noRun: "vV"},
	"builtin": {},
	"exec":    {flags: "cl", args: "a"},
	"stdbuf":  {args: "ioe", longArgs: []string{"--input", "--output", "--error"}},
	"ionice":  {flags: "t", args: "cn", longArgs: []string{"--class", "--classdata"}},
	"setsid":  {flags: "cfw", long: []string{"--ctty", "--fork", "--wait"}},
	"xargs":   {flags: "0rtpx", args: "adEILnPs", optional: "eil", long: []string{"--null", "--no-run-if-empty", "--verbose", "--interactive", "--exit", "--open-tty"}, longArgs: []string{"--arg-file", "--delimiter", "--eof", "--replace", "--max-lines", "--max-args", "--max-procs", "--max-chars", "--process-slot-var"}},
	"sudo":    {flags: "bEHiKklnPSsV", args: "CDghpRrTUu", longArgs: []string{"--user", "--group", "--chdir", "--prompt"}},
	"doas":    {flags: "nSs", args: "Cu"},
	"time":    {flags: "pvaq", args: "of", longArgs: []string{"--output", "--format"}},
}

// wrapped finds the command a wrapper runs: the index of its name in
// words and the VAR=value words env sets. ok is false when words is not a
// known wrapper, runs nothing, or its options cannot be followed; why
// then says what a rule must name, if anything, and k is the index of the
// word that could not be followed.
func wrapped(words []word) (k int, assigns []assign, ok bool, why string) {
	if len(words) == 0 || !words[0].literal() {
		return 0, nil, false, ""
	}
	name := path.Base(words[0].value)
	spec, known := wrapSpecs[name]
	if !known {
		return 0, nil, false, ""
	}
	operands := spec.operands
	i := 1
	for ; i < len(words); i++ {
		w := &words[i]
		if !w.literal() {
			return i, nil, false, "`" + name + "` with the computed word " + w.print()
		}
		v := w.value
		switch {
		case v == "--":
			i++
			for ; operands > 0 && i < len(words); operands-- {
				i++
			}
			return finish(words, i, assigns)
		case strings.HasPrefix(v, "--"):
			opt, _, hasValue := strings.Cut(v, "=")
			switch {
			case contains(spec.opaque, opt):
				return i, nil, false, "`" + name + " " + opt + "`, which runs a command line the rules cannot see"
			case contains(spec.long, opt) && !hasValue:
			case contains(spec.longArgs, opt):
				if !hasValue {
					i++
				}
			default:
				return i, nil, false, "`" + name + " " + opt + "`, an option the rules do not follow"
			}
		case len(v) > 1 && v[0] == '-':
			if spec.numeric && strings.Trim(v[1:], "0123456789") == "" {
				continue
			}
			for j := 1; j < len(v); j++ {
				c := v[j]
				switch {
				case contains(spec.opaque, "-"+string(c)):
					return i, nil, false, "`" + name + " -" + string(c) + "`, which runs a command line the rules cannot see"
				case strings.IndexByte(spec.noRun, c) >= 0:
					return 0, nil, false, ""
				case strings.IndexByte(spec.flags, c) >= 0:
				case strings.IndexByte(spec.optional, c) >= 0:
					j = len(v)
				case strings.IndexByte(spec.args, c) >= 0:
					if j == len(v)-1 {
						i++
					}
					j = len(v)
				default:
					return i, nil, false, "`" + name + " -" + string(c) + "`, an option the rules do not follow"
				}
			}
		case spec.assigns && strings.Contains(v, "=") && !strings.HasPrefix(v, "="):
			n, val, _ := strings.Cut(v, "=")
			assigns = append(assigns, assign{name: n, value: word{value: val}})
		case operands > 0:
			operands--
		default:
			return finish(words, i, assigns)
		}
	}
	return 0, nil, false, ""
}

// finish returns the wrapped command at i, if there is one.
func finish(words []word, i int, assigns []assign) (int, []assign, bool, string) {
	if i >= len(words) {
		return 0, nil, false, ""
	}
	return i, assigns, true, ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// optionNeeds finds the options of a known command that write a file or
// run a program: an allow rule must name them literally, so that
// exec(git diff *) does not allow git diff --output=/tmp/x.
func optionNeeds(words []word) []need {
	if len(words) == 0 || !words[0].literal() {
		return nil
	}
	name := path.Base(words[0].value)
	var out []need
	add := func(i int, what string) { out = append(out, need{i, "`" + what + "`"}) }
	val := func(i int) string { return words[i].value }
	switch name {
	case "git":
		out = gitNeeds(words)
	case "find":
		for i := 1; i < len(words); i++ {
			switch v := val(i); v {
			case "-exec", "-execdir", "-ok", "-okdir":
				add(i, "find "+v+"` (it runs a command")
			case "-delete", "-fprint", "-fprint0", "-fprintf", "-fls":
				add(i, "find "+v+"` (it deletes or writes files")
			}
		}
	case "sort":
		for i := 1; i < len(words); i++ {
			v := val(i)
			if v == "--" {
				break
			}
			if strings.HasPrefix(v, "--output") || strings.HasPrefix(v, "--compress-program") ||
				strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "--") && strings.ContainsRune(shortCluster(v, "kStT"), 'o') {
				add(i, "sort "+v+"` (it writes a file or runs a program")
				if (v == "-o" || v == "--output" || v == "--compress-program") && i+1 < len(words) {
					add(i+1, "sort "+v+" "+val(i+1)+"` (it writes a file")
				}
			}
		}
	case "tar":
		for i := 1; i < len(words); i++ {
			v := val(i)
			for _, o := range []string{"--to-command", "--checkpoint-action", "--use-compress-program", "--info-script", "--new-volume-script", "--rsh-command", "--index-file"} {
				if strings.HasPrefix(v, o) {
					add(i, "tar "+o+"` (it runs a program or writes a file")
				}
			}
			if strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "--") && strings.ContainsAny(shortCluster(v, "fCbT"), "IF") {
				add(i, "tar "+v+"` (it runs a program")
			}
		}
	case "time":
		for i := 1; i < len(words); i++ {
			if v := val(i); v == "-o" || strings.HasPrefix(v, "--output") {
				add(i, "time "+v+"` (it writes a file")
			}
		}
	case "curl":
		for i := 1; i < len(words); i++ {
			v := val(i)
			if v == "-o" || v == "-O" || v == "-D" || v == "-c" || strings.HasPrefix(v, "--output") || v == "--remote-name" || strings.HasPrefix(v, "--dump-header") || strings.HasPrefix(v, "--cookie-jar") || strings.HasPrefix(v, "--trace") {
				add(i, "curl "+v+"` (it writes a file")
			}
		}
	case "wget":
		for i := 1; i < len(words); i++ {
			v := val(i)
			if v == "-O" || v == "-o" || v == "-a" || strings.HasPrefix(v, "--output-document") || strings.HasPrefix(v, "--output-file") || strings.HasPrefix(v, "--append-output") {
				add(i, "wget "+v+"` (it writes a file")
			}
		}
	}
	if k, _, ok, why := wrapped(words); ok {
		add(k, path.Base(words[0].value)+"` runs `"+words[k].text()+"`, and so the rule must name what it runs")
		for _, nd := range needs(words[k:]) {
			out = append(out, need{nd.index + k, nd.what})
		}
	} else if why != "" {
		out = append(out, need{k, why})
	}
	return out
}

// shortCluster returns the letters of a short option cluster up to the
// first one that takes the rest of the word as its argument.
func shortCluster(v, takesArg string) string {
	if !strings.HasPrefix(v, "-") || strings.HasPrefix(v, "--") {
		return ""
	}
	for j := 1; j < len(v); j++ {
		if strings.IndexByte(takesArg, v[j]) >= 0 {
			return v[1 : j+1]
		}
	}
	return v[1:]
}

// gitGlobalArg are git's global options that take the next word.
var gitGlobalArg = map[string]bool{"-C": true, "-c": true, "--git-dir": true, "--work-tree": true, "--namespace": true, "--exec-path": false, "--config-env": true, "--super-prefix": true, "--list-cmds": true, "--attr-source": true}

// gitNeeds finds git's options that run programs or write outside the
// files git is asked about: -c and --config-env (core.pager,
// core.fsmonitor, diff.external...), -C, --git-dir and --work-tree
// (another repository, with its own config), --exec-path=DIR,
// --output, --ext-diff, --upload-pack and the like, and subcommands that
// run a given command or change git's config.
func gitNeeds(words []word) []need {
	var out []need
	add := func(i int, what string) { out = append(out, need{i, "`" + what + "`"}) }
	i := 1
	for ; i < len(words); i++ {
		v := words[i].value
		if !strings.HasPrefix(v, "-") {
			break
		}
		opt, _, hasValue := strings.Cut(v, "=")
		switch {
		case opt == "-c" || opt == "--config-env":
			add(i, "git "+opt+"` (a setting such as core.pager or diff.external runs a program")
		case opt == "-C" || opt == "--git-dir" || opt == "--work-tree":
			add(i, "git "+opt+"` (another repository's config and hooks run")
		case opt == "--exec-path" && hasValue:
			add(i, "git --exec-path` (git runs its commands from that directory")
		case strings.HasPrefix(v, "-c") && len(v) > 2:
			add(i, "git "+v+"` (a setting runs a program")
		}
		if gitGlobalArg[opt] && !hasValue && i+1 < len(words) {
			if len(out) > 0 && out[len(out)-1].index == i {
				add(i+1, "git "+opt+" "+words[i+1].text()+"`")
			}
			i++
		}
	}
	if i >= len(words) {
		return out
	}
	sub := words[i].value
	for j := i + 1; j < len(words); j++ {
		v := words[j].value
		if v == "--" {
			break
		}
		opt, _, _ := strings.Cut(v, "=")
		switch opt {
		case "--output", "--output-directory", "-o":
			if opt == "-o" && sub != "format-patch" && sub != "archive" {
				continue
			}
			add(j, "git "+sub+" "+opt+"` (it writes a file")
		case "--ext-diff", "--textconv", "--upload-pack", "-u", "--receive-pack", "--exec", "-x", "--extcmd", "--tool", "-t", "--template", "--open-files-in-pager", "-O", "--run", "--config":
			switch {
			case opt == "-u" && sub != "clone" && sub != "fetch" && sub != "pull" && sub != "ls-remote" && sub != "archive":
				continue
			case (opt == "-x" || opt == "--exec") && sub != "rebase" && sub != "archive":
				continue
			case (opt == "-t" || opt == "--tool" || opt == "--extcmd") && sub != "difftool" && sub != "mergetool":
				continue
			case opt == "-O" && sub != "grep":
				continue
			case opt == "--config" && sub != "clone":
				continue
			}
			add(j, "git "+sub+" "+opt+"` (it runs a program")
		}
	}
	switch sub {
	case "config":
		if !gitConfigReads(words[i+1:]) {
			add(min(i+1, len(words)-1), "git config` (it changes git's config, which can make git run programs")
		}
	case "filter-branch", "difftool", "mergetool":
		add(i, "git "+sub+"` (it runs commands")
	case "submodule", "bisect":
		for j := i + 1; j < len(words); j++ {
			if v := words[j].value; v == "foreach" || v == "run" {
				add(j, "git "+sub+" "+v+"` (it runs a command")
			}
		}
	}
	return out
}

// gitConfigReads reports whether git config's arguments only read.
func gitConfigReads(args []word) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0].value {
	case "get", "list", "--get", "--get-all", "--get-regexp", "--list", "-l", "--get-urlmatch", "--show-origin", "--show-scope":
		return true
	}
	// git config NAME (one argument, no option) reads.
	return len(args) == 1 && !strings.HasPrefix(args[0].value, "-")
}

// writeWords lists the words of a command that name files it writes:
// tee's files, the destination of cp, mv, ln and install, uniq's output,
// the files sed -i edits. Options that write (sort -o...) are needs.
func writeWords(words []word) []int {
	if len(words) == 0 || !words[0].literal() {
		return nil
	}
	if k, _, ok, _ := wrapped(words); ok {
		var out []int
		for _, i := range writeWords(words[k:]) {
			out = append(out, i+k)
		}
		return out
	}
	var plain []int
	opts := false
	for i := 1; i < len(words); i++ {
		v := words[i].value
		if strings.HasPrefix(v, "-") && v != "-" && words[i].literal() {
			opts = opts || v == "-e" || v == "-f" || strings.HasPrefix(v, "--expression") || strings.HasPrefix(v, "--file")
			continue
		}
		plain = append(plain, i)
	}
	switch path.Base(words[0].value) {
	case "tee":
		return plain
	case "cp", "mv", "ln", "install":
		if len(plain) >= 2 {
			return plain[len(plain)-1:]
		}
	case "uniq":
		if len(plain) >= 2 {
			return plain[1:2]
		}
	case "sed":
		inPlace := false
		for _, w := range words[1:] {
			if v := w.value; strings.HasPrefix(v, "-i") || strings.HasPrefix(v, "--in-place") || (strings.HasPrefix(v, "-") && !strings.HasPrefix(v, "--") && strings.ContainsRune(shortCluster(v, "ef"), 'i')) {
				inPlace = true
			}
		}
		if inPlace && len(plain) > 0 {
			if opts {
				return plain
			}
			return plain[1:]
		}
	}
	return nil
}

// innerSegs returns the commands the wrappers at the front of sg run, from
// the outermost in.
func innerSegs(sg *seg) []*seg {
	var out []*seg
	words, assigns := sg.words, sg.assigns
	for range len(sg.words) {
		k, more, ok, _ := wrapped(words)
		if !ok {
			break
		}
		words, assigns = words[k:], append(assigns[:len(assigns):len(assigns)], more...)
		out = append(out, &seg{kind: kindCommand, start: sg.start, end: sg.end, depth: sg.depth, redirs: sg.redirs, words: words, assigns: assigns, needs: needs(words)})
	}
	return out
}

// findWrites records the workspace files sg writes, whether one of them
// makes tools run code (CodeFile), and makes sg ask when a command writes
// outside the workspace or, after a cd, to a relative path it cannot
// place.
func (a *analysis) findWrites(sg *seg) {
	add := func(r resolved, via string) {
		if !r.inside {
			return
		}
		if !slices.Contains(sg.writes, r.rel) {
			sg.writes = append(sg.writes, r.rel)
		}
		if why, ok := CodeFile(r.rel); ok && sg.codeFile == "" {
			sg.codeFile = via + " writes " + r.rel + ": " + why
		}
	}
	for _, rd := range sg.redirs {
		if rd.sensitive || !rd.target.literal() || !writes(rd.op, &rd.target) || harmless[rd.target.value] || strings.HasPrefix(rd.target.value, "/dev/") {
			continue
		}
		add(a.ws.resolve(rd.target.value, a.ws.Cwd), "the redirection "+redirText(rd.node))
	}
	for _, i := range writeWords(sg.words) {
		w := &sg.words[i]
		if !w.literal() {
			continue
		}
		r := a.ws.resolve(w.value, a.ws.Cwd)
		switch {
		case !r.inside && sg.force == "":
			sg.force = sg.words[0].value + " writes " + r.display() + ", outside the workspace (" + r.why + ")"
		case a.cdSeen && !path.IsAbs(w.value) && sg.force == "":
			sg.force = sg.words[0].value + " writes the relative path " + w.value + " in a command that changes directory, so where it writes is not known"
		default:
			add(r, "`"+sg.words[0].value+"`")
		}
	}
	if sg.codeFile != "" && sg.force == "" {
		sg.force = sg.codeFile + "; such writes always ask"
	}
}
