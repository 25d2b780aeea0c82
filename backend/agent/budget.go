package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/record"
)

// Budget is a run's spend caps (see record.Budget, its one definition).
type Budget = record.Budget

// spend is what a drive has counted of its run so far: the cost and tokens of every model
// step (replayed ones included), and what people raised the caps by at its budget gates.
type spend struct {
	costUSD float64
	tokens  int64
	// raise holds the raises given so far, per cap (approval.CapRunCost etc.).
	raise map[string]float64
	// base is the provider's count of the last request, for the next estimate.
	base llm.Baseline
}

// count adds a model step to the spend.
func (s *spend) count(st journal.Step) {
	s.costUSD += st.CostUSD
	u := st.Usage
	s.tokens += u.InputTokens + u.OutputTokens + u.CacheReadTokens + u.CacheWriteTokens
}

// NextRequestTokens is how large the next model call of a drive will be (see
// llm.EstimateRequestTokens, which it applies with the drive's last counted request).
func (l *loop) NextRequestTokens(req llm.Request) int64 {
	return llm.EstimateRequestTokens(req, l.spent.base)
}

// ContextWindow is the context window of a run's model: prices.json's figure for it (an
// entry "context_window" next to the prices), else the catalog's for the model or a model
// whose id it extends (a dated snapshot); zero when neither knows it.
func ContextWindow(p Prices, provider, model string) int {
	if pr, ok := p.Lookup(model); ok && pr.ContextWindow > 0 {
		return pr.ContextWindow
	}
	best := 0
	if c, ok := catalog.Lookup(provider); ok {
		for _, m := range c.Models {
			if m.ID == model || strings.HasPrefix(model, m.ID+"-") {
				best = max(best, m.ContextWindow)
			}
		}
	}
	return best
}

// budget is the gate before every model call: a budget step the history holds is replayed
// (its raise counted, or the run stopped), and when the history has nothing at this point
// the run's caps and the day's are checked against what was spent; a cap reached records a
// budget gate and suspends the run for a person. A model step already in the history (a
// call that completed, or one in flight when the process died) is not checked again: that
// is the "at most one call past the cap".
func (l *loop) budget(ctx context.Context, next int64) error {
	spec := journal.StepSpec{Name: record.NameBudget, Kind: record.KindApproval, Idempotent: true}
	for {
		h, ok := l.cur.Peek()
		if ok && h.Kind == record.KindApproval && h.Name == record.NameBudget {
			if _, err := l.cur.Begin(ctx, spec); err != nil {
				return err
			}
			req, err := record.DecodeGateRequest(h.Input)
			if err == nil && req.Budget == nil {
				err = fmt.Errorf("%w: no cap in a budget gate", record.ErrMalformed)
			}
			if err != nil {
				return fmt.Errorf("agent: run %s step %d: recorded budget request: %w", l.run.ID, h.Seq, err)
			}
			if h.Status != journal.StepCompleted {
				return l.awaitBudget(h.Seq, req)
			}
			if err := l.budgetDecided(h, *req.Budget); err != nil {
				return err
			}
			continue
		}
		if ok || l.replayOnly {
			return nil
		}
		b, over, err := l.overCap(ctx, next)
		if err != nil || !over {
			return err
		}
		req := approval.BudgetRequest(b)
		if spec.Input, err = record.EncodeGateRequest(req); err != nil {
			return err
		}
		if _, err := l.cur.Begin(ctx, spec); err != nil {
			return err
		}
		return l.awaitBudget(l.cur.Seq(), req)
	}
}

// awaitBudget publishes the budget gate's request and stops the loop until a person answers.
func (l *loop) awaitBudget(seq int, req approval.Request) error {
	l.r.publish(Event{Type: EventApprovalRequested, RunID: l.run.ID, Seq: seq, Tool: approval.BudgetTool, Input: req.Input, Approval: &req})
	return &awaitingApproval{seq: seq, tool: "the spend cap"}
}

