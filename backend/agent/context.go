package agent

// DefaultCompactAt is the percentage of the context window a request may reach before the
// run compacts its conversation first, when the agent does not say.
const DefaultCompactAt = 80

// bytesPerToken is the estimate's exchange rate: about four bytes of English or code make
// one token, for both providers' tokenizers.
const bytesPerToken = 4

// contextWindow settles a run's context window: the agent's own figure, else the price
// table's or the catalog's for the model (ContextWindow), else 0 (unknown: the run never
// compacts).
func contextWindow(def Definition, prices Prices, provider, model string) int {
	if def.ContextWindow > 0 {
		return def.ContextWindow
	}
	return ContextWindow(prices, provider, model)
}

// compactAt settles the agent's threshold in percent of the window.
func compactAt(def Definition) int {
	if def.CompactAt > 0 && def.CompactAt <= 100 {
		return def.CompactAt
	}
	return DefaultCompactAt
}

// threshold is the request size, in tokens, past which a run compacts first; 0 never.
func threshold(cfg RunConfig) int {
	if cfg.ContextWindow <= 0 || cfg.CompactAt <= 0 {
		return 0
	}
	return cfg.ContextWindow * cfg.CompactAt / 100
}
