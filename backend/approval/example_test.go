package approval_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing/fstest"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/sandbox"
)

// Example shows one tool call through the gate, as the agent loop drives
// it: check, ask a person, apply their answer, remember their rule.
func Example() {
	dir, _ := os.MkdirTemp("", "corral-example")
	defer os.RemoveAll(dir)
	ledger := approval.NewLedger(dir)
	ws := approval.Workspace{Sandbox: sandbox.Info{Kind: "local", Workspace: "/home/u/proj", WorkDir: "/home/u/proj", Network: "host"}}
	policy := approval.Policy{Exec: approval.ExecAllowlist}
	files := fstest.MapFS{}
	call := json.RawMessage(`{"command": "git status --short"}`)

	// Before the tool step: what do the policy and rules say?
	rules, _ := ledger.RuleSet("coder", "s1")
	a := approval.Check("exec", call, policy, rules, ws)
	fmt.Println("first:", a.Decision)

	// Ask: the approval step records the request and the run suspends.
	req, _ := approval.Prepare("exec", call, a, ws, files, approval.PreviewOptions{})
	fmt.Println("suggested:", req.Suggestions)

	// A person approves and remembers the first suggestion for the agent.
	ans := approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash,
		Remember: &approval.Remember{Scope: approval.AgentScope("coder"), List: approval.ListAllow, Rules: req.Suggestions[:1]}}
	if err := ans.Validate(req); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range ans.Entries("approval") {
		_, _ = ledger.Add(e)
	}
	out := ans.Outcome(req)
	fmt.Println("run:", out.Run, string(out.Input))

	// Next time the rule allows it without asking.
	rules, _ = ledger.RuleSet("coder", "s2")
	fmt.Println("next:", approval.Check("exec", json.RawMessage(`{"command":"git status --short"}`), policy, rules, ws).Decision)
	// Output:
	// first: ask
	// suggested: [exec(git status --short) exec(git status *)]
	// run: true {"command": "git status --short"}
	// next: allow
}
