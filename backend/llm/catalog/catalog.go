// Package catalog is the one list of the model providers Corral knows: for each its id,
// label, the environment variables that configure it, its default base URL and model, and
// the facts about its well-known models (context window, output cap, thinking, which
// token-limit field the request takes). Health, the Settings view, the credential store,
// settings.json, agent definitions, provider selection and the CLI all read it.
//
// It is a leaf: it imports nothing of Corral's, so that backend/config,
// backend/credential and backend/health (which sit below the adapters) and the adapters
// themselves (which llm/provider imports) can all read it without an import cycle. It must
// not know how a provider is built or spoken to: llm/provider maps each id to its adapter.
package catalog

import "slices"

// Provider ids: the names used in RunConfig, agents.json, settings.json, --provider and
// CORRAL_PROVIDER.
const (
	AnthropicID = "anthropic"
	OpenAIID    = "openai"
	DemoID      = "demo"
)

// Token-limit fields of a chat request body.
const (
	// MaxTokens is "max_tokens": Anthropic's Messages API and most OpenAI-compatible
	// servers (Ollama, vLLM, LM Studio).
	MaxTokens = "max_tokens"
	// MaxCompletionTokens is "max_completion_tokens": OpenAI's own API, which refuses
	// max_tokens for its reasoning models.
	MaxCompletionTokens = "max_completion_tokens"
)

// Provider is one model provider.
type Provider struct {
	// ID names the provider everywhere it is stored or typed.
	ID string
	// Label is what the Settings view and the health panel show.
	Label string
	// KeyVar is the environment variable (and the credential name) holding the API key;
	// empty for a provider that takes none (the demo).
	KeyVar string
	// KeyOptional means a base URL alone configures the provider: local
	// OpenAI-compatible servers need no key.
	KeyOptional bool
	// BaseURLVar is the environment variable that replaces DefaultBaseURL (and that a base
	// URL saved in settings.json stands in for); empty when there is none.
	BaseURLVar string
	// ModelVar is the environment variable naming the provider's default model.
	ModelVar string
	// DefaultBaseURL is the API address used when no base URL is set.
	DefaultBaseURL string
	// DefaultModel is the model used when neither the run nor ModelVar names one.
	DefaultModel string
	// TokenLimitField is the token-limit field for a model not listed in Models.
	TokenLimitField string
	// Models are the facts of the default and a few well-known models.
	Models []Model
}

// Model is what Corral knows of one model before calling it.
type Model struct {
	// ID is the model name the API takes.
	ID string
	// ContextWindow is the input plus output the model can attend to, in tokens.
	ContextWindow int
	// MaxOutputTokens is the most the model writes in one response, in tokens.
	MaxOutputTokens int
	// Thinking says the model can reason before it answers (Anthropic's extended
	// thinking, OpenAI's reasoning models).
	Thinking bool
	// TokenLimitField is MaxTokens or MaxCompletionTokens.
	TokenLimitField string
}

