package approval

import (
	"encoding/json"
	"fmt"
)

// BudgetTool is the Request.Tool of a budget gate: no tool runs, a person decides whether a
// run that reached a spend cap goes on.
const BudgetTool = "budget"

// The caps a run can reach.
const (
	// CapRunCost is the run's cost cap, in US dollars.
	CapRunCost = "run_cost"
	// CapRunTokens is the run's token cap.
	CapRunTokens = "run_tokens"
	// CapDailyCost is the global cost cap of a day (every run's model calls since local
	// midnight), in US dollars.
	CapDailyCost = "daily_cost"
)

// Budget is the spend cap a run reached before a model call: which cap, its limit (with
// every raise given so far), what was spent against it, and the estimate of the call about
// to be made. A person raises the cap (Answer.Raise) or stops the run (Reject).
type Budget struct {
	Cap string `json:"cap"`
	// Limit and Spent are dollars for the cost caps, tokens for the token cap.
	Limit float64 `json:"limit"`
	Spent float64 `json:"spent"`
	// Model is the run's model; CostKnown says whether the price table knows it (a model
	// without a price is capped by tokens only, and its cost shows as unknown).
	Model     string `json:"model"`
	CostKnown bool   `json:"cost_known"`
	// RunCostUSD and RunTokens are the run's spend so far, whichever cap was reached.
	RunCostUSD float64 `json:"run_cost_usd"`
	RunTokens  int64   `json:"run_tokens"`
	// NextTokens is the estimated input of the call waiting to be made.
	NextTokens int64 `json:"next_tokens,omitempty"`
}

// Unit is "USD" for a cost cap and "tokens" for the token cap.
func (b Budget) Unit() string {
	if b.Cap == CapRunTokens {
		return "tokens"
	}
	return "USD"
}

// Raise is how much a person raises the cap a run reached: dollars for a cost cap, tokens
// for the token cap.
type Raise struct {
	CostUSD float64 `json:"cost_usd,omitempty"`
	Tokens  int64   `json:"tokens,omitempty"`
}

// BudgetRequest is the Request a budget gate records: the cap as its input (so the action
// hash binds an answer to this cap at this spend) and a preview that says it in words.
func BudgetRequest(b Budget) Request {
	input, _ := json.Marshal(b)
	p := Preview{Tool: BudgetTool, Decision: Ask, Title: budgetTitle(b), Reason: budgetReason(b), Input: input}
	return Request{Tool: BudgetTool, Input: input, ActionHash: ActionHash(BudgetTool, input), Preview: p, Budget: &b}
}

func budgetTitle(b Budget) string {
	switch b.Cap {
	case CapRunTokens:
		return fmt.Sprintf("The run reached its token cap (%d tokens)", int64(b.Limit))
	case CapDailyCost:
		return fmt.Sprintf("Today's spend reached the daily cap ($%.2f)", b.Limit)
	}
	return fmt.Sprintf("The run reached its cost cap ($%.2f)", b.Limit)
}

func budgetReason(b Budget) string {
	cost := fmt.Sprintf("$%.4f", b.RunCostUSD)
	if !b.CostKnown {
		cost = "unknown (no price for " + b.Model + ")"
	}
	spent := fmt.Sprintf("$%.4f", b.Spent)
	if b.Cap == CapRunTokens {
		spent = fmt.Sprintf("%d tokens", int64(b.Spent))
	}
	return fmt.Sprintf("spent %s of the cap; the run so far: %d tokens, cost %s. Raise the cap to go on, or stop the run.", spent, b.RunTokens, cost)
}

// validateBudget checks an answer to a budget gate: a raise (in the cap's unit, positive)
// with an approval, none with a stop; no edits, no rules.
func (a Answer) validateBudget(r Request) error {
	if a.Remember != nil || len(a.Input) > 0 {
		return fmt.Errorf("%w: a spend cap is raised or the run stopped; nothing is edited or remembered", ErrBadAnswer)
	}
	switch a.Kind {
	case Reject:
		if a.Raise != nil {
			return fmt.Errorf("%w: stopping the run raises nothing", ErrBadAnswer)
		}
		return nil
	case Approve:
	default:
		return fmt.Errorf("%w: a spend cap is raised (approve) or the run stopped (deny), not %q", ErrBadAnswer, a.Kind)
	}
	switch {
	case a.Raise == nil:
		return fmt.Errorf("%w: say how much to raise the cap by", ErrBadAnswer)
	case r.Budget.Cap == CapRunTokens && (a.Raise.Tokens <= 0 || a.Raise.CostUSD != 0):
		return fmt.Errorf("%w: the token cap is raised by a number of tokens (--raise-tokens)", ErrBadAnswer)
	case r.Budget.Cap != CapRunTokens && (a.Raise.CostUSD <= 0 || a.Raise.Tokens != 0):
		return fmt.Errorf("%w: a cost cap is raised by an amount in dollars (--raise-cost)", ErrBadAnswer)
	}
	return nil
}

// StoppedText is the run's error when a person stops it at a spend cap.
func StoppedText(b Budget, message string) string {
	s := "stopped by a person at the spend cap: " + budgetTitle(b)
	if message != "" {
		s += ": " + message
	}
	return s
}
