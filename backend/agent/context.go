package agent

import (
	"encoding/json"

	"github.com/corral-dev/corral/backend/llm"
)

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

// gauge tracks how large a run's next request will be. It is fed only what the journal
// records (the usage of each recorded response, the messages rebuilt from the record), so
// a resumed run measures what an uninterrupted one measured, and decides alike.
type gauge struct {
	// tokens is the size of the last request as the provider counted it (input, cache read
	// and cache write tokens), 0 when none was answered since the conversation changed shape.
	tokens int
	// bytesThen is the size of the messages that request carried.
	bytesThen int
	// sizes caches each message's size by index, with its block count to see a merge.
	sizes []msgSize
}

type msgSize struct{ blocks, bytes int }

// estimateRequestTokens is how many tokens the request carrying msgs (and the fixed part:
// system prompt and tools, fixedBytes) will count: the last request's counted size plus
// bytes/4 of what was added since, or bytes/4 of everything when no count is known.
func (g *gauge) estimateRequestTokens(msgs []llm.Message, fixedBytes int) int {
	now := g.messageBytes(msgs)
	if g.tokens > 0 {
		return g.tokens + max(now-g.bytesThen, 0)/bytesPerToken
	}
	return (now + fixedBytes) / bytesPerToken
}

// answered records the provider's count of the request that carried msgs.
func (g *gauge) answered(msgs []llm.Message, u llm.Usage) {
	g.tokens = int(u.InputTokens + u.CacheReadTokens + u.CacheWriteTokens)
	g.bytesThen = g.messageBytes(msgs)
}

// reset forgets the count and the cache: the conversation was replaced (a compaction).
func (g *gauge) reset() { *g = gauge{} }

// messageBytes is the encoded size of msgs. Messages are never changed in place, only
// appended or merged into the last one, so a message whose block count is unchanged is
// not measured again.
func (g *gauge) messageBytes(msgs []llm.Message) int {
	if len(g.sizes) > len(msgs) {
		g.sizes = g.sizes[:0]
	}
	total := 0
	for i, m := range msgs {
		if i < len(g.sizes) && g.sizes[i].blocks == len(m.Content) {
			total += g.sizes[i].bytes
			continue
		}
		s := msgSize{blocks: len(m.Content), bytes: messageSize(m)}
		if i < len(g.sizes) {
			g.sizes[i] = s
		} else {
			g.sizes = append(g.sizes, s)
		}
		total += s.bytes
	}
	return total
}

// messageSize is the JSON size of one message, about what a provider's wire format takes.
func messageSize(m llm.Message) int {
	b, err := json.Marshal(m)
	if err != nil {
		return 0
	}
	return len(b)
}

// fixedSize is the size of what every request of a run carries besides its messages.
func fixedSize(system string, tools []llm.ToolSpec) int {
	n := len(system)
	for _, t := range tools {
		n += len(t.Name) + len(t.Description) + len(t.InputSchema) + 32
	}
	return n
}

// threshold is the request size, in tokens, past which a run compacts first; 0 never.
func threshold(cfg RunConfig) int {
	if cfg.ContextWindow <= 0 || cfg.CompactAt <= 0 {
		return 0
	}
	return cfg.ContextWindow * cfg.CompactAt / 100
}
