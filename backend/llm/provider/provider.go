// Package provider chooses and builds the llm.Model a run uses, from the
// environment or an explicit name. It is the only package that imports
// every adapter, so that package llm stays free of them; it must not know
// about runs, settings storage or the UI.
package provider

import (
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/openai"
)

// Provider names.
const (
	Anthropic = "anthropic"
	OpenAI    = "openai"
	Demo      = "demo"
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

// FromEnv chooses the provider through getenv (os.Getenv in main):
// CORRAL_PROVIDER if set; otherwise Anthropic when ANTHROPIC_API_KEY is
// set, OpenAI when OPENAI_API_KEY or OPENAI_BASE_URL is, and the demo
// model when no credentials exist. CORRAL_MODEL overrides the model name.
func FromEnv(getenv func(string) string) (Choice, error) {
	name := strings.ToLower(strings.TrimSpace(getenv("CORRAL_PROVIDER")))
	reason := "CORRAL_PROVIDER=" + name
	switch {
	case name != "":
	case getenv("ANTHROPIC_API_KEY") != "":
		name, reason = Anthropic, "ANTHROPIC_API_KEY is set"
	case getenv("OPENAI_API_KEY") != "":
		name, reason = OpenAI, "OPENAI_API_KEY is set"
	case getenv("OPENAI_BASE_URL") != "":
		name, reason = OpenAI, "OPENAI_BASE_URL is set"
	default:
		name, reason = Demo, "no ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL"
	}
	c, err := New(name, getenv)
	c.Reason = reason
	return c, err
}

// New builds the named provider with settings read through getenv. An
// Anthropic model without ANTHROPIC_API_KEY, or an OpenAI model with
// neither OPENAI_API_KEY nor OPENAI_BASE_URL, fails with
// llm.ErrNoCredentials.
func New(name string, getenv func(string) string) (Choice, error) {
	override := getenv("CORRAL_MODEL")
	switch name {
	case Anthropic:
		opts := anthropic.OptionsFromEnv(getenv)
		if opts.APIKey == "" {
			return Choice{}, fmt.Errorf("provider: anthropic needs ANTHROPIC_API_KEY: %w", llm.ErrNoCredentials)
		}
		if override != "" {
			opts.Model = override
		}
		c := anthropic.New(opts)
		return Choice{Provider: Anthropic, Model: c, ModelName: c.Model()}, nil
	case OpenAI:
		opts := openai.OptionsFromEnv(getenv)
		if opts.APIKey == "" && opts.BaseURL == "" {
			return Choice{}, fmt.Errorf("provider: openai needs OPENAI_API_KEY or OPENAI_BASE_URL: %w", llm.ErrNoCredentials)
		}
		if override != "" {
			opts.Model = override
		}
		c := openai.New(opts)
		return Choice{Provider: OpenAI, Model: c, ModelName: c.Model()}, nil
	case Demo:
		return Choice{Provider: Demo, Model: demo.New(demo.Options{Delay: demo.DefaultDelay}), ModelName: demo.ModelName}, nil
	}
	return Choice{}, fmt.Errorf("provider: unknown provider %q (want %s, %s or %s)", name, Anthropic, OpenAI, Demo)
}
