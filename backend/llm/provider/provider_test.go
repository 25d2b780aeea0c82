package provider

import (
	"errors"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
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