// providers is the catalog, in the order automatic selection tries them: the first with
// credentials wins, the demo (no credentials) comes last.
var providers = []Provider{
	{
		ID: AnthropicID, Label: "Anthropic",
		KeyVar: "ANTHROPIC_API_KEY", BaseURLVar: "ANTHROPIC_BASE_URL", ModelVar: "ANTHROPIC_MODEL",
		DefaultBaseURL: "https://api.anthropic.com", DefaultModel: "claude-sonnet-4-5",
		TokenLimitField: MaxTokens,
		// Context windows and output caps from the models overview and each model's page,
		// https://platform.claude.com/docs/en/about-claude/models/overview; thinking from
		// https://docs.claude.com/en/docs/build-with-claude/extended-thinking (supported
		// models). The 1M-token window of Sonnet 4.5 is a beta behind a header: not counted.
		Models: []Model{
			{ID: "claude-sonnet-4-5", ContextWindow: 200_000, MaxOutputTokens: 64_000, Thinking: true, TokenLimitField: MaxTokens},
			{ID: "claude-haiku-4-5", ContextWindow: 200_000, MaxOutputTokens: 64_000, Thinking: true, TokenLimitField: MaxTokens},
			{ID: "claude-opus-4-1", ContextWindow: 200_000, MaxOutputTokens: 32_000, Thinking: true, TokenLimitField: MaxTokens},
			{ID: "claude-sonnet-4-0", ContextWindow: 200_000, MaxOutputTokens: 64_000, Thinking: true, TokenLimitField: MaxTokens},
			{ID: "claude-3-5-haiku-latest", ContextWindow: 200_000, MaxOutputTokens: 8_192, TokenLimitField: MaxTokens},
		},
	},
	{
		ID: OpenAIID, Label: "OpenAI-compatible",
		KeyVar: "OPENAI_API_KEY", KeyOptional: true, BaseURLVar: "OPENAI_BASE_URL", ModelVar: "OPENAI_MODEL",
		DefaultBaseURL: "https://api.openai.com/v1", DefaultModel: "gpt-4.1",
		// A model this list does not know is most likely served by a compatible server
		// (Ollama, vLLM, LM Studio), which reads max_tokens.
		TokenLimitField: MaxTokens,
		// From each model's page, https://platform.openai.com/docs/models/MODEL (context
		// window, max output tokens, reasoning). OpenAI's API takes max_completion_tokens
		// for all of them and refuses max_tokens for the reasoning models
		// (https://platform.openai.com/docs/api-reference/chat/create).
		Models: []Model{
			{ID: "gpt-4.1", ContextWindow: 1_047_576, MaxOutputTokens: 32_768, TokenLimitField: MaxCompletionTokens},
			{ID: "gpt-4.1-mini", ContextWindow: 1_047_576, MaxOutputTokens: 32_768, TokenLimitField: MaxCompletionTokens},
			{ID: "gpt-4o", ContextWindow: 128_000, MaxOutputTokens: 16_384, TokenLimitField: MaxCompletionTokens},
			{ID: "o3", ContextWindow: 200_000, MaxOutputTokens: 100_000, Thinking: true, TokenLimitField: MaxCompletionTokens},
			{ID: "o4-mini", ContextWindow: 200_000, MaxOutputTokens: 100_000, Thinking: true, TokenLimitField: MaxCompletionTokens},
			{ID: "gpt-5", ContextWindow: 400_000, MaxOutputTokens: 128_000, Thinking: true, TokenLimitField: MaxCompletionTokens},
		},
	},
	{
		// The scripted model bundled in the binary: no key, no address, no model facts.
		ID: DemoID, Label: "Demo", DefaultModel: "corral-demo",
	},
}

// All returns every provider, in the order automatic selection tries them (the demo last).
// The slice is a copy: changing it changes no one else's.
func All() []Provider {
	out := slices.Clone(providers)
	for i := range out {
		out[i].Models = slices.Clone(out[i].Models)
	}
	return out
}

// Configurable returns the providers a person configures with a key or a base URL (every
// one but the demo), in catalog order: what health reports, the Settings view lists and
// the credential store keeps.
func Configurable() []Provider {
	return slices.DeleteFunc(All(), func(p Provider) bool { return p.KeyVar == "" && p.BaseURLVar == "" })
}

// Lookup returns the provider id names.
func Lookup(id string) (Provider, bool) {
	for _, p := range All() {
		if p.ID == id {
			return p, true
		}
	}
	return Provider{}, false
}

// IDs returns every provider's id, in catalog order.
func IDs() []string { return vars(func(p Provider) string { return p.ID }) }

// KeyVars returns the API-key variables of the providers that take one, in catalog order.
func KeyVars() []string { return vars(func(p Provider) string { return p.KeyVar }) }

// BaseURLVars returns the base-URL variables of the providers that have one, in catalog
// order.
func BaseURLVars() []string { return vars(func(p Provider) string { return p.BaseURLVar }) }

// vars returns one variable of every provider that has it.
func vars(of func(Provider) string) []string {
	var out []string
	for _, p := range providers {
		if v := of(p); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Model returns the facts the catalog has about model id, if any.
func (p Provider) Model(id string) (Model, bool) {
	i := slices.IndexFunc(p.Models, func(m Model) bool { return m.ID == id })
	if i < 0 {
		return Model{}, false
	}
	return p.Models[i], true
}
