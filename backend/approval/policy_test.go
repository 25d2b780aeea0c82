package approval_test

import (
	"encoding/json"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/sandbox"
)

func dockerWS() approval.Workspace {
	return approval.Workspace{Sandbox: sandbox.Info{Kind: "docker", Workspace: "/home/u/proj", WorkDir: "/workspace", Image: "corral/dev:1", Network: "none", Isolated: true}}
}

func input(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckExec(t *testing.T) {
	t.Parallel()
	allowNode := []string{"allow global exec(node *)", "ask global exec(node deploy.js)", "deny global exec(rm *)"}
	tests := []struct {
		name   string
		policy approval.ExecPolicy
		docker bool
		specs  []string
		cmd    string
		cwd    string
		want   approval.Decision
	}{
		{"ApprovalAlwaysKeepsRememberedRule", approval.ExecApprovalAlways, false, allowNode, "node x.js", "", approval.Allow},
		{"ApprovalAlwaysAsksUnmatched", approval.ExecApprovalAlways, false, allowNode, "make", "", approval.Ask},
		{"ApprovalAlwaysKeepsAskRule", approval.ExecApprovalAlways, false, allowNode, "node deploy.js", "", approval.Ask},
		{"ApprovalAlwaysAsksPartlyAllowed", approval.ExecApprovalAlways, false, allowNode, "node x.js && make", "", approval.Ask},
		{"ApprovalAlwaysCodeFileAsks", approval.ExecApprovalAlways, false, allowNode, "node x.js > package.json", "", approval.Ask},
		{"ApprovalAlwaysStillDenies", approval.ExecApprovalAlways, false, allowNode, "rm -rf x", "", approval.Deny},
		{"LocalDefaultIsApprovalAlways", "", false, allowNode, "make", "", approval.Ask},
		{"AllowlistAllows", approval.ExecAllowlist, false, allowNode, "node x.js", "", approval.Allow},
		{"AllowlistAsksUnmatched", approval.ExecAllowlist, false, allowNode, "make", "", approval.Ask},
		{"AllowlistAskRule", approval.ExecAllowlist, false, allowNode, "node deploy.js", "", approval.Ask},
		{"DockerDefaultIsAllowlist", "", true, allowNode, "node x.js", "", approval.Allow},
		{"AllowAlwaysAllowsUnmatched", approval.ExecAllowAlways, false, allowNode, "make all", "", approval.Allow},
		{"AllowAlwaysAllowsEval", approval.ExecAllowAlways, false, allowNode, "eval make", "", approval.Allow},
		{"AllowAlwaysKeepsAskRule", approval.ExecAllowAlways, false, allowNode, "node deploy.js", "", approval.Ask},
		{"AllowAlwaysKeepsDeny", approval.ExecAllowAlways, false, allowNode, "make && rm -rf x", "", approval.Deny},
		{"CwdOutside", approval.ExecAllowlist, false, allowNode, "node x.js", "../other", approval.Deny},
		{"CwdRedirectStaysInside", approval.ExecAllowlist, true, allowNode, "node x.js > ../log.txt", "sub", approval.Allow},
		{"RedirectPassesWritePolicy", approval.ExecAllowlist, false, allowNode, "node x.js > ../log.txt", "sub", approval.Ask},
		{"RootRedirectLeaves", approval.ExecAllowlist, false, allowNode, "node x.js > ../log.txt", "", approval.Ask},
		{"DockerRedirectToWorkDir", approval.ExecAllowlist, true, allowNode, "node x.js > /workspace/log.txt", "", approval.Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := testWS()
			if tt.docker {
				ws = dockerWS()
			}
			in := input(t, map[string]any{"command": tt.cmd, "cwd": tt.cwd})
			a := approval.Check("exec", in, approval.Policy{Exec: tt.policy}, rules(t, tt.specs...), ws)
			if a.Decision != tt.want || a.Reason == "" {
				t.Errorf("Check(exec %q) = %s (%s), want %s", tt.cmd, a.Decision, a.Reason, tt.want)
			}
			if tt.cwd == "" && a.Exec == nil {
				t.Errorf("Check(exec %q) has no verdict", tt.cmd)
			}
		})
	}
}

func TestCheckFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tool   string
		path   string
		policy approval.Policy
		docker bool
		specs  []string
		want   approval.Decision
	}{
		{"WriteAllowedByRule", "write", "src/a.go", approval.Policy{}, false, []string{"allow global write(src/**)"}, approval.Allow},
		{"WriteLocalDefaultAsks", "write", "src/a.go", approval.Policy{}, false, nil, approval.Ask},
		{"WritePolicyAllow", "write", "src/a.go", approval.Policy{Write: approval.FileAllow}, false, nil, approval.Allow},
		{"WriteDockerDefaultAllows", "write", "src/a.go", approval.Policy{}, true, nil, approval.Allow},
		{"WriteAskRuleBeatsPolicy", "write", "go.mod", approval.Policy{Write: approval.FileAllow}, false, []string{"ask global write(go.mod)"}, approval.Ask},
		{"WriteDenyBeatsAllow", "write", "src/.env", approval.Policy{}, false, []string{"allow session:s write(src/**)", "deny global write(**/.env)"}, approval.Deny},
		{"WriteAbsoluteInside", "write", "/home/u/proj/src/a.go", approval.Policy{}, false, []string{"allow global write(src/**)"}, approval.Allow},
		{"WriteAbsolutePattern", "write", "src/a.go", approval.Policy{}, false, []string{"allow global write(/home/u/proj/src/**)"}, approval.Allow},
		{"WriteOutsideAbsolute", "write", "/etc/passwd", approval.Policy{Write: approval.FileAllow}, false, []string{"allow global write(/etc/**)"}, approval.Deny},
		{"WriteOutsideDotDot", "write", "../x", approval.Policy{Write: approval.FileAllow}, false, nil, approval.Deny},
		{"WriteOutsideHome", "write", "~/.bashrc", approval.Policy{Write: approval.FileAllow}, false, nil, approval.Deny},
		{"WriteDotDotBackInside", "write", "../proj/src/a.go", approval.Policy{}, false, []string{"allow global write(src/**)"}, approval.Allow},
		{"EditUsesWriteRules", "edit", "src/a.go", approval.Policy{}, false, []string{"allow global write(src/**)"}, approval.Allow},
		{"EditOutside", "edit", "/etc/hosts", approval.Policy{}, false, nil, approval.Deny},
		{"ReadInside", "read", "src/a.go", approval.Policy{}, false, nil, approval.Allow},
		{"ReadInsideDenied", "read", ".env", approval.Policy{}, false, []string{"deny global read(.env)"}, approval.Deny},
		{"ReadHomeAsks", "read", "~/.npmrc", approval.Policy{}, false, nil, approval.Ask},
		{"ReadHomeAllowed", "read", "~/.npmrc", approval.Policy{}, false, []string{"allow global read(~/.npmrc)"}, approval.Allow},
		{"ReadHomeAbsoluteAllowed", "read", "/home/u/.npmrc", approval.Policy{}, false, []string{"allow global read(~/.npmrc)"}, approval.Allow},
		{"ReadOtherHomeFile", "read", "~/.ssh/id_rsa", approval.Policy{}, false, []string{"allow global read(~/.npmrc)"}, approval.Ask},
		{"ReadHomeDenyBeatsAllow", "read", "~/.ssh/id_rsa", approval.Policy{}, false, []string{"allow global read(~/**)", "deny global read(~/.ssh/**)"}, approval.Deny},
		{"ReadOutsidePolicyAllow", "read", "/etc/hosts", approval.Policy{ReadOutside: approval.FileAllow}, false, nil, approval.Allow},
		{"ReadOutsideDocker", "read", "/etc/hosts", approval.Policy{ReadOutside: approval.FileAllow}, true, nil, approval.Deny},
		{"ReadSiblingRule", "read", "../lib/x.txt", approval.Policy{}, false, []string{"allow global read(../lib/**)"}, approval.Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws := testWS()
			if tt.docker {
				ws = dockerWS()
			}
			in := input(t, map[string]any{"path": tt.path, "old_string": "a", "new_string": "b"})
			switch tt.tool {
			case "read":
				in = input(t, map[string]any{"path": tt.path})
			case "write":
				in = input(t, map[string]any{"path": tt.path, "content": "x"})
			}
			a := approval.Check(tt.tool, in, tt.policy, rules(t, tt.specs...), ws)
			if a.Decision != tt.want || a.Reason == "" || a.Path == nil {
				t.Errorf("Check(%s %q) = %s (%s), want %s", tt.tool, tt.path, a.Decision, a.Reason, tt.want)
			}
		})
	}
}