// budgetDecided applies a person's answer to a budget gate: a raise goes on, a stop ends the run.
func (l *loop) budgetDecided(st journal.Step, b approval.Budget) error {
	rec, err := record.DecodeGate(st.Output)
	if err != nil {
		return fmt.Errorf("agent: run %s step %d: recorded budget decision: %w", l.run.ID, st.Seq, err)
	}
	if !st.Replayed || rec.Answer != nil {
		l.r.publish(Event{Type: EventApprovalDecided, RunID: l.run.ID, Seq: st.Seq, Tool: approval.BudgetTool, Replayed: st.Replayed, Decision: &rec})
	}
	if rec.Answer == nil || rec.Answer.Kind != approval.Approve || rec.Answer.Raise == nil {
		msg := ""
		if rec.Answer != nil {
			msg = rec.Answer.Message
		}
		return &budgetStopped{text: approval.StoppedText(b, msg)}
	}
	if l.spent.raise == nil {
		l.spent.raise = map[string]float64{}
	}
	l.spent.raise[b.Cap] += rec.Answer.Raise.CostUSD + float64(rec.Answer.Raise.Tokens)
	return nil
}

// overCap checks the caps in order (the run's tokens, the run's cost, the day's cost) and
// returns the first one reached.
func (l *loop) overCap(ctx context.Context, next int64) (approval.Budget, bool, error) {
	_, known := l.d.prices.Lookup(l.cfg.Model)
	b := approval.Budget{Model: l.cfg.Model, CostKnown: known, RunCostUSD: l.spent.costUSD, RunTokens: l.spent.tokens, NextTokens: next}
	raise := func(c string) float64 { return l.spent.raise[c] }
	if c := l.cfg.Budget.MaxTokens; c > 0 {
		if limit := float64(c) + raise(approval.CapRunTokens); float64(l.spent.tokens) >= limit {
			b.Cap, b.Limit, b.Spent = approval.CapRunTokens, limit, float64(l.spent.tokens)
			return b, true, nil
		}
	}
	if c := l.cfg.Budget.MaxCostUSD; c > 0 && known {
		if limit := c + raise(approval.CapRunCost); l.spent.costUSD >= limit {
			b.Cap, b.Limit, b.Spent = approval.CapRunCost, limit, l.spent.costUSD
			return b, true, nil
		}
	}
	if l.r.config.DailyCostCap == nil || !known {
		return b, false, nil
	}
	daily, err := l.r.config.DailyCostCap()
	if err != nil || daily <= 0 {
		return b, false, err
	}
	today, err := l.r.config.Journal.CostSince(ctx, startOfDay(l.r.now()))
	if err != nil {
		return b, false, fmt.Errorf("agent: %w", err)
	}
	if limit := daily + raise(approval.CapDailyCost); today >= limit {
		b.Cap, b.Limit, b.Spent = approval.CapDailyCost, limit, today
		return b, true, nil
	}
	return b, false, nil
}

// startOfDay is local midnight of t's day: the daily cap counts from there.
func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// budgetStopped ends a run a person stopped at a spend cap.
type budgetStopped struct{ text string }

func (e *budgetStopped) Error() string { return e.text }

// modelInput is what a model step records as its input. A run keeps the record format it
// started with: one whose configuration is version 0 (made before estimates were recorded)
// writes version 0 model inputs when it resumes, so its record reads the same throughout.
func (l *loop) modelInput(req llm.Request, next int64) json.RawMessage {
	in := record.ModelInput{Model: req.Model, Messages: len(req.Messages), Tools: len(req.Tools), MaxTokens: req.MaxTokens}
	if l.cfg.V >= 1 {
		in.V, in.EstimatedTokens, in.ContextWindow = record.ModelInputVersion, next, ContextWindow(l.d.prices, l.cfg.Provider, l.cfg.Model)
	}
	input, _ := json.Marshal(in)
	return input
}

