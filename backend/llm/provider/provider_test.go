package provider

import (
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/llm/demo"
	"github.com/corral-dev/corral/backend/llm/openai"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		provider string
		model    string
		wantErr  error
	}{
		{"no credentials plays the demo", nil, Demo, demo.ModelName, nil},
		{"anthropic key", map[string]string{"ANTHROPIC_API_KEY": "sk-ant"}, Anthropic, anthropic.DefaultModel, nil},
		{"anthropic wins over openai", map[string]string{"ANTHROPIC_API_KEY": "sk-ant", "OPENAI_API_KEY": "sk-oai"}, Anthropic, anthropic.DefaultModel, nil},
		{"openai key", map[string]string{"OPENAI_API_KEY": "sk-oai", "OPENAI_MODEL": "gpt-x"}, OpenAI, "gpt-x", nil},
		{"local server needs no key", map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1", "CORRAL_MODEL": "qwen2.5-coder"}, OpenAI, "qwen2.5-coder", nil},
		{"explicit provider", map[string]string{"CORRAL_PROVIDER": "Demo", "ANTHROPIC_API_KEY": "sk-ant"}, Demo, demo.ModelName, nil},
		{"explicit provider without its key", map[string]string{"CORRAL_PROVIDER": "anthropic", "OPENAI_API_KEY": "sk-oai"}, "", "", llm.ErrNoCredentials},
		{"explicit openai without key or url", map[string]string{"CORRAL_PROVIDER": "openai"}, "", "", llm.ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := FromEnv(func(k string) string { return tt.env[k] })
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("FromEnv() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.Provider != tt.provider || c.ModelName != tt.model || c.Model == nil || c.Reason == "" {
				t.Fatalf("FromEnv() = %+v, want provider %s model %s", c, tt.provider, tt.model)
			}
			switch c.Provider {
			case Anthropic:
				_ = c.Model.(*anthropic.Client)
			case OpenAI:
				_ = c.Model.(*openai.Client)
			case Demo:
				_ = c.Model.(*demo.Model)
			}
		})
	}
}

func TestNewUnknown(t *testing.T) {
	t.Parallel()
	if _, err := New("gemini", func(string) string { return "" }); err == nil {
		t.Fatal(`New("gemini") succeeded, want an error`)
	}
}

// TestEveryProviderBuilds: the catalog and the adapters name the same providers, so a
// catalog entry without an adapter (or the reverse) fails here.
func TestEveryProviderBuilds(t *testing.T) {
	t.Parallel()
	for _, p := range catalog.All() {
		if builders[p.ID] == nil {
			t.Errorf("catalog provider %q has no builder", p.ID)
		}
	}
	for id := range builders {
		if _, ok := catalog.Lookup(id); !ok {
			t.Errorf("builder %q is not in the catalog", id)
		}
	}
}

// TestCatalogMatchesAdapters: the catalog's defaults and variables are the ones each
// adapter uses.
func TestCatalogMatchesAdapters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id             string
		defaultModel   string
		defaultBaseURL string
		fromEnv        func(getenv func(string) string)
	}{
		{Anthropic, anthropic.DefaultModel, anthropic.DefaultBaseURL, func(g func(string) string) { anthropic.OptionsFromEnv(g) }},
		{OpenAI, openai.DefaultModel, openai.DefaultBaseURL, func(g func(string) string) { openai.OptionsFromEnv(g) }},
		{Demo, demo.ModelName, "", func(func(string) string) {}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			p, _ := catalog.Lookup(tt.id)
			if p.DefaultModel != tt.defaultModel || p.DefaultBaseURL != tt.defaultBaseURL {
				t.Errorf("catalog %s defaults = %q, %q; adapter's = %q, %q", tt.id, p.DefaultModel, p.DefaultBaseURL, tt.defaultModel, tt.defaultBaseURL)
			}
			read := map[string]bool{}
			tt.fromEnv(func(k string) string { read[k] = true; return "" })
			for _, v := range []string{p.KeyVar, p.BaseURLVar, p.ModelVar} {
				if v != "" && !read[v] {
					t.Errorf("the %s adapter does not read %s (read %v)", tt.id, v, read)
				}
			}
		})
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"none", nil, "no ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL"},
		{"openai key", map[string]string{"OPENAI_API_KEY": "k"}, "OPENAI_API_KEY is set"},
		{"base url only", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}, "OPENAI_BASE_URL is set"},
		{"anthropic base url alone is not enough", map[string]string{"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}, "no ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := FromEnv(func(k string) string { return tt.env[k] })
			if err != nil || c.Reason != tt.want {
				t.Errorf("FromEnv(%v).Reason = %q, %v; want %q", tt.env, c.Reason, err, tt.want)
			}
		})
	}
}
