package agent

import (
	"fmt"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/egress"
)

// EgressPolicy is the network policy the sandbox of a run with configuration cfg in
// sessionID enforces: cfg.Egress with the net(...) rules recorded with the run (the agent's,
// the run's --allow-host) and those of the ledger (global, the agent's, the session's),
// read now, so a host allowed since the run was recorded counts when its sandbox opens.
func (r *Runner) EgressPolicy(cfg RunConfig, sessionID string) (egress.Policy, error) {
	mode, err := egress.ParseMode(cfg.Egress)
	if err != nil {
		return egress.Policy{}, err
	}
	var rules approval.RuleSet
	if r.config.Ledger != nil {
		if rules, err = r.config.Ledger.RuleSet(cfg.Agent, sessionID); err != nil {
			return egress.Policy{}, err
		}
	}
	for _, rs := range cfg.Rules {
		rr, err := rs.Lists.Rules(rs.Scope)
		if err != nil {
			return egress.Policy{}, fmt.Errorf("agent: rules: %w", err)
		}
		rules = rules.With(rr...)
	}
	return egress.NewPolicy(mode, rules.NetHosts(approval.ListAllow), rules.NetHosts(approval.ListDeny))
}
