package approval

import (
	"errors"
	"fmt"
	"strings"
)

// Decision is what the gate says about an action: run it, ask a person, or
// refuse it.
type Decision string

// The three decisions, strongest last: when parts of an action disagree,
// the strongest wins (deny > ask > allow).
const (
	Allow Decision = "allow"
	Ask   Decision = "ask"
	Deny  Decision = "deny"
)

// rank orders decisions by strength.
func (d Decision) rank() int {
	switch d {
	case Deny:
		return 2
	case Ask:
		return 1
	default:
		return 0
	}
}

// stronger returns the stronger of d and o.
func (d Decision) stronger(o Decision) Decision {
	if o.rank() > d.rank() {
		return o
	}
	return d
}

// List names a rule list. A rule on the allow list lets a matching action
// run without asking; on the ask list it makes a person decide even where
// the policy or another rule would allow; on the deny list it refuses.
type List string

// The three rule lists.
const (
	ListAllow List = "allow"
	ListAsk   List = "ask"
	ListDeny  List = "deny"
)

// decision is the decision a rule on the list gives.
func (l List) decision() Decision {
	switch l {
	case ListDeny:
		return Deny
	case ListAsk:
		return Ask
	default:
		return Allow
	}
}

// Valid reports whether l is one of the three lists.
func (l List) Valid() bool { return l == ListAllow || l == ListAsk || l == ListDeny }

// Scope says where a rule applies: everywhere ("global"), to one agent
// ("agent:<id>") or to one session ("session:<id>").
type Scope string

// Global is the scope of rules that apply to every agent and session.
const Global Scope = "global"

// AgentScope is the scope of rules for the agent id.
func AgentScope(id string) Scope { return Scope("agent:" + id) }

// SessionScope is the scope of rules for the session id.
func SessionScope(id string) Scope { return Scope("session:" + id) }

// ErrBadScope reports a scope that is not global, agent:<id> or
// session:<id>.
var ErrBadScope = errors.New("approval: bad scope")

// ParseScope checks s and returns it as a Scope.
func ParseScope(s string) (Scope, error) {
	sc := Scope(s)
	if sc.rank() < 0 {
		return "", fmt.Errorf("%w %q: want global, agent:<id> or session:<id>", ErrBadScope, s)
	}
	return sc, nil
}

// rank orders scopes from the most general (0) to the most specific (2);
// -1 for an invalid scope. Precedence is by list, never by scope; the rank
// only picks which of several matching rules of one list is reported.
func (s Scope) rank() int {
	str := string(s)
	switch {
	case s == Global:
		return 0
	case strings.HasPrefix(str, "agent:") && len(str) > len("agent:"):
		return 1
	case strings.HasPrefix(str, "session:") && len(str) > len("session:"):
		return 2
	}
	return -1
}
