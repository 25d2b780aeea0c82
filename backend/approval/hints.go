package approval

import (
	"fmt"
	"path"
	"strings"
)

// Hint is a risk seen in a command, derived from its parse alone. Hints
// inform the person deciding; they do not change the decision.
type Hint struct {
	// Kind is one of the Hint* constants.
	Kind string `json:"kind"`
	// Segment is the index in Verdict.Segments of the segment it is about.
	Segment int `json:"segment"`
	// Text is the part of the command that shows the risk.
	Text string `json:"text"`
	// Reason says why it is a risk.
	Reason string `json:"reason"`
}

// The kinds of hint.
const (
	HintRecursiveDelete = "recursive-delete"
	HintPrivilege       = "privilege"
	HintDownloadToShell = "download-to-shell"
	HintForcePush       = "force-push"
	HintPackageInstall  = "package-install"
	HintNetwork         = "network"
	HintWriteOutside    = "write-outside"
	HintRecursiveChmod  = "recursive-permissions"
	HintRawDisk         = "raw-disk"
	HintFormat          = "format-filesystem"
	HintForkBomb        = "fork-bomb"
	HintUnparsed        = "unparsed"
	// HintCodeFile marks a write to a file that makes tools run code
	// (CodeFile): a security-relevant change the UI flags.
	HintCodeFile = "code-file"
)

// wrappers run the command in their arguments.
var wrappers = map[string]bool{
	"sudo": true, "doas": true, "env": true, "nohup": true, "nice": true, "ionice": true, "time": true,
	"timeout": true, "command": true, "builtin": true, "exec": true, "xargs": true, "stdbuf": true, "setsid": true,
}

var privileged = map[string]bool{"sudo": true, "doas": true, "su": true, "pkexec": true, "run0": true}

var downloaders = map[string]bool{"curl": true, "wget": true}

var networkTools = map[string]string{
	"curl": "curl transfers data over the network", "wget": "wget downloads over the network",
	"ssh": "ssh connects to another machine", "scp": "scp copies files to or from another machine",
	"sftp": "sftp transfers files with another machine", "rsync": "rsync can copy files to or from another machine",
	"nc": "nc opens raw network connections", "ncat": "ncat opens raw network connections",
	"netcat": "netcat opens raw network connections", "telnet": "telnet connects to another machine",
	"ftp": "ftp transfers files over the network",
}

// hints finds the risks in the analysed command.
func (a *analysis) hints() []Hint {
	var out []Hint
	index := make(map[*seg]int, len(a.segs))
	for i, sg := range a.segs {
		index[sg] = i
	}
	add := func(kind string, i int, text, reason string) {
		for _, h := range out {
			if h.Kind == kind && h.Segment == i {
				return
			}
		}
		out = append(out, Hint{Kind: kind, Segment: i, Text: text, Reason: reason})
	}
	runs := make(map[*seg]string, len(a.segs)) // the command each segment runs, wrappers stripped
	for i, sg := range a.segs {
		text := sg.text(a.src)
		if sg.codeFile != "" {
			add(HintCodeFile, i, text, sg.codeFile)
		}
		if sg.kind == kindFunction && sg.selfCall {
			add(HintForkBomb, i, text, fmt.Sprintf("defines the function %s, which calls itself: the fork-bomb pattern that can exhaust the machine", sg.funcName))
		}
		for _, rd := range sg.redirs {
			switch {
			case rd.outside != "":
				add(HintWriteOutside, i, redirText(rd.node), "writes "+rd.outside+", outside the workspace")
			case rd.sensitive && rd.node.Hdoc == nil && !rd.target.literal():
				add(HintWriteOutside, i, redirText(rd.node), "writes to "+rd.target.print()+", which is only known when the command runs")
			}
		}
		if sg.kind != kindCommand || len(sg.words) == 0 {
			continue
		}
		words := make([]string, len(sg.words))
		for j := range sg.words {
			words[j] = sg.words[j].text()
		}
		if privileged[path.Base(words[0])] {
			add(HintPrivilege, i, words[0], words[0]+" runs a command with another user's (usually root's) privileges")
		}
		eff := unwrap(words)
		if len(eff) == 0 {
			continue
		}
		runs[sg] = path.Base(eff[0])
		for _, h := range commandHints(eff, a.ws) {
			add(h.Kind, i, h.Text, h.Reason)
		}
	}
	a.downloadHints(index, runs, add)
	return out
}

// downloadHints finds a download piped into a shell, or fed to one through
// a substitution. runs names the command each segment runs.
func (a *analysis) downloadHints(index map[*seg]int, runs map[*seg]string, add func(kind string, i int, text, reason string)) {
	isShell := func(sg *seg) bool {
		name := runs[sg]
		return shells[name] || name == "perl" || strings.HasPrefix(name, "python")
	}
	isDownload := func(sg *seg) bool { return downloaders[runs[sg]] }
	for _, stages := range a.pipes {
		seen := false
		for _, stage := range stages {
			for _, sg := range stage {
				if seen && isShell(sg) {
					add(HintDownloadToShell, index[sg], sg.text(a.src), "runs code downloaded from the network, unseen, by piping it into a shell")
				}
			}
			for _, sg := range stage {
				if isDownload(sg) {
					seen = true
				}
			}
		}
	}
	for _, sh := range a.segs {
		if !isShell(sh) {
			continue
		}
		for _, in := range a.segs {
			if in.depth > sh.depth && in.start >= sh.start && in.end <= sh.end && isDownload(in) {
				add(HintDownloadToShell, index[sh], sh.text(a.src), "runs code downloaded from the network, unseen, through a substitution")
			}
		}
	}
}

