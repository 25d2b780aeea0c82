// Package provider chooses and builds the llm.Model a run uses, from the
// environment or an explicit name, for the providers of llm/catalog. It is
// the only package that imports every adapter, so that package llm stays
// free of them; it must not know about runs, settings storage or the UI.
package provider

import (
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/openai"
)

// Provider names (the catalog's ids).
const (
	Anthropic = catalog.AnthropicID
	OpenAI    = catalog.OpenAIID
	Demo      = catalog.DemoID
)

// Choice is a built model and how it was chosen.
type Choice struct {
	// Provider is Anthropic, OpenAI or Demo.
	Provider string
	Model    llm.Model
	// ModelName is the model used when a Request names none; put it in
	// Request.Model to make the journaled request say which model ran.
	ModelName string
	// Reason says why this provider was chosen, for logs and the UI.
	Reason string
}

// builder builds a catalog provider's model from getenv, with model (when not empty)
// replacing its default model. Credentials were checked against the catalog entry first.
type builder func(getenv func(string) string, model string) (llm.Model, string)

// builders holds the adapter of every catalog provider (TestEveryProviderBuilds keeps the
// two lists equal): adding a provider is its catalog entry, its adapter and one line here.
var builders = map[string]builder{
	Anthropic: func(getenv func(string) string, model string) (llm.Model, string) {
		opts := anthropic.OptionsFromEnv(getenv)
		if model != "" {
			opts.Model = model
		}
		c := anthropic.New(opts)
		return c, c.Model()
	},
	OpenAI: func(getenv func(string) string, model string) (llm.Model, string) {
		opts := openai.OptionsFromEnv(getenv)
		if model != "" {
			opts.Model = model
		}
		c := openai.New(opts)
		return c, c.Model()
	},
	Demo: func(func(string) string, string) (llm.Model, string) {
		return demo.New(demo.Options{Delay: demo.DefaultDelay}), demo.ModelName
	},
}

// FromEnv chooses the provider through getenv (os.Getenv in main):
// CORRAL_PROVIDER if set; otherwise the first catalog provider whose key
// variable is set (ANTHROPIC_API_KEY, then OPENAI_API_KEY), then the first
// that needs no key and has its base URL set (OPENAI_BASE_URL), and the demo
// model when no credentials exist. CORRAL_MODEL overrides the model name.
func FromEnv(getenv func(string) string) (Choice, error) {
	name := strings.ToLower(strings.TrimSpace(getenv("CORRAL_PROVIDER")))
	reason := "CORRAL_PROVIDER=" + name
	if name == "" {
		name, reason = choose(getenv)
	}
	c, err := New(name, getenv)
	c.Reason = reason
	return c, err
}

// choose returns the provider automatic selection picks, and why.
func choose(getenv func(string) string) (name, reason string) {
	var vars []string
	for _, p := range catalog.All() {
		if p.KeyVar != "" && getenv(p.KeyVar) != "" {
			return p.ID, p.KeyVar + " is set"
		}
		if p.KeyVar != "" {
			vars = append(vars, p.KeyVar)
		}
	}
	for _, p := range catalog.All() {
		if p.KeyOptional && p.BaseURLVar != "" && getenv(p.BaseURLVar) != "" {
			return p.ID, p.BaseURLVar + " is set"
		}
		if p.KeyOptional && p.BaseURLVar != "" {
			vars = append(vars, p.BaseURLVar)
		}
	}
	return Demo, "no " + orList(vars)
}

// New builds the named provider with settings read through getenv. A
// provider whose key variable is unset (and, for one that needs no key, whose
// base URL variable is unset too) fails with llm.ErrNoCredentials.
func New(name string, getenv func(string) string) (Choice, error) {
	p, ok := catalog.Lookup(name)
	build := builders[name]
	if !ok || build == nil {
		return Choice{}, fmt.Errorf("provider: unknown provider %q (want %s)", name, orList(catalog.IDs()))
	}
	if p.KeyVar != "" && getenv(p.KeyVar) == "" {
		if !p.KeyOptional {
			return Choice{}, fmt.Errorf("provider: %s needs %s: %w", p.ID, p.KeyVar, llm.ErrNoCredentials)
		}
		if getenv(p.BaseURLVar) == "" {
			return Choice{}, fmt.Errorf("provider: %s needs %s or %s: %w", p.ID, p.KeyVar, p.BaseURLVar, llm.ErrNoCredentials)
		}
	}
	m, model := build(getenv, getenv("CORRAL_MODEL"))
	return Choice{Provider: p.ID, Model: m, ModelName: model}, nil
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
