package approval_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/approval"
)

func newLedger(t *testing.T) (*approval.Ledger, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	l := approval.NewLedger(dir)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return at }
	return l, dir
}

func TestLedgerRoundTrip(t *testing.T) {
	t.Parallel()
	l, dir := newLedger(t)
	adds := []approval.Entry{
		{Scope: approval.Global, List: approval.ListAllow, Rule: "exec(npm test)"},
		{Scope: approval.AgentScope("coder"), List: approval.ListDeny, Rule: " exec( rm * ) ", Source: "approval"},
		{Scope: approval.SessionScope("s1"), List: approval.ListAsk, Rule: "write(go.mod)"},
		{Scope: approval.AgentScope("other"), List: approval.ListAllow, Rule: "exec(*)"},
	}
	var added []approval.Entry
	for _, e := range adds {
		got, err := l.Add(e)
		if err != nil {
			t.Fatalf("Add(%+v) = %v", e, err)
		}
		if got.ID == "" || got.CreatedAt.IsZero() || got.Source == "" {
			t.Errorf("Add(%+v) = %+v, want id, created_at and source filled", e, got)
		}
		added = append(added, got)
	}
	if added[1].Rule != "exec(rm *)" || added[0].Source != "user" {
		t.Errorf("Add normalised to %q with source %q, want exec(rm *) and user", added[1].Rule, added[0].Source)
	}
	again, err := l.Add(adds[0])
	if err != nil || again.ID != added[0].ID {
		t.Errorf("Add(duplicate) = %+v, %v; want the existing entry %s", again, err, added[0].ID)
	}

	// A second ledger on the same directory (another process) sees them.
	other := approval.NewLedger(dir)
	list, err := other.List()
	if err != nil || len(list) != len(adds) {
		t.Fatalf("List() = %d entries, %v; want %d", len(list), err, len(adds))
	}
	for i := range list {
		if list[i] != added[i] {
			t.Errorf("List()[%d] = %+v, want %+v", i, list[i], added[i])
		}
	}

	// The file: a JSON list with the documented fields, mode 0600, no
	// temporary files left beside it.
	blob, err := os.ReadFile(filepath.Join(dir, approval.LedgerFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(blob, &raw); err != nil || len(raw) != len(adds) {
		t.Fatalf("rules.json = %s (%v), want a list of %d", blob, err, len(adds))
	}
	for _, k := range []string{"id", "scope", "list", "rule", "created_at", "source"} {
		if _, ok := raw[1][k]; !ok {
			t.Errorf("rules.json entry has no %q: %v", k, raw[1])
		}
	}
	if raw[1]["scope"] != "agent:coder" || raw[1]["list"] != "deny" || raw[1]["created_at"] != "2026-03-01T12:00:00Z" {
		t.Errorf("rules.json entry = %v", raw[1])
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(filepath.Join(dir, approval.LedgerFile)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("rules.json mode = %v, %v; want 0600", fi.Mode().Perm(), err)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 1 {
		t.Errorf("data dir holds %v, want only rules.json", names)
	}

	// RuleSet takes the global, agent and session rules, not another agent's.
	rs, err := l.RuleSet("coder", "s1")
	if err != nil || rs.Len() != 3 {
		t.Fatalf("RuleSet(coder, s1) = %d rules, %v; want 3", rs.Len(), err)
	}
	if got := rs.Rules()[0]; got.Scope != "session:s1" || got.ID != added[2].ID {
		t.Errorf("RuleSet first rule = %+v, want the session's, with its id", got)
	}
	if v := approval.Evaluate("rm -rf x", rs, testWS()); v.Decision != approval.Deny || v.Segments[0].Rule.ID != added[1].ID {
		t.Errorf("Evaluate(rm) with the ledger's rules = %+v, want deny by %s", v, added[1].ID)
	}
	if rs, _ := l.RuleSet("", ""); rs.Len() != 1 {
		t.Errorf("RuleSet(\"\", \"\") = %d rules, want the 1 global", rs.Len())
	}

	// Remove.
	if err := l.Remove(added[0].ID); err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	if err := l.Remove(added[0].ID); !errors.Is(err, approval.ErrRuleNotFound) {
		t.Errorf("Remove(again) = %v, want ErrRuleNotFound", err)
	}
	if list, _ := other.List(); len(list) != len(adds)-1 {
		t.Errorf("List() after Remove = %d entries, want %d", len(list), len(adds)-1)
	}
}

func TestLedgerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		entry approval.Entry
	}{
		{"BadRule", approval.Entry{Scope: approval.Global, List: approval.ListAllow, Rule: "npm test"}},
		{"BadScope", approval.Entry{Scope: "team:x", List: approval.ListAllow, Rule: "exec(ls)"}},
		{"BadList", approval.Entry{Scope: approval.Global, List: "maybe", Rule: "exec(ls)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newLedger(t)
			if _, err := l.Add(tt.entry); err == nil {
				t.Errorf("Add(%+v) = nil error", tt.entry)
			}
		})
	}
	t.Run("Corrupt", func(t *testing.T) {
		t.Parallel()
		l, dir := newLedger(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(l.Path(), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := l.List(); err == nil {
			t.Error("List() of a corrupt file = nil error")
		}
		if _, err := l.Add(approval.Entry{Scope: approval.Global, List: approval.ListAllow, Rule: "exec(ls)"}); err == nil {
			t.Error("Add() over a corrupt file = nil error")
		}
	})
	t.Run("StoredRuleBroken", func(t *testing.T) {
		t.Parallel()
		l, dir := newLedger(t)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		blob := `[{"id":"x1","scope":"global","list":"deny","rule":"exec(rm *","created_at":"2026-01-01T00:00:00Z","source":"user"}]`
		if err := os.WriteFile(l.Path(), []byte(blob), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := l.RuleSet("a", "s"); err == nil {
			t.Error("RuleSet() with a broken deny rule = nil error")
		}
	})
	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		l, _ := newLedger(t)
		if list, err := l.List(); err != nil || len(list) != 0 {
			t.Errorf("List() of no file = %v, %v; want empty", list, err)
		}
	})
}

func TestLedgerTest(t *testing.T) {
	t.Parallel()
	l := approval.NewLedger(t.TempDir())
	for _, e := range []approval.Entry{
		{Scope: approval.Global, List: approval.ListAllow, Rule: "exec(npm test)"},
		{Scope: approval.AgentScope("coder"), List: approval.ListAllow, Rule: "exec(go test *)"},
		{Scope: approval.SessionScope("s1"), List: approval.ListDeny, Rule: "exec(npm test)"},
	} {
		if _, err := l.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, cmd, scope string
		want             approval.Decision
	}{
		{"GlobalAllows", "npm test", "", approval.Allow},
		{"GlobalScopeNamed", "npm test", "global", approval.Allow},
		{"AgentRuleOutsideItsScope", "go test ./...", "", approval.Ask},
		{"AgentRuleInItsScope", "go test ./...", "agent:coder", approval.Allow},
		{"SessionDenyWins", "npm test", "session:s1", approval.Deny},
		{"Unknown", "rm -rf /", "", approval.Ask},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := l.Test(tt.cmd, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			if v.Decision != tt.want {
				t.Errorf("Test(%q, %q) = %s (%s), want %s", tt.cmd, tt.scope, v.Decision, v.Reason, tt.want)
			}
		})
	}
	if _, err := l.Test("ls", "team"); !errors.Is(err, approval.ErrBadScope) {
		t.Errorf("Test with scope team = %v, want ErrBadScope", err)
	}
}

// TestLedgerAddRule: a rule typed by a person (list, rule and scope as text, white space
// around them) is parsed once here for the CLI and the window; bad parts fail with the
// sentinel that names them.
func TestLedgerAddRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		list, rule, scope string
		want              approval.Entry
		wantErr           error
	}{
		{name: "global allow", list: "allow", rule: " exec(npm test) ", scope: "global",
			want: approval.Entry{List: approval.ListAllow, Rule: "exec(npm test)", Scope: approval.Global, Source: "user"}},
		{name: "agent deny, padded", list: " deny ", rule: "write(secrets/**)", scope: " agent:coder ",
			want: approval.Entry{List: approval.ListDeny, Rule: "write(secrets/**)", Scope: approval.AgentScope("coder"), Source: "user"}},
		{name: "session ask", list: "ask", rule: "exec(git push *)", scope: "session:ses_1",
			want: approval.Entry{List: approval.ListAsk, Rule: "exec(git push *)", Scope: approval.SessionScope("ses_1"), Source: "user"}},
		{name: "unknown list", list: "maybe", rule: "exec(ls)", scope: "global", wantErr: approval.ErrBadRule},
		{name: "not a rule", list: "allow", rule: "npm test", scope: "global", wantErr: approval.ErrBadRule},
		{name: "unknown scope", list: "allow", rule: "exec(ls)", scope: "team", wantErr: approval.ErrBadScope},
		{name: "empty scope", list: "allow", rule: "exec(ls)", scope: "", wantErr: approval.ErrBadScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := approval.NewLedger(t.TempDir())
			got, err := l.AddRule(tt.list, tt.rule, tt.scope)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("AddRule(%q, %q, %q) error = %v, want %v", tt.list, tt.rule, tt.scope, err, tt.wantErr)
			}
			list, _ := l.List()
			if err != nil {
				if len(list) != 0 {
					t.Errorf("List() after a failed AddRule = %+v, want nothing saved", list)
				}
				return
			}
			if got.List != tt.want.List || got.Rule != tt.want.Rule || got.Scope != tt.want.Scope || got.Source != tt.want.Source || got.ID == "" {
				t.Errorf("AddRule(%q, %q, %q) = %+v, want %+v with an id", tt.list, tt.rule, tt.scope, got, tt.want)
			}
			if len(list) != 1 || list[0] != got {
				t.Errorf("List() = %+v, want [%+v]", list, got)
			}
		})
	}
}

func TestScopeFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		want    approval.Scope
		wantErr error
	}{
		{"session", approval.SessionScope("ses_1"), nil},
		{"agent", approval.AgentScope("coder"), nil},
		{"global", approval.Global, nil},
		{"team", "", approval.ErrBadScope},
		{"", "", approval.ErrBadScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := approval.ScopeFor(tt.name, "coder", "ses_1")
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("ScopeFor(%q) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
