package agent

import (
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/record"
)

// The budget a subagent takes from its parent's: steps (model calls), and the run's spend
// caps, in this one place.

// childSteps is the step budget of one of n children started at the parent's model call
// turn: what the parent has left (its max steps less the calls it made), shared among the
// turn's children, and no more than the child's agent allows or the call asks. Every child
// gets at least one.
func childSteps(parentMax, turn, n, agentMax, asked int) int {
	left := parentMax - turn
	if n > 1 {
		left /= n
	}
	steps := max(left, 1)
	if agentMax > 0 {
		steps = min(steps, agentMax)
	}
	if asked > 0 {
		steps = min(steps, asked)
	}
	return steps
}

// Floors of a child's share of a cap the parent has used up: a zero cap would mean none, so
// such a child is capped at (almost) nothing and stops for a person after one call, like
// its parent would.
const (
	minChildCostUSD = 0.0001
	minChildTokens  = 1
)

// childBudget is the spend caps of one of n children: what is left of each of the parent's
// caps (with the raises people gave, less what the parent has spent so far), shared among
// the turn's children, and no more than the child's agent sets. A cap the parent does not
// have is the agent's.
func childBudget(parent record.Budget, spent spend, n int, agent record.Budget) record.Budget {
	n = max(n, 1)
	var b record.Budget
	if parent.MaxCostUSD > 0 {
		left := parent.MaxCostUSD + spent.raise[approval.CapRunCost] - spent.costUSD
		b.MaxCostUSD = max(left/float64(n), minChildCostUSD)
	}
	if parent.MaxTokens > 0 {
		left := float64(parent.MaxTokens) + spent.raise[approval.CapRunTokens] - float64(spent.tokens)
		b.MaxTokens = max(int64(left)/int64(n), minChildTokens)
	}
	if agent.MaxCostUSD > 0 && (b.MaxCostUSD == 0 || agent.MaxCostUSD < b.MaxCostUSD) {
		b.MaxCostUSD = agent.MaxCostUSD
	}
	if agent.MaxTokens > 0 && (b.MaxTokens == 0 || agent.MaxTokens < b.MaxTokens) {
		b.MaxTokens = agent.MaxTokens
	}
	return b
}
