package approval_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/tool"
)

func request(t *testing.T, toolName string, in map[string]any) approval.Request {
	t.Helper()
	raw := input(t, in)
	ws := testWS()
	a := approval.Check(toolName, raw, approval.Policy{}, approval.NewRuleSet(), ws)
	r, err := approval.Prepare(toolName, raw, a, ws, files(map[string]string{"a.txt": "old\n"}), approval.PreviewOptions{})
	if err != nil {
		t.Fatalf("Prepare() = %v", err)
	}
	return r
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	r := request(t, "exec", map[string]any{"command": "git status --short"})
	if r.ActionHash != approval.ActionHash("exec", r.Input) || r.Preview.Exec == nil || len(r.Suggestions) != 2 || r.Preview.Decision != approval.Ask {
		t.Errorf("Prepare() = %+v", r)
	}
	blob, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back approval.Request
	if err := json.Unmarshal(blob, &back); err != nil || back.ActionHash != r.ActionHash || len(back.Preview.Exec.Segments) != 1 {
		t.Errorf("Request JSON round trip = %+v, %v", back, err)
	}
}

func TestAnswerValidate(t *testing.T) {
	t.Parallel()
	r := request(t, "exec", map[string]any{"command": "git status --short"})
	h := r.ActionHash
	allow := &approval.Remember{Scope: approval.Global, List: approval.ListAllow, Rules: []string{"exec(git status *)"}}
	tests := []struct {
		name string
		a    approval.Answer
		want error
	}{
		{"Approve", approval.Answer{Kind: approval.Approve, ActionHash: h}, nil},
		{"ApproveRemember", approval.Answer{Kind: approval.Approve, ActionHash: h, Remember: allow}, nil},
		{"Deny", approval.Answer{Kind: approval.Reject, ActionHash: h, Message: "use git diff"}, nil},
		{"DenyRememberDeny", approval.Answer{Kind: approval.Reject, ActionHash: h, Remember: &approval.Remember{Scope: approval.SessionScope("s"), List: approval.ListDeny, Rules: []string{"exec(git status *)"}}}, nil},
		{"Edit", approval.Answer{Kind: approval.EditApprove, ActionHash: h, Input: json.RawMessage(`{"command":"git status"}`)}, nil},
		{"Stale", approval.Answer{Kind: approval.Approve, ActionHash: approval.ActionHash("exec", json.RawMessage(`{"command":"ls"}`))}, approval.ErrStaleAnswer},
		{"UnknownKind", approval.Answer{Kind: "maybe", ActionHash: h}, approval.ErrBadAnswer},
		{"EditWithoutInput", approval.Answer{Kind: approval.EditApprove, ActionHash: h}, approval.ErrBadAnswer},
		{"EditSame", approval.Answer{Kind: approval.EditApprove, ActionHash: h, Input: json.RawMessage(` { "command" : "git status --short" } `)}, approval.ErrBadAnswer},
		{"EditNotObject", approval.Answer{Kind: approval.EditApprove, ActionHash: h, Input: json.RawMessage(`"git status"`)}, approval.ErrBadAnswer},
		{"EditUnknownField", approval.Answer{Kind: approval.EditApprove, ActionHash: h, Input: json.RawMessage(`{"command":"ls","shell":"zsh"}`)}, approval.ErrBadAnswer},
		{"ApproveWithInput", approval.Answer{Kind: approval.Approve, ActionHash: h, Input: json.RawMessage(`{"command":"ls"}`)}, approval.ErrBadAnswer},
		{"ApproveRemembersDeny", approval.Answer{Kind: approval.Approve, ActionHash: h, Remember: &approval.Remember{Scope: approval.Global, List: approval.ListDeny, Rules: []string{"exec(ls)"}}}, approval.ErrBadAnswer},
		{"DenyRemembersAllow", approval.Answer{Kind: approval.Reject, ActionHash: h, Remember: allow}, approval.ErrBadAnswer},
		{"RememberBadRule", approval.Answer{Kind: approval.Approve, ActionHash: h, Remember: &approval.Remember{Scope: approval.Global, List: approval.ListAllow, Rules: []string{"git status"}}}, approval.ErrBadAnswer},
		{"RememberBadScope", approval.Answer{Kind: approval.Approve, ActionHash: h, Remember: &approval.Remember{Scope: "team", List: approval.ListAllow, Rules: []string{"exec(ls)"}}}, approval.ErrBadAnswer},
		{"RememberNothing", approval.Answer{Kind: approval.Approve, ActionHash: h, Remember: &approval.Remember{Scope: approval.Global, List: approval.ListAllow}}, approval.ErrBadAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.a.Validate(r)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Validate(%+v) = %v, want %v", tt.a, err, tt.want)
			}
		})
	}
}

