package approval_test

import (
	"slices"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
)

// permissive is the rule set of issue 14 finding 3: an allowlist of
// "read-only" commands and wrappers, every write allowed, rm denied.
var permissive = []string{
	"allow global exec(git status *)", "allow global exec(git diff *)", "allow global exec(git log *)",
	"allow global exec(git fetch *)", "allow global exec(git config *)", "allow global exec(echo *)",
	"allow global exec(find *)", "allow global exec(sort *)", "allow global exec(cat *)", "allow global exec(tee *)",
	"allow global exec(cp *)", "allow global exec(xargs *)", "allow global exec(timeout *)", "allow global exec(env *)",
	"allow global exec(nice *)", "allow global exec(nohup *)", "allow global exec(command *)", "allow global exec(npm test)",
	"allow global exec(tar *)", "allow global exec(uniq *)", "allow global exec(sed *)", "allow global exec(cd *)",
	"allow global exec(ls *)", "allow global exec(mv *)",
	"allow global write(**)", "deny global exec(rm *)", "deny global write(secrets/**)",
}

// TestCodeRunCorpus runs the attacks of issue 14 findings 3, 4 and 10
// (allowed commands plus allowed writes run arbitrary code, unasked), and
// variants, through Check under --exec-security allowlist with write(**):
// each must ask or be refused; the plain commands stay allowed.
func TestCodeRunCorpus(t *testing.T) {
	t.Parallel()
	rs := rules(t, permissive...)
	allowlist := approval.Policy{Exec: approval.ExecAllowlist, Write: approval.FileAllow}
	tests := []struct {
		name   string
		tool   string
		in     map[string]any
		policy approval.Policy
		docker bool
		want   approval.Decision
	}{
		// Writes to files that make tools run code always ask.
		{"WriteGitConfig", "write", map[string]any{"path": ".git/config", "content": "[core]\n\tfsmonitor = touch /tmp/pwned\n"}, allowlist, false, approval.Ask},
		{"WriteGitConfigDocker", "write", map[string]any{"path": ".git/config", "content": "x"}, approval.Policy{}, true, approval.Ask},
		{"WriteGitConfigAbsDocker", "write", map[string]any{"path": "/workspace/.git/config", "content": "x"}, approval.Policy{}, true, approval.Ask},
		{"WriteHook", "write", map[string]any{"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\nid\n"}, allowlist, false, approval.Ask},
		{"WriteNestedGitConfig", "write", map[string]any{"path": "vendor/lib/.git/config", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteGitFile", "write", map[string]any{"path": ".git", "content": "gitdir: /tmp/evil\n"}, allowlist, false, approval.Ask},
		{"WriteGitConfigCase", "write", map[string]any{"path": ".GIT/config", "content": "x"}, allowlist, false, approval.Ask},
		{"EditGitattributes", "edit", map[string]any{"path": ".gitattributes", "old_string": "a", "new_string": "* filter=evil"}, allowlist, false, approval.Ask},
		{"WritePackageJSON", "write", map[string]any{"path": "package.json", "content": `{"scripts":{"test":"id"}}`}, allowlist, false, approval.Ask},
		{"WriteNpmrc", "write", map[string]any{"path": ".npmrc", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteMakefile", "write", map[string]any{"path": "Makefile", "content": "all:\n\tid\n"}, allowlist, false, approval.Ask},
		{"WriteMk", "write", map[string]any{"path": "build/rules.mk", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteEnvrc", "write", map[string]any{"path": ".envrc", "content": "id"}, allowlist, false, approval.Ask},
		{"WriteVSCode", "write", map[string]any{"path": ".vscode/tasks.json", "content": "{}"}, allowlist, false, approval.Ask},
		{"WriteIdea", "write", map[string]any{"path": ".idea/workspace.xml", "content": "x"}, allowlist, false, approval.Ask},
		{"WritePreCommit", "write", map[string]any{"path": ".pre-commit-config.yaml", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteCargoConfig", "write", map[string]any{"path": ".cargo/config.toml", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteEslintConfig", "write", map[string]any{"path": "eslint.config.js", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteCodeWorkspace", "write", map[string]any{"path": "proj.code-workspace", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteWorkflow", "write", map[string]any{"path": ".github/workflows/ci.yml", "content": "x"}, allowlist, false, approval.Ask},
		{"WriteDeniedStaysDenied", "write", map[string]any{"path": "secrets/.envrc", "content": "x"}, allowlist, false, approval.Deny},
		{"WriteSourceAllowed", "write", map[string]any{"path": "src/a.go", "content": "x"}, allowlist, false, approval.Allow},
		{"WriteGitignoreAllowed", "write", map[string]any{"path": ".gitignore", "content": "x"}, allowlist, false, approval.Allow},

		// A redirection or a file-writing command is a write.
		{"EchoAppendGitConfig", "exec", map[string]any{"command": "echo '[core] fsmonitor = id' >> .git/config"}, allowlist, false, approval.Ask},
		{"EchoAbsGitConfig", "exec", map[string]any{"command": "echo x > /home/u/proj/.git/config"}, allowlist, false, approval.Ask},
		{"EchoGitConfigDocker", "exec", map[string]any{"command": "echo x > /workspace/.git/config"}, approval.Policy{}, true, approval.Ask},
		{"EchoHookInCwd", "exec", map[string]any{"command": "echo id > pre-commit", "cwd": ".git/hooks"}, allowlist, false, approval.Ask},
		{"TeeHook", "exec", map[string]any{"command": "echo id | tee .git/hooks/post-checkout"}, allowlist, false, approval.Ask},
		{"TeeAppendPackageJSON", "exec", map[string]any{"command": "cat x | tee -a package.json"}, allowlist, false, approval.Ask},
		{"CpPackageJSON", "exec", map[string]any{"command": "cp evil.json package.json"}, allowlist, false, approval.Ask},
		{"MvEnvrc", "exec", map[string]any{"command": "mv x .envrc"}, allowlist, false, approval.Ask},
		{"UniqToGitConfig", "exec", map[string]any{"command": "uniq in.txt .git/config"}, allowlist, false, approval.Ask},
		{"SedInPlaceHook", "exec", map[string]any{"command": "sed -i s/a/b/ .git/hooks/pre-commit"}, allowlist, false, approval.Ask},
		{"CdThenTee", "exec", map[string]any{"command": "cd .git && echo x | tee config"}, allowlist, false, approval.Ask},
		{"TeeOutside", "exec", map[string]any{"command": "echo x | tee /tmp/x"}, allowlist, false, approval.Ask},
		{"RedirectDenyRule", "exec", map[string]any{"command": "echo x > secrets/key"}, allowlist, false, approval.Deny},
		{"RedirectAllowAlwaysCodeFile", "exec", map[string]any{"command": "echo x >> .git/config"}, approval.Policy{Exec: approval.ExecAllowAlways, Write: approval.FileAllow}, false, approval.Ask},
		{"RedirectSourceAllowed", "exec", map[string]any{"command": "echo x > src/a.txt"}, allowlist, false, approval.Allow},
		{"TeeSourceAllowed", "exec", map[string]any{"command": "echo x | tee out/log.txt"}, allowlist, false, approval.Allow},

		// Options of "read-only" commands that run a program or write.
		{"GitPager", "exec", map[string]any{"command": "git -c core.pager=id log"}, allowlist, false, approval.Ask},
		{"GitFsmonitor", "exec", map[string]any{"command": "git -c core.fsmonitor='touch /tmp/x' status"}, allowlist, false, approval.Ask},
		{"GitDiffExternal", "exec", map[string]any{"command": "git -c diff.external=id diff"}, allowlist, false, approval.Ask},
		{"GitCAttached", "exec", map[string]any{"command": "git -ccore.pager=id log"}, allowlist, false, approval.Ask},
		{"GitConfigEnv", "exec", map[string]any{"command": "git --config-env=core.pager=EVIL log"}, allowlist, false, approval.Ask},
		{"GitDiffOutput", "exec", map[string]any{"command": "git diff --output=/tmp/x"}, allowlist, false, approval.Ask},
		{"GitLogOutput", "exec", map[string]any{"command": "git log --output /tmp/x"}, allowlist, false, approval.Ask},
		{"GitExtDiff", "exec", map[string]any{"command": "git diff --ext-diff"}, allowlist, false, approval.Ask},
		{"GitExecPath", "exec", map[string]any{"command": "git --exec-path=/tmp/evil status"}, allowlist, false, approval.Ask},
		{"GitDashC", "exec", map[string]any{"command": "git -C /tmp/evil status"}, allowlist, false, approval.Ask},
		{"GitGitDir", "exec", map[string]any{"command": "git --git-dir=/tmp/evil/.git status"}, allowlist, false, approval.Ask},
		{"GitWorkTree", "exec", map[string]any{"command": "git --work-tree /tmp status"}, allowlist, false, approval.Ask},
		{"GitUploadPack", "exec", map[string]any{"command": "git fetch --upload-pack='id;git-upload-pack' origin"}, allowlist, false, approval.Ask},
		{"GitConfigSet", "exec", map[string]any{"command": "git config core.fsmonitor id"}, allowlist, false, approval.Ask},
		{"GitConfigAdd", "exec", map[string]any{"command": "git config --add alias.st '!id'"}, allowlist, false, approval.Ask},
		{"FindFprint", "exec", map[string]any{"command": "find . -fprint /tmp/x"}, allowlist, false, approval.Ask},
		{"FindFprint0", "exec", map[string]any{"command": "find . -fprint0 /tmp/x"}, allowlist, false, approval.Ask},
		{"FindFprintf", "exec", map[string]any{"command": "find . -fprintf /tmp/x %p"}, allowlist, false, approval.Ask},
		{"FindFls", "exec", map[string]any{"command": "find . -fls /tmp/x"}, allowlist, false, approval.Ask},
		{"FindDelete", "exec", map[string]any{"command": "find . -name '*.go' -delete"}, allowlist, false, approval.Ask},
		{"FindExecdir", "exec", map[string]any{"command": `find . -execdir id \;`}, allowlist, false, approval.Ask},
		{"FindOk", "exec", map[string]any{"command": `find . -ok id \;`}, allowlist, false, approval.Ask},
		{"SortO", "exec", map[string]any{"command": "sort -o /tmp/x in.txt"}, allowlist, false, approval.Ask},
		{"SortOutputEq", "exec", map[string]any{"command": "sort --output=/tmp/x in.txt"}, allowlist, false, approval.Ask},
		{"SortClusterO", "exec", map[string]any{"command": "sort -ro/tmp/x in.txt"}, allowlist, false, approval.Ask},
		{"SortCompressProgram", "exec", map[string]any{"command": "sort --compress-program=id in.txt"}, allowlist, false, approval.Ask},
		{"TarToCommand", "exec", map[string]any{"command": "tar -xf a.tar --to-command=sh"}, allowlist, false, approval.Ask},
		{"TarCompressProgram", "exec", map[string]any{"command": "tar -I id -xf a.tar"}, allowlist, false, approval.Ask},
		{"TarCheckpointAction", "exec", map[string]any{"command": "tar -cf a.tar --checkpoint=1 --checkpoint-action=exec=id ."}, allowlist, false, approval.Ask},

		// Wrappers: the command they run is judged.
		{"XargsRm", "exec", map[string]any{"command": "echo a | xargs rm"}, allowlist, false, approval.Deny},
		{"XargsReplaceRm", "exec", map[string]any{"command": "ls | xargs -I {} rm {}"}, allowlist, false, approval.Deny},
		{"XargsSh", "exec", map[string]any{"command": "ls | xargs sh -c id"}, allowlist, false, approval.Ask},
		{"XargsNpmTest", "exec", map[string]any{"command": "echo | xargs npm test"}, allowlist, false, approval.Ask},
		{"EnvRm", "exec", map[string]any{"command": "env rm -rf /"}, allowlist, false, approval.Deny},
		{"EnvAssignRm", "exec", map[string]any{"command": "env A=1 rm -rf /"}, allowlist, false, approval.Deny},
		{"EnvUnsetRm", "exec", map[string]any{"command": "env -u node rm -rf /"}, allowlist, false, approval.Deny},
		{"EnvSplitString", "exec", map[string]any{"command": "env -S 'cat /etc/shadow'"}, allowlist, false, approval.Ask},
		{"EnvUnknownOption", "exec", map[string]any{"command": "env --frobnicate cat x"}, allowlist, false, approval.Ask},
		{"NiceRm", "exec", map[string]any{"command": "nice -n 5 rm -rf /"}, allowlist, false, approval.Deny},
		{"NiceNumericRm", "exec", map[string]any{"command": "nice -10 rm x"}, allowlist, false, approval.Deny},
		{"TimeoutRm", "exec", map[string]any{"command": "timeout -s KILL 5 rm -rf /"}, allowlist, false, approval.Deny},
		{"NohupRm", "exec", map[string]any{"command": "nohup rm x"}, allowlist, false, approval.Deny},
		{"CommandRm", "exec", map[string]any{"command": "command rm x"}, allowlist, false, approval.Deny},
		{"ExecRm", "exec", map[string]any{"command": "exec rm x"}, allowlist, false, approval.Deny},
		{"NestedWrappersRm", "exec", map[string]any{"command": "env nice timeout 5 nohup rm x"}, allowlist, false, approval.Deny},
		{"TimeoutGitPager", "exec", map[string]any{"command": "timeout 5 git -c core.pager=id log"}, allowlist, false, approval.Ask},
		{"TimeoutAnything", "exec", map[string]any{"command": "timeout 5 python3 -c 'import os'"}, allowlist, false, approval.Ask},
		{"EnvAnything", "exec", map[string]any{"command": "env python3 x.py"}, allowlist, false, approval.Ask},
		{"CommandV", "exec", map[string]any{"command": "command -v rm"}, allowlist, false, approval.Allow},

		// Plain uses stay allowed.
		{"GitStatus", "exec", map[string]any{"command": "git status --short"}, allowlist, false, approval.Allow},
		{"GitDiffStat", "exec", map[string]any{"command": "git diff --stat HEAD~1"}, allowlist, false, approval.Allow},
		{"GitLogOneline", "exec", map[string]any{"command": "git log --oneline -n 5"}, allowlist, false, approval.Allow},
		{"GitConfigGet", "exec", map[string]any{"command": "git config --get user.name"}, allowlist, false, approval.Allow},
		{"FindName", "exec", map[string]any{"command": "find . -name '*.go' -print"}, allowlist, false, approval.Allow},
		{"SortReverse", "exec", map[string]any{"command": "sort -r in.txt"}, allowlist, false, approval.Allow},
		{"TarList", "exec", map[string]any{"command": "tar -tf a.tar"}, allowlist, false, approval.Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := testWS()
			if tt.docker {
				ws = dockerWS()
			}
			a := approval.Check(tt.tool, input(t, tt.in), tt.policy, rs, ws)
			if a.Decision != tt.want {
				t.Errorf("Check(%s %v) = %s (%s), want %s", tt.tool, tt.in, a.Decision, a.Reason, tt.want)
			}
		})
	}
}

// TestCodeFile checks the one list of files that make tools run code.
func TestCodeFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want bool
	}{
		{".git/config", true}, {".git/hooks/pre-push", true}, {".git/info/attributes", true}, {"a/b/.git/config", true},
		{".gitattributes", true}, {"sub/.gitattributes", true}, {"package.json", true}, {"web/package.json", true},
		{"Makefile", true}, {".envrc", true}, {".vscode/settings.json", true}, {"./.npmrc", true},
		{".gitignore", false}, {"src/main.go", false}, {"README.md", false}, {"package-lock.json", false},
		{"docs/git/config", false}, {".", false}, {"github/workflows/x", false},
	}
	for _, tt := range tests {
		why, got := approval.CodeFile(tt.path)
		if got != tt.want || got && why == "" {
			t.Errorf("CodeFile(%q) = %q, %v, want %v", tt.path, why, got, tt.want)
		}
	}
}

// TestCodeFileFlagged checks that the preview flags a code-running file
// as security-relevant: a hint on a command, a field on a file diff.
func TestCodeFileFlagged(t *testing.T) {
	t.Parallel()
	ws := testWS()
	fsys := files(map[string]string{".git/config": "[core]\n"})
	p := preview(t, "edit", map[string]any{"path": ".git/config", "old_string": "[core]", "new_string": "[core]\n\tfsmonitor = id"}, ws, fsys, approval.PreviewOptions{})
	if p.File == nil || p.File.CodeFile == "" {
		t.Errorf("BuildPreview(edit .git/config).File = %+v, want CodeFile set", p.File)
	}
	p = preview(t, "write", map[string]any{"path": "src/a.go", "content": "x"}, ws, fsys, approval.PreviewOptions{})
	if p.File == nil || p.File.CodeFile != "" {
		t.Errorf("BuildPreview(write src/a.go).File = %+v, want no CodeFile", p.File)
	}
	p = preview(t, "exec", map[string]any{"command": "echo x >> .git/config"}, ws, fsys, approval.PreviewOptions{})
	if p.Exec == nil || !slices.ContainsFunc(p.Exec.Hints, func(h approval.Hint) bool { return h.Kind == approval.HintCodeFile }) {
		t.Errorf("BuildPreview(exec echo >> .git/config).Exec = %+v, want a %s hint", p.Exec, approval.HintCodeFile)
	}
}