// SpendStatus is a run's spend against its caps and its context use, as read from its
// steps: what the run header, the sidebar and `corral show` show.
type SpendStatus struct {
	// Model is the run's model; CostKnown says whether the price table knows it.
	Model     string  `json:"model"`
	CostKnown bool    `json:"cost_known"`
	CostUSD   float64 `json:"cost_usd"`
	Tokens    int64   `json:"tokens"`
	// MaxCostUSD and MaxTokens are the run's caps with every raise a person gave; zero
	// caps nothing.
	MaxCostUSD float64 `json:"max_cost_usd,omitempty"`
	MaxTokens  int64   `json:"max_tokens,omitempty"`
	// ContextTokens is the size of the run's latest model request: the provider's count of
	// its input when it answered, else the estimate made before it was sent.
	ContextTokens int64 `json:"context_tokens,omitempty"`
	// ContextWindow is the model's window (prices.json, else the catalog); 0 when unknown.
	ContextWindow int `json:"context_window,omitempty"`
}

// Spend reads a run's SpendStatus from its steps (config, model steps, budget gates).
func Spend(steps []journal.Step, prices Prices) (SpendStatus, error) {
	var s SpendStatus
	var provider string
	var last journal.Step // the latest model step: only its request's size is read
	for _, st := range steps {
		switch {
		case st.Kind == record.KindConfig && st.Name == record.NameConfig:
			cfg, err := record.DecodeConfig(st.Output)
			if err != nil {
				return s, fmt.Errorf("agent: step %d: %w", st.Seq, err)
			}
			s.Model, provider = cfg.Model, cfg.Provider
			s.MaxCostUSD, s.MaxTokens = cfg.Budget.MaxCostUSD, cfg.Budget.MaxTokens
		case st.Kind == record.KindLLM:
			s.CostUSD += st.CostUSD
			u := st.Usage
			s.Tokens += u.InputTokens + u.OutputTokens + u.CacheReadTokens + u.CacheWriteTokens
			last = st
		case st.Kind == record.KindApproval && st.Name == record.NameBudget && st.Status == journal.StepCompleted:
			req, err1 := record.DecodeGateRequest(st.Input)
			rec, err2 := record.DecodeGate(st.Output)
			if err1 != nil || err2 != nil || req.Budget == nil || rec.Answer == nil || rec.Answer.Raise == nil {
				continue
			}
			switch req.Budget.Cap {
			case approval.CapRunCost:
				s.MaxCostUSD += rec.Answer.Raise.CostUSD
			case approval.CapRunTokens:
				s.MaxTokens += rec.Answer.Raise.Tokens
			}
		}
	}
	if in, err := record.DecodeModelInput(last.Input); err == nil && in.EstimatedTokens > 0 {
		s.ContextTokens = in.EstimatedTokens
	}
	if last.Status == journal.StepCompleted && last.Usage.InputTokens > 0 {
		if resp, err := record.DecodeModelOutput(last.Output); err == nil {
			s.ContextTokens = llm.NewBaseline(llm.Request{}, resp).InputTokens
		}
	}
	_, s.CostKnown = prices.Lookup(s.Model)
	s.ContextWindow = ContextWindow(prices, provider, s.Model)
	return s, nil
}

// Spend is the SpendStatus of a run, priced by the Runner's price table.
func (r *Runner) Spend(ctx context.Context, runID string) (SpendStatus, error) {
	steps, err := r.config.Journal.Steps(ctx, runID)
	if err != nil {
		return SpendStatus{}, fmt.Errorf("agent: %w", err)
	}
	return Spend(steps, r.Prices())
}

// String says a run's spend against its caps and its context use in one line.
func (s SpendStatus) String() string {
	cost := fmt.Sprintf("$%.4f", s.CostUSD)
	if !s.CostKnown {
		cost = "cost unknown (no price for " + s.Model + ")"
	}
	if s.MaxCostUSD > 0 {
		cost += fmt.Sprintf(" of cap $%.2f", s.MaxCostUSD)
	}
	tokens := fmt.Sprintf("%d tokens", s.Tokens)
	if s.MaxTokens > 0 {
		tokens += fmt.Sprintf(" of cap %d", s.MaxTokens)
	}
	ctx := "context unknown"
	if s.ContextTokens > 0 {
		ctx = fmt.Sprintf("context %d", s.ContextTokens)
		if s.ContextWindow > 0 {
			ctx += fmt.Sprintf(" / %d window (%.0f%%)", s.ContextWindow, 100*float64(s.ContextTokens)/float64(s.ContextWindow))
		}
	}
	return "spend: " + cost + ", " + tokens + "; " + ctx
}