func TestAnswerOutcome(t *testing.T) {
	t.Parallel()
	execReq := request(t, "exec", map[string]any{"command": "git status --short"})
	writeReq := request(t, "write", map[string]any{"path": "a.txt", "content": "new\n"})
	tests := []struct {
		name      string
		r         approval.Request
		a         approval.Answer
		run       bool
		input     string
		noteHas   string
		refuseHas string
	}{
		{"Approve", execReq, approval.Answer{Kind: approval.Approve}, true, `{"command":"git status --short"}`, "", ""},
		{"Deny", execReq, approval.Answer{Kind: approval.Reject}, false, "", "", "denied"},
		{"DenyMessage", execReq, approval.Answer{Kind: approval.Reject, Message: "use git diff instead"}, false, "", "", "use git diff instead"},
		{"EditExec", execReq, approval.Answer{Kind: approval.EditApprove, Input: json.RawMessage(`{"command":"git status"}`)}, true, `{"command":"git status"}`, "It ran as:\ngit status", ""},
		{"EditExecMessage", execReq, approval.Answer{Kind: approval.EditApprove, Input: json.RawMessage(`{"command":"git status"}`), Message: "short is noisy"}, true, `{"command":"git status"}`, "short is noisy", ""},
		{"EditWrite", writeReq, approval.Answer{Kind: approval.EditApprove, Input: json.RawMessage(`{"path":"a.txt","content":"mine\n"}`)}, true, `{"path":"a.txt","content":"mine\n"}`, "a.txt now holds their version", ""},
		{"EditWritePath", writeReq, approval.Answer{Kind: approval.EditApprove, Input: json.RawMessage(`{"path":"b.txt","content":"new\n"}`)}, true, `{"path":"b.txt","content":"new\n"}`, "went to b.txt instead of a.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.a.ActionHash = tt.r.ActionHash
			if err := tt.a.Validate(tt.r); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			o := tt.a.Outcome(tt.r)
			if o.Run != tt.run {
				t.Errorf("Outcome() = %+v, want run %v", o, tt.run)
			}
			if o.Run && (o.ActionHash != approval.ActionHash(tt.r.Tool, o.Input) || string(o.Input) != tt.input) {
				t.Errorf("Outcome() input %s hash %s, want %s and its hash", o.Input, o.ActionHash, tt.input)
			}
			if !strings.Contains(o.Note, tt.noteHas) || tt.noteHas == "" && o.Note != "" {
				t.Errorf("Outcome().Note = %q, want it to contain %q", o.Note, tt.noteHas)
			}
			if !strings.Contains(o.Refusal, tt.refuseHas) || tt.run && o.Refusal != "" {
				t.Errorf("Outcome().Refusal = %q, want it to contain %q", o.Refusal, tt.refuseHas)
			}
			res := o.Result(tool.Result{Content: "Exit code: 0"})
			if o.Note != "" && !strings.HasPrefix(res.Content, o.Note) || !strings.HasSuffix(res.Content, "Exit code: 0") {
				t.Errorf("Outcome().Result() = %q", res.Content)
			}
			if !o.Run && (!o.Refused().IsError || o.Refused().Content != o.Refusal) {
				t.Errorf("Outcome().Refused() = %+v", o.Refused())
			}
		})
	}
}

func TestAnswerEntries(t *testing.T) {
	t.Parallel()
	a := approval.Answer{Kind: approval.Approve, Remember: &approval.Remember{Scope: approval.AgentScope("coder"), List: approval.ListAllow, Rules: []string{"exec(git status *)", "exec(git diff *)"}}}
	got := a.Entries("approval")
	if len(got) != 2 || got[1].Rule != "exec(git diff *)" || got[0].Scope != "agent:coder" || got[0].Source != "approval" {
		t.Errorf("Entries() = %+v", got)
	}
	if (approval.Answer{Kind: approval.Approve}).Entries("approval") != nil {
		t.Error("Entries() without Remember is not nil")
	}
	if res := approval.RefusedResult(approval.Assessment{Decision: approval.Deny, Reason: "denied by exec(rm *) (global deny)"}); !res.IsError || !strings.Contains(res.Content, "exec(rm *)") {
		t.Errorf("RefusedResult() = %+v", res)
	}
}
