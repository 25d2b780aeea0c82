package approval_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
)

func TestCheckMCP(t *testing.T) {
	t.Parallel()
	rules := func(list approval.List, texts ...string) approval.RuleSet {
		var rs []approval.Rule
		for _, text := range texts {
			r, err := approval.ParseRule(list, approval.Global, text)
			if err != nil {
				t.Fatalf("ParseRule(%q) = %v", text, err)
			}
			rs = append(rs, r)
		}
		return approval.NewRuleSet(rs...)
	}
	readOnly := approval.MCPCall{Server: "github", Tool: "get_issue", ReadOnly: true}
	writes := approval.MCPCall{Server: "github", Tool: "create_issue"}
	destructive := approval.MCPCall{Server: "github", Tool: "delete_repo", Destructive: true}
	tests := []struct {
		name  string
		call  approval.MCPCall
		rules approval.RuleSet
		want  approval.Decision
	}{
		{"read-only runs", readOnly, approval.NewRuleSet(), approval.Allow},
		{"not read-only asks", writes, approval.NewRuleSet(), approval.Ask},
		{"allowed by tool rule", writes, rules(approval.ListAllow, "mcp(github/create_issue)"), approval.Allow},
		{"allowed by server wildcard", writes, rules(approval.ListAllow, "mcp(github/*)"), approval.Allow},
		{"server alone is every tool", writes, rules(approval.ListAllow, "mcp(github)"), approval.Allow},
		{"other server's rule", writes, rules(approval.ListAllow, "mcp(gitlab/*)"), approval.Ask},
		{"destructive asks despite allow", destructive, rules(approval.ListAllow, "mcp(github/*)"), approval.Ask},
		{"deny beats read-only", readOnly, rules(approval.ListDeny, "mcp(*/get_*)"), approval.Deny},
		{"ask beats read-only", readOnly, rules(approval.ListAsk, "mcp(github/*)"), approval.Ask},
		{"exec rules do not apply", writes, rules(approval.ListAllow, "exec(*)"), approval.Ask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := approval.CheckMCP(tt.call, tt.rules); got.Decision != tt.want {
				t.Errorf("CheckMCP(%s/%s) = %s (%s), want %s", tt.call.Server, tt.call.Tool, got.Decision, got.Reason, tt.want)
			}
		})
	}
}

func TestParseMCPRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, want string
		err        bool
	}{
		{text: "mcp(github/*)", want: "mcp(github/*)"},
		{text: "mcp( github )", want: "mcp(github/*)"},
		{text: "mcp(a/b/c)", err: true},
		{text: "mcp(a/[)", err: true},
	}
	for _, tt := range tests {
		r, err := approval.ParseRule(approval.ListAllow, approval.Global, tt.text)
		if tt.err {
			if !errors.Is(err, approval.ErrBadRule) {
				t.Errorf("ParseRule(%q) = %v, want ErrBadRule", tt.text, err)
			}
			continue
		}
		if err != nil || r.Text != tt.want {
			t.Errorf("ParseRule(%q) = %q, %v; want %q", tt.text, r.Text, err, tt.want)
		}
	}
}

func TestPrepareMCP(t *testing.T) {
	t.Parallel()
	call := approval.MCPCall{Server: "s", Tool: "append", Description: "Append a line.", Schema: json.RawMessage(`{"properties":{"line":{"description":"the line"}}}`)}
	req := approval.PrepareMCP("mcp__s__append", json.RawMessage(`{"line":"hi","n":2}`), call, approval.CheckMCP(call, approval.NewRuleSet()))
	p := req.Preview.MCP
	if p == nil || p.Server != "s" || p.Tool != "append" || len(p.Arguments) != 2 || p.Arguments[0].Name != "line" || p.Arguments[0].Description != "the line" || string(p.Arguments[1].Value) != "2" {
		t.Fatalf("PrepareMCP preview = %+v, want server, tool and two described arguments", p)
	}
	if req.ActionHash != approval.ActionHash("mcp__s__append", json.RawMessage(`{"n":2,"line":"hi"}`)) || len(req.Suggestions) != 2 || req.Suggestions[1] != "mcp(s/*)" {
		t.Errorf("PrepareMCP = hash %s suggestions %v", req.ActionHash, req.Suggestions)
	}
}

func TestRenderMCP(t *testing.T) {
	t.Parallel()
	call := approval.MCPCall{Server: "gh", Tool: "delete_repo", Description: "Deletes a repository.", Destructive: true}
	req := approval.PrepareMCP("mcp__gh__delete_repo", json.RawMessage(`{"repo":"me/x"}`), call, approval.CheckMCP(call, approval.NewRuleSet()))
	got := approval.RenderText(req.Preview, false)
	for _, want := range []string{"Call delete_repo on MCP server gh", "server:   gh", "destructive", "Deletes a repository.", `repo = "me/x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("RenderText = %q, want %q in it", got, want)
		}
	}
}