// unwrap strips wrappers such as sudo, env X=1, timeout 10 and nice -n 5
// from the front of a command, leaving the command they run.
func unwrap(words []string) []string {
	for len(words) > 0 && wrappers[path.Base(words[0])] {
		name := path.Base(words[0])
		words = words[1:]
		for len(words) > 0 {
			w := words[0]
			switch {
			case strings.HasPrefix(w, "-"):
				words = words[1:]
				if (name == "nice" && w == "-n") || (name == "sudo" && (w == "-u" || w == "-g")) || (name == "timeout" && (w == "-s" || w == "-k")) {
					if len(words) > 0 {
						words = words[1:]
					}
				}
				continue
			case name == "env" && strings.Contains(w, "="):
				words = words[1:]
				continue
			case name == "timeout":
				words = words[1:] // the duration
			}
			break
		}
	}
	return words
}

// commandHints finds the risks of one command, wrappers stripped.
func commandHints(w []string, ws Workspace) []Hint {
	var out []Hint
	add := func(kind, text, reason string) { out = append(out, Hint{Kind: kind, Text: text, Reason: reason}) }
	name := path.Base(w[0])
	args := w[1:]
	switch name {
	case "rm":
		if hasFlag(args, "rR", "--recursive") {
			add(HintRecursiveDelete, strings.Join(w, " "), "rm with a recursive flag deletes whole directory trees, with no undo")
		}
	case "chmod", "chown", "chgrp":
		if hasFlag(args, "R", "--recursive") {
			add(HintRecursiveChmod, strings.Join(w, " "), name+" -R changes the permissions or owner of every file below a directory")
		}
	case "dd":
		add(HintRawDisk, strings.Join(w, " "), "dd copies raw bytes and can overwrite disks and files (of=)")
	case "git":
		sub, rest := gitSubcommand(args)
		switch sub {
		case "clone", "fetch", "pull", "push", "ls-remote":
			add(HintNetwork, "git "+sub, "git "+sub+" talks to a remote repository over the network")
		}
		if sub == "push" && (hasFlag(rest, "f", "--force") || hasPrefixArg(rest, "--force-with-lease", "--force-if-includes", "+")) {
			add(HintForcePush, strings.Join(w, " "), "a force push overwrites the remote branch's history")
		}
	}
	if strings.HasPrefix(name, "mkfs") {
		add(HintFormat, strings.Join(w, " "), "mkfs formats a filesystem, erasing what is on the device")
	}
	if why, ok := networkTools[name]; ok {
		add(HintNetwork, name, why)
	}
	if pkg := installs(name, args); pkg != "" {
		add(HintPackageInstall, pkg, pkg+" downloads and installs packages, which can run their own install scripts")
	}
	for _, target := range writeTargets(name, args) {
		if r := ws.resolve(target, ws.Cwd); !r.inside {
			add(HintWriteOutside, name+" "+target, name+" writes "+r.display()+", outside the workspace ("+r.why+")")
		}
	}
	return out
}

// hasFlag reports whether args has a short option cluster containing one of
// the letters in short, or the long option long.
func hasFlag(args []string, short, long string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == long {
			return true
		}
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.ContainsAny(a[1:], short) {
			return true
		}
	}
	return false
}

func hasPrefixArg(args []string, prefixes ...string) bool {
	for _, a := range args {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return true
			}
		}
	}
	return false
}

// gitSubcommand skips git's global options and returns the subcommand and
// its arguments.
func gitSubcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree" || a == "--namespace":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a, args[i+1:]
		}
	}
	return "", nil
}

// installs names the package installation a command performs, or "".
func installs(name string, args []string) string {
	first := func(n int) string {
		var out []string
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				out = append(out, a)
				if len(out) == n {
					break
				}
			}
		}
		return strings.Join(out, " ")
	}
	sub := first(1)
	switch name {
	case "npm", "pnpm", "bun":
		switch sub {
		case "i", "install", "add", "ci":
			return name + " " + sub
		}
	case "yarn":
		if sub == "add" || sub == "install" || sub == "" {
			return strings.TrimSpace("yarn " + sub)
		}
	case "pip", "pip3", "pipx", "gem", "go", "cargo", "brew", "apt", "apt-get", "dnf", "yum", "apk", "pacman":
		switch sub {
		case "install", "add":
			return name + " " + sub
		}
		if name == "pacman" && hasFlag(args, "S", "--sync") {
			return "pacman -S"
		}
	case "uv":
		if first(2) == "pip install" || sub == "add" {
			return "uv " + first(2)
		}
	}
	if strings.HasPrefix(name, "python") && len(args) >= 3 && args[0] == "-m" && strings.HasPrefix(args[1], "pip") && args[2] == "install" {
		return name + " -m pip install"
	}
	return ""
}

// writeTargets lists the paths a file-writing command writes to: tee's
// files, the destination of cp, mv, ln and install.
func writeTargets(name string, args []string) []string {
	var plain []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			plain = append(plain, a)
		}
	}
	switch name {
	case "tee":
		return plain
	case "cp", "mv", "ln", "install":
		if len(plain) >= 2 {
			return plain[len(plain)-1:]
		}
	}
	return nil
}
