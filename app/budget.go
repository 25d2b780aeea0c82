package app

import (
	"cmp"
	"slices"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/llm/catalog"
)

// Budgets is the Settings view's models and budget section: each known model's prices next
// to its context window and output cap (DATA_DIR/prices.json over the catalog), and the
// global daily cost cap (settings.json). A saved price applies to runs driven afterwards.
type Budgets struct {
	dataDir string
	runner  *agent.Runner
}

// ModelFacts is one model's row: its prices in US dollars per million tokens, and its
// context window and output cap (0 keeps the catalog's, shown in CatalogWindow and
// CatalogOutput).
type ModelFacts struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Priced says the price table knows the model; a model without a price is capped by
	// tokens only and its cost shows as unknown.
	Priced          bool    `json:"priced"`
	Input           float64 `json:"input"`
	Output          float64 `json:"output"`
	CacheRead       float64 `json:"cache_read"`
	CacheWrite      float64 `json:"cache_write"`
	ContextWindow   int     `json:"context_window"`
	MaxOutputTokens int     `json:"max_output_tokens"`
	CatalogWindow   int     `json:"catalog_window"`
	CatalogOutput   int     `json:"catalog_output"`
}

// BudgetsView is the section: the models and the daily cap.
type BudgetsView struct {
	Models []ModelFacts `json:"models"`
	// DailyCostUSD caps what every run's model calls of a day may cost together; 0 is none.
	DailyCostUSD float64 `json:"daily_cost_usd"`
}

// List returns the section.
func (b *Budgets) List() (BudgetsView, error) {
	prices, err := agent.LoadPrices(b.dataDir)
	if err != nil {
		return BudgetsView{}, err
	}
	settings, err := config.LoadSettings(b.dataDir)
	if err != nil {
		return BudgetsView{}, err
	}
	out := BudgetsView{Models: []ModelFacts{}, DailyCostUSD: settings.Budget.DailyCostUSD}
	for _, p := range catalog.All() {
		for _, m := range p.Models {
			pr, ok := prices.Lookup(m.ID)
			out.Models = append(out.Models, ModelFacts{Provider: p.ID, Model: m.ID, Priced: ok, Input: pr.Input, Output: pr.Output,
				CacheRead: pr.CacheRead, CacheWrite: pr.CacheWrite, ContextWindow: pr.ContextWindow, MaxOutputTokens: pr.MaxOutputTokens,
				CatalogWindow: m.ContextWindow, CatalogOutput: m.MaxOutputTokens})
		}
	}
	slices.SortStableFunc(out.Models, func(a, c ModelFacts) int { return cmp.Compare(a.Provider, c.Provider) })
	return out, nil
}

// SaveModel saves a model's prices, context window and output cap to prices.json (an entry
// for exactly that model) and hands the new table to the Runner.
func (b *Budgets) SaveModel(m ModelFacts) (BudgetsView, error) {
	err := agent.SavePrice(b.dataDir, m.Model, agent.Price{Input: m.Input, Output: m.Output, CacheRead: m.CacheRead, CacheWrite: m.CacheWrite,
		ContextWindow: m.ContextWindow, MaxOutputTokens: m.MaxOutputTokens})
	if err != nil {
		return BudgetsView{}, err
	}
	if b.runner != nil {
		prices, err := agent.LoadPrices(b.dataDir)
		if err != nil {
			return BudgetsView{}, err
		}
		b.runner.SetPrices(prices)
	}
	return b.List()
}

// SaveDailyCap saves the global daily cost cap (0 removes it); runs check it before each
// new model call.
func (b *Budgets) SaveDailyCap(usd float64) (BudgetsView, error) {
	settings, err := config.LoadSettings(b.dataDir)
	if err != nil {
		return BudgetsView{}, err
	}
	settings.Budget.DailyCostUSD = usd
	if err := config.SaveSettings(b.dataDir, settings); err != nil {
		return BudgetsView{}, err
	}
	return b.List()
}
