package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/llm"
)

// Price is a model's list price in US dollars per million tokens.
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
	// ContextWindow and MaxOutputTokens, when set, replace the catalog's figures for the
	// model (what the context gauge and the estimate compare with); zero keeps them.
	ContextWindow   int `json:"context_window,omitempty"`
	MaxOutputTokens int `json:"max_output_tokens,omitempty"`
}

// Prices maps a model name, or a prefix of one ending in "*", to its price.
type Prices map[string]Price

// defaultPrices are list prices at the time of writing; dataDir/prices.json overrides them.
var defaultPrices = Prices{
	"claude-opus-4*":    {Input: 15, Output: 75, CacheRead: 1.5, CacheWrite: 18.75},
	"claude-sonnet-4*":  {Input: 3, Output: 15, CacheRead: 0.3, CacheWrite: 3.75},
	"claude-haiku-4*":   {Input: 1, Output: 5, CacheRead: 0.1, CacheWrite: 1.25},
	"claude-3-5-haiku*": {Input: 0.8, Output: 4, CacheRead: 0.08, CacheWrite: 1},
	"gpt-4o-mini*":      {Input: 0.15, Output: 0.6, CacheRead: 0.075},
	"gpt-4o*":           {Input: 2.5, Output: 10, CacheRead: 1.25},
	"gpt-4.1-mini*":     {Input: 0.4, Output: 1.6, CacheRead: 0.1},
	"gpt-4.1*":          {Input: 2, Output: 8, CacheRead: 0.5},
	"demo*":             {},
}

// pricesFile is the user's editable price table, in the data directory.
const pricesFile = "prices.json"

// LoadPrices returns the default prices overlaid with dataDir/prices.json, a JSON object of
// model (or "prefix*") to Price.
func LoadPrices(dataDir string) (Prices, error) {
	p := Prices{}
	for k, v := range defaultPrices {
		p[k] = v
	}
	path := filepath.Join(dataDir, pricesFile)
	blob, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent: read %s: %w", path, err)
	}
	var user Prices
	if err := json.Unmarshal(blob, &user); err != nil {
		return nil, fmt.Errorf("agent: %s: %w", path, err)
	}
	for k, v := range user {
		p[k] = v
	}
	return p, nil
}

// SavePrice sets the entry model (a model name, or a prefix ending in "*") of
// dataDir/prices.json to p, keeping every other entry, and writes the file atomically.
func SavePrice(dataDir, model string, p Price) error {
	if strings.TrimSpace(model) == "" {
		return errors.New("agent: a price needs a model name")
	}
	if p.Input < 0 || p.Output < 0 || p.CacheRead < 0 || p.CacheWrite < 0 || p.ContextWindow < 0 || p.MaxOutputTokens < 0 {
		return fmt.Errorf("agent: price of %s: no figure may be negative", model)
	}
	path := filepath.Join(dataDir, pricesFile)
	user := Prices{}
	blob, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("agent: read %s: %w", path, err)
	default:
		if err := json.Unmarshal(blob, &user); err != nil {
			return fmt.Errorf("agent: %s: %w", path, err)
		}
	}
	user[model] = p
	out, err := json.MarshalIndent(user, "", "  ")
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(path, append(out, '\n'))
}

// Lookup finds the price of a model: an exact entry, else the longest matching prefix.
func (p Prices) Lookup(model string) (Price, bool) {
	if pr, ok := p[model]; ok {
		return pr, true
	}
	best, found := "", false
	for k := range p {
		prefix, ok := strings.CutSuffix(k, "*")
		if ok && strings.HasPrefix(model, prefix) && len(prefix) >= len(best) {
			best, found = prefix, true
		}
	}
	if !found {
		return Price{}, false
	}
	return p[best+"*"], true
}

// Cost estimates the dollars a call with usage u cost; an unknown model costs 0.
func (p Prices) Cost(model string, u llm.Usage) float64 {
	pr, ok := p.Lookup(model)
	if !ok {
		return 0
	}
	return (float64(u.InputTokens)*pr.Input + float64(u.OutputTokens)*pr.Output +
		float64(u.CacheReadTokens)*pr.CacheRead + float64(u.CacheWriteTokens)*pr.CacheWrite) / 1e6
}