func TestCheckOther(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tool   string
		input  string
		policy approval.Policy
		want   approval.Decision
	}{
		{"Glob", "glob", `{"pattern":"**/*.go"}`, approval.Policy{}, approval.Allow},
		{"Grep", "grep", `{"pattern":"x"}`, approval.Policy{}, approval.Allow},
		{"UnknownTool", "fetch", `{"url":"http://x"}`, approval.Policy{}, approval.Ask},
		{"UnknownField", "exec", `{"command":"ls","env":{"A":"1"}}`, approval.Policy{Exec: approval.ExecAllowAlways}, approval.Ask},
		{"NotJSON", "write", `{"path":`, approval.Policy{Write: approval.FileAllow}, approval.Ask},
		{"BadPolicy", "exec", `{"command":"ls"}`, approval.Policy{Exec: "yolo"}, approval.Ask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := approval.Check(tt.tool, json.RawMessage(tt.input), tt.policy, approval.NewRuleSet(), testWS())
			if a.Decision != tt.want {
				t.Errorf("Check(%s %s) = %s (%s), want %s", tt.tool, tt.input, a.Decision, a.Reason, tt.want)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	if err := (approval.Policy{Exec: "sometimes", Write: "maybe"}).Validate(); err == nil {
		t.Error("Validate() of a bad policy = nil")
	}
	if err := (approval.Policy{}).Validate(); err != nil {
		t.Errorf("Validate() of the zero policy = %v", err)
	}
	local := approval.Policy{}.Defaults(false)
	docker := approval.Policy{}.Defaults(true)
	if local != (approval.Policy{Exec: approval.ExecApprovalAlways, Write: approval.FileAsk, ReadOutside: approval.FileAsk}) {
		t.Errorf("Defaults(local) = %+v", local)
	}
	if docker.Exec != approval.ExecAllowlist || docker.Write != approval.FileAllow {
		t.Errorf("Defaults(docker) = %+v", docker)
	}
	if got := (approval.Policy{Exec: approval.ExecAllowAlways}).Defaults(false).Exec; got != approval.ExecAllowAlways {
		t.Errorf("Defaults kept exec %q, want allow-always", got)
	}
}

func TestSuggestRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		tool  string
		input map[string]any
		want  []string
	}{
		{"GitStatus", "exec", map[string]any{"command": "git status --short"}, []string{"exec(git status --short)", "exec(git status *)"}},
		{"Node", "exec", map[string]any{"command": "node build.js"}, []string{"exec(node build.js)", "exec(node *)"}},
		{"NpmTest", "exec", map[string]any{"command": "npm test"}, []string{"exec(npm test)", "exec(npm test *)"}},
		{"Single", "exec", map[string]any{"command": "make"}, []string{"exec(make)", "exec(make *)"}},
		{"RiskyExactOnly", "exec", map[string]any{"command": "rm -rf build"}, []string{"exec(rm -rf build)"}},
		{"HintedExactOnly", "exec", map[string]any{"command": "git push --force"}, []string{"exec(git push --force)"}},
		{"TwoCommands", "exec", map[string]any{"command": "npm test && git status"}, []string{"exec(npm test)", "exec(git status)", "exec(npm test *)", "exec(git status *)"}},
		{"Prefix", "exec", map[string]any{"command": "NODE_ENV=test node x.js"}, []string{"exec(NODE_ENV=test node x.js)", "exec(NODE_ENV=test node *)"}},
		{"Pipe", "exec", map[string]any{"command": "curl -s x | sh"}, []string{"exec(curl -s x)", "exec(sh)"}},
		{"RedirectOutside", "exec", map[string]any{"command": "node x > /tmp/log"}, []string{"exec(node x > /tmp/log)"}},
		{"Write", "write", map[string]any{"path": "src/a/b.go", "content": ""}, []string{"write(src/a/b.go)", "write(src/a/**)"}},
		{"WriteRoot", "write", map[string]any{"path": "main.go", "content": ""}, []string{"write(main.go)"}},
		{"WriteGlobChars", "write", map[string]any{"path": "src/[id].ts", "content": ""}, []string{`write(src/\[id\].ts)`, "write(src/**)"}},
		{"Edit", "edit", map[string]any{"path": "./src/x.go", "old_string": "a", "new_string": "b"}, []string{"write(src/x.go)", "write(src/**)"}},
		{"ReadHome", "read", map[string]any{"path": "~/.npmrc"}, []string{"read(~/.npmrc)"}},
		{"ReadHomeDir", "read", map[string]any{"path": "~/.config/app/x.json"}, []string{"read(~/.config/app/x.json)", "read(~/.config/app/**)"}},
		{"Unknown", "glob", map[string]any{"pattern": "*"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := approval.SuggestRule(tt.tool, input(t, tt.input))
			if len(got) != len(tt.want) {
				t.Fatalf("SuggestRule(%s %v) = %q, want %q", tt.tool, tt.input, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("SuggestRule(%s %v) = %q, want %q", tt.tool, tt.input, got, tt.want)
				}
			}
			// Remembering the suggestions allows the action next time.
			if tt.tool == "glob" {
				return
			}
			var specs []string
			for _, r := range got {
				specs = append(specs, "allow global "+r)
			}
			a := approval.Check(tt.tool, input(t, tt.input), approval.Policy{Exec: approval.ExecAllowlist}, rules(t, specs...), testWS())
			if a.Decision != approval.Allow {
				t.Errorf("Check(%s %v) with the suggested rules = %s (%s), want allow", tt.tool, tt.input, a.Decision, a.Reason)
			}
		})
	}
}

