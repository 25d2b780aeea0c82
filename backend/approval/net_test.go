package approval_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
)

func TestNetRules(t *testing.T) {
	l := approval.NewLedger(t.TempDir())
	for _, add := range []struct{ list, rule, scope string }{
		{"allow", "net(Registry.npmjs.org)", "global"},
		{"allow", "net( *.github.com )", "agent:coder"},
		{"allow", "net(api.test:8443)", "session:ses_1"},
		{"deny", "net(evil.github.com)", "global"},
		{"allow", "net(other.test)", "session:ses_2"},
	} {
		if _, err := l.AddRule(add.list, add.rule, add.scope); err != nil {
			t.Fatalf("AddRule(%q) = %v", add.rule, err)
		}
	}
	rs, err := l.RuleSet("coder", "ses_1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(rs.NetHosts(approval.ListAllow))), []string{"*.github.com", "api.test:8443", "registry.npmjs.org"}; !slices.Equal(got, want) {
		t.Errorf("NetHosts(allow) = %q, want %q", got, want)
	}
	if got, want := rs.NetHosts(approval.ListDeny), []string{"evil.github.com"}; !slices.Equal(got, want) {
		t.Errorf("NetHosts(deny) = %q, want %q", got, want)
	}
	for _, bad := range []string{"net()", "net(a b)", "net(host:0)", "net(*)"} {
		if _, err := l.AddRule("allow", bad, "global"); !errors.Is(err, approval.ErrBadRule) {
			t.Errorf("AddRule(%q) = %v, want ErrBadRule", bad, err)
		}
	}
	// A net rule says nothing about commands or files.
	if v := approval.Evaluate("curl registry.npmjs.org", rs, approval.Workspace{}); v.Decision == approval.Allow {
		t.Errorf("Evaluate(curl) = %+v: a net rule allowed a command", v)
	}
}
