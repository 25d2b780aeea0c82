package app

import (
	"testing"

	"github.com/corral-dev/corral/backend/agent"
)

// TestBudgetsSaveModel: a model's window and prices saved from Settings land in prices.json,
// reach the Runner at once (what the context gauge compares with), and the daily cap lands
// in settings.json.
func TestBudgetsSaveModel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	runner := agent.New(agent.Config{Agents: map[string]agent.Definition{"coder": agent.Builtin()[0]}})
	b := &Budgets{dataDir: dir, runner: runner}
	view, err := b.List()
	if err != nil {
		t.Fatal(err)
	}
	var sonnet ModelFacts
	for _, m := range view.Models {
		if m.Model == "claude-sonnet-4-5" {
			sonnet = m
		}
	}
	if !sonnet.Priced || sonnet.Input != 3 || sonnet.CatalogWindow != 200_000 || sonnet.ContextWindow != 0 {
		t.Fatalf("List() sonnet = %+v, want priced at $3 with the catalog's 200,000 window and no override", sonnet)
	}
	sonnet.ContextWindow, sonnet.Input = 1_000_000, 6
	if _, err := b.SaveModel(sonnet); err != nil {
		t.Fatal(err)
	}
	if got := agent.ContextWindow(runner.Prices(), "anthropic", "claude-sonnet-4-5"); got != 1_000_000 {
		t.Errorf("the Runner's window for claude-sonnet-4-5 after SaveModel = %d, want 1000000", got)
	}
	if p, _ := runner.Prices().Lookup("claude-sonnet-4-5"); p.Input != 6 {
		t.Errorf("the Runner's input price after SaveModel = %v, want 6", p.Input)
	}
	again, err := (&Budgets{dataDir: dir}).List()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range again.Models {
		if m.Model == "claude-sonnet-4-5" && (m.ContextWindow != 1_000_000 || m.Input != 6) {
			t.Errorf("List() after a restart = %+v, want the saved window and price", m)
		}
	}
	if v, err := b.SaveDailyCap(12.5); err != nil || v.DailyCostUSD != 12.5 {
		t.Errorf("SaveDailyCap(12.5) = %v, %v; want it saved", v.DailyCostUSD, err)
	}
	if _, err := b.SaveDailyCap(-1); err == nil {
		t.Error("SaveDailyCap(-1) saved a negative cap")
	}
}