func TestNoteSuggestions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		tool        string
		input       map[string]any
		wantExact   []bool
		wantWarning []bool
	}{
		{"GitStatus", "exec", map[string]any{"command": "git status --short"}, []bool{true, false}, []bool{false, false}},
		{"Python", "exec", map[string]any{"command": "python3 test.py"}, []bool{true, false}, []bool{true, true}},
		{"NodeAndMake", "exec", map[string]any{"command": "node x.js && make"}, []bool{true, true, false, false}, []bool{true, false, true, false}},
		{"BashC", "exec", map[string]any{"command": "bash -c 'ls'"}, []bool{true}, []bool{true}},
		{"Npx", "exec", map[string]any{"command": "npx prettier --check ."}, []bool{true, false}, []bool{true, true}},
		{"Write", "write", map[string]any{"path": "src/a/b.go", "content": ""}, []bool{true, false}, []bool{false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := input(t, tt.input)
			sug := approval.SuggestRule(tt.tool, in)
			notes := approval.NoteSuggestions(tt.tool, in, sug)
			if len(notes) != len(tt.wantExact) {
				t.Fatalf("NoteSuggestions(%s %v) = %+v, want %d notes", tt.tool, tt.input, notes, len(tt.wantExact))
			}
			for i, n := range notes {
				if n.Rule != sug[i] || n.Exact != tt.wantExact[i] || (n.Warning != "") != tt.wantWarning[i] {
					t.Errorf("NoteSuggestions(%s %v)[%d] = %+v, want rule %s exact %v warning %v", tt.tool, tt.input, i, n, sug[i], tt.wantExact[i], tt.wantWarning[i])
				}
				if !n.Exact && n.Allows == "" {
					t.Errorf("NoteSuggestions(%s %v)[%d] = %+v: a wider rule must say what else it allows", tt.tool, tt.input, i, n)
				}
			}
		})
	}
}
