package agent

import (
	"context"
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
)

// TestBudgetGates: each cap suspends a run before the model call after the one that reached
// it, as an approval step named budget; a raise lets the run finish, and Spend reads the raised
// cap back. A model the price table does not know is capped by tokens only.
func TestBudgetGates(t *testing.T) {
	t.Parallel()
	// Three calls of 100 input and 10 output tokens; script-* costs $1 / $2 per million, so
	// a call costs $0.00012.
	turns := []turn{{calls: [][2]string{{"read", `{"path":"a.txt"}`}}}, {calls: [][2]string{{"read", `{"path":"b.txt"}`}}}, {text: "done"}}
	for _, tc := range []struct {
		name      string
		req       StartRequest
		daily     float64
		wantCap   string
		costKnown bool
		raise     approval.Raise
	}{
		{"run cost", StartRequest{MaxCostUSD: 0.0002}, 0, approval.CapRunCost, true, approval.Raise{CostUSD: 1}},
		{"run tokens", StartRequest{MaxRunTokens: 200}, 0, approval.CapRunTokens, true, approval.Raise{Tokens: 1000}},
		{"daily cost", StartRequest{}, 0.0002, approval.CapDailyCost, true, approval.Raise{CostUSD: 1}},
		{"unknown price: the cost cap does not apply, the token cap does", StartRequest{Model: "mystery-1", MaxCostUSD: 0.00001, MaxRunTokens: 200}, 0, approval.CapRunTokens, false, approval.Raise{Tokens: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			model := &scriptModel{turns: turns}
			r, _ := setup(t, model, func(c *Config) { c.DailyCostCap = func() (float64, error) { return tc.daily, nil } })
			tc.req.Prompt, tc.req.Workspace = "read twice", t.TempDir()
			run := start(t, r, tc.req)
			ctx := context.Background()
			got, err := r.Drive(ctx, run.ID)
			if !errors.Is(err, ErrSuspended) || got.Status != journal.RunAwaitingApproval {
				t.Fatalf("Drive = %s, %v; want awaiting_approval at the cap", got.Status, err)
			}
			if n := len(model.calls()); n != 2 {
				t.Errorf("model calls before the cap = %d, want 2", n)
			}
			_, req, err := r.Pending(ctx, run.ID)
			if err != nil || req.Budget == nil || req.Budget.Cap != tc.wantCap || req.Budget.CostKnown != tc.costKnown {
				t.Fatalf("Pending = %+v, %v; want a budget request at cap %s (cost known %v)", req.Budget, err, tc.wantCap, tc.costKnown)
			}
			// Resuming without an answer waits again and calls nothing.
			if got, _ := r.Drive(ctx, run.ID); got.Status != journal.RunAwaitingApproval || len(model.calls()) != 2 {
				t.Errorf("Drive without an answer = %s after %d calls, want awaiting_approval after 2", got.Status, len(model.calls()))
			}
			if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test"}); !errors.Is(err, approval.ErrBadAnswer) {
				t.Errorf("Answer without a raise = %v, want ErrBadAnswer", err)
			}
			if _, err := r.Answer(ctx, run.ID, approval.Answer{Kind: approval.Approve, ActionHash: req.ActionHash, By: "test", Raise: &tc.raise}); err != nil {
				t.Fatal(err)
			}
			if got, err := r.Drive(ctx, run.ID); got.Status != journal.RunCompleted {
				t.Fatalf("Drive after the raise = %s, %v; want completed", got.Status, err)
			}
			if n := len(model.calls()); n != 3 {
				t.Errorf("model calls in all = %d, want 3", n)
			}
			s, err := r.Spend(ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Tokens != 330 || s.CostKnown != tc.costKnown || s.ContextTokens != 100 {
				t.Errorf("Spend = %+v, want 330 tokens, cost known %v, the last request's 100 input tokens", s, tc.costKnown)
			}
			if tc.wantCap == approval.CapRunTokens && s.MaxTokens != 1200 {
				t.Errorf("Spend.MaxTokens = %d, want the cap raised to 1200", s.MaxTokens)
			}
		})
	}
}

// TestBudgetResolve: a run's caps are its own (--max-cost, --max-run-tokens), else its agent's.
func TestBudgetResolve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		req  StartRequest
		want Budget
	}{
		{"the agent's", StartRequest{}, Budget{MaxCostUSD: 5, MaxTokens: 1000}},
		{"the run's own win", StartRequest{MaxCostUSD: 2.5, MaxRunTokens: 2_000_000}, Budget{MaxCostUSD: 2.5, MaxTokens: 2_000_000}},
		{"one of each", StartRequest{MaxCostUSD: 1}, Budget{MaxCostUSD: 1, MaxTokens: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _ := setup(t, &scriptModel{}, func(c *Config) {
				d := c.Agents[DefaultAgentID]
				d.MaxCostUSD, d.MaxRunTokens = 5, 1000
				c.Agents[DefaultAgentID] = d
			})
			tc.req.Prompt, tc.req.Workspace = "p", t.TempDir()
			run := start(t, r, tc.req)
			cfg, err := r.recordedConfig(context.Background(), run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Budget != tc.want {
				t.Errorf("recorded budget = %+v, want %+v", cfg.Budget, tc.want)
			}
		})
	}
}
