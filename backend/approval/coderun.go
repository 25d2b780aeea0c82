package approval

import (
	"path"
	"strings"
)

// codeFile is one kind of file that makes a tool run code when a person
// later runs an ordinary command, opens the folder in an editor or enters
// the directory: a file the agent could plant so that code runs outside
// the sandbox, or outside the rules.
type codeFile struct {
	// match reports whether a workspace-relative, slash-separated,
	// cleaned path is such a file; parts is the path split at "/".
	match func(parts []string) bool
	why   string
}

// codeFiles is the one list of files whose writes always ask, whatever
// the write policy and rules say, in both sandboxes. It is documented in
// the README's security section; keep the two in step.
//
// The list is of files that configure a tool to run code, not source
// code itself: a project's tests and build scripts run when a person runs
// that project's code on purpose, while these run on `git status`, on
// opening an editor, on `cd`, or from a package manager's lifecycle.
var codeFiles = []codeFile{
	{anyDir(".git"), "anything under .git (config such as core.fsmonitor, core.pager or diff.external, hooks, info/attributes) makes git run commands, even for git status"},
	{base(".git"), "a .git file points git at another repository, whose config and hooks then run"},
	{base(".gitattributes", ".gitmodules"), "git attributes name filter and diff drivers, and .gitmodules names submodule commands, that git runs"},
	{base("package.json"), "package.json scripts (test, prepare, postinstall...) run when npm, yarn or pnpm is used"},
	{base(".npmrc", ".yarnrc", ".yarnrc.yml", ".pnpmfile.cjs", ".pnpmfile.js", "bunfig.toml"), "package manager settings can run scripts or load code (yarnPath, hooks, node options)"},
	{base("Makefile", "makefile", "GNUmakefile"), "make runs the recipes of a Makefile"},
	{ext(".mk"), "make includes .mk files as recipes it runs"},
	{base(".envrc", ".mise.toml", "mise.toml"), "direnv and mise run or load these when a shell enters the directory"},
	{anyDir(".vscode", ".idea", ".fleet", ".zed", ".helix", ".devcontainer", ".husky", ".cargo"), "editor, language-server, dev-container, git-hook and cargo settings name commands that run when the folder is opened, a commit is made or cargo builds"},
	{ext(".code-workspace"), "a VS Code workspace file holds tasks and settings that run commands"},
	{base(".nvim.lua", ".nvimrc", ".exrc"), "vim and neovim run these when started in the directory (exrc)"},
	{base(".pre-commit-config.yaml", "lefthook.yml", ".lefthook.yml", "lefthook.yaml"), "git hook managers run the commands these name on commit"},
	{prefix("eslint.config.", ".eslintrc.js", ".eslintrc.cjs", "prettier.config.", ".prettierrc.js", ".prettierrc.cjs"), "editors' ESLint and Prettier extensions run these JavaScript configs when the folder is opened"},
	{dirPath(".github", "workflows"), "CI workflows run commands, with the repository's secrets, when pushed"},
}

// CodeFile reports whether writing the workspace-relative path rel makes
// a tool run code, and why; see the README's list. Such writes always
// ask, whatever the write policy and rules say.
func CodeFile(rel string) (string, bool) {
	rel = path.Clean(strings.ReplaceAll(rel, `\`, "/"))
	if rel == "." || rel == "/" {
		return "", false
	}
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	for _, cf := range codeFiles {
		if cf.match(parts) {
			return cf.why, true
		}
	}
	return "", false
}

// base matches a file with one of names, in any directory. Names compare
// case-insensitively, since macOS and Windows file systems do.
func base(names ...string) func([]string) bool {
	return func(parts []string) bool {
		last := parts[len(parts)-1]
		for _, n := range names {
			if strings.EqualFold(last, n) {
				return true
			}
		}
		return false
	}
}

// ext matches a file whose name ends with suffix.
func ext(suffix string) func([]string) bool {
	return func(parts []string) bool {
		return strings.HasSuffix(strings.ToLower(parts[len(parts)-1]), suffix)
	}
}

// prefix matches a file whose name starts with one of prefixes.
func prefix(prefixes ...string) func([]string) bool {
	return func(parts []string) bool {
		last := strings.ToLower(parts[len(parts)-1])
		for _, p := range prefixes {
			if strings.HasPrefix(last, strings.ToLower(p)) {
				return true
			}
		}
		return false
	}
}

// anyDir matches anything below a directory with one of names, at any
// depth (nested projects have their own).
func anyDir(names ...string) func([]string) bool {
	return func(parts []string) bool {
		for _, p := range parts[:len(parts)-1] {
			for _, n := range names {
				if strings.EqualFold(p, n) {
					return true
				}
			}
		}
		return false
	}
}

// dirPath matches anything below the directory dir/sub, at any depth.
func dirPath(dir, sub string) func([]string) bool {
	return func(parts []string) bool {
		for i := 0; i+2 < len(parts); i++ {
			if strings.EqualFold(parts[i], dir) && strings.EqualFold(parts[i+1], sub) {
				return true
			}
		}
		return false
	}
}
