package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/corral-dev/corral/backend/approval"
)

// allowHostCommand turns a host a run was refused into a net(HOST) allow rule of the
// ledger: the next run of the session (or agent, or every run) reaches it through the
// egress proxy. It is `corral rules add allow 'net(HOST)'` with the scope named as a run
// knows it.
var allowHostCommand = command{
	name:    "allow-host",
	args:    "HOST",
	summary: "let commands reach HOST (a name, *.domain, IP, with :PORT) through the egress proxy: a net(HOST) rule",
	setup: func(fs *flag.FlagSet, p *Program) func(context.Context, []string) error {
		dataDir := dataDirFlag(fs)
		session := fs.String("session", "", "for the runs of this session")
		agentID := fs.String("agent", "", "for the runs of this agent")
		return func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("%w: want one HOST, e.g. registry.npmjs.org or '*.github.com'", errUsage)
			}
			scope := string(approval.Global)
			switch {
			case *session != "" && *agentID != "":
				return fmt.Errorf("%w: --session or --agent, not both", errUsage)
			case *session != "":
				scope = string(approval.SessionScope(*session))
			case *agentID != "":
				scope = string(approval.AgentScope(*agentID))
			}
			dir, err := resolveDataDir(p, *dataDir)
			if err != nil {
				return err
			}
			e, err := approval.NewLedger(dir.Path).AddRule("allow", "net("+args[0]+")", scope)
			if errors.Is(err, approval.ErrBadRule) || errors.Is(err, approval.ErrBadScope) {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(p.Stdout, "added allow %s at %s (id %s): the next run there reaches it\n", e.Rule, e.Scope, e.ID)
			return nil
		}
	},
}
