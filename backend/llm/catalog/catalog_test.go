package catalog_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm/catalog"
)

// TestEntriesComplete: every provider names itself, its label and its default model; a
// configurable one has its variables, an address and the facts of its default model; every
// listed model has a window, an output cap below it and a token-limit field.
func TestEntriesComplete(t *testing.T) {
	t.Parallel()
	for _, p := range catalog.All() {
		t.Run(p.ID, func(t *testing.T) {
			t.Parallel()
			if p.ID == "" || p.Label == "" || p.DefaultModel == "" {
				t.Errorf("%+v: want an id, a label and a default model", p)
			}
			if p.ID != catalog.DemoID {
				if p.KeyVar == "" || p.BaseURLVar == "" || p.ModelVar == "" || p.DefaultBaseURL == "" || p.TokenLimitField == "" {
					t.Errorf("%s: want key, base URL and model variables, a default base URL and a token-limit field: %+v", p.ID, p)
				}
				if !strings.HasPrefix(p.DefaultBaseURL, "https://") {
					t.Errorf("%s: DefaultBaseURL = %q, want https", p.ID, p.DefaultBaseURL)
				}
				if _, ok := p.Model(p.DefaultModel); !ok {
					t.Errorf("%s: Model(%q) not found: the default model's facts are missing", p.ID, p.DefaultModel)
				}
			}
			seen := map[string]bool{}
			for _, m := range p.Models {
				if m.ID == "" || m.ContextWindow <= 0 || m.MaxOutputTokens <= 0 || m.MaxOutputTokens > m.ContextWindow {
					t.Errorf("%s: model %+v: want an id, a window and an output cap within it", p.ID, m)
				}
				if m.TokenLimitField != catalog.MaxTokens && m.TokenLimitField != catalog.MaxCompletionTokens {
					t.Errorf("%s: model %s: TokenLimitField = %q, want %q or %q", p.ID, m.ID, m.TokenLimitField, catalog.MaxTokens, catalog.MaxCompletionTokens)
				}
				if seen[m.ID] {
					t.Errorf("%s: model %s listed twice", p.ID, m.ID)
				}
				seen[m.ID] = true
			}
		})
	}
}

// TestUnique: ids, labels and variables name one provider each.
func TestUnique(t *testing.T) {
	t.Parallel()
	seen := map[string]string{}
	for _, p := range catalog.All() {
		for _, v := range []string{p.ID, p.Label, p.KeyVar, p.BaseURLVar, p.ModelVar} {
			if v == "" {
				continue
			}
			if other, ok := seen[v]; ok {
				t.Errorf("%q is used by %s and %s", v, other, p.ID)
			}
			seen[v] = p.ID
		}
	}
}

func TestLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"IDs", catalog.IDs(), []string{"anthropic", "openai", "demo"}},
		{"KeyVars", catalog.KeyVars(), []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY"}},
		{"BaseURLVars", catalog.BaseURLVars(), []string{"ANTHROPIC_BASE_URL", "OPENAI_BASE_URL"}},
		{"Configurable", ids(catalog.Configurable()), []string{"anthropic", "openai"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !slices.Equal(tt.got, tt.want) {
				t.Errorf("%s() = %q, want %q", tt.name, tt.got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id    string
		label string
		ok    bool
	}{
		{"anthropic", "Anthropic", true},
		{"openai", "OpenAI-compatible", true},
		{"demo", "Demo", true},
		{"gemini", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			p, ok := catalog.Lookup(tt.id)
			if ok != tt.ok || p.Label != tt.label {
				t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.id, p.Label, ok, tt.label, tt.ok)
			}
		})
	}
}

// TestAllIsACopy: a caller changing what All returned changes nothing for the next caller.
func TestAllIsACopy(t *testing.T) {
	t.Parallel()
	a := catalog.All()
	a[0].Label = "changed"
	a[0].Models[0].ContextWindow = -1
	b := catalog.All()
	if b[0].Label == "changed" || b[0].Models[0].ContextWindow == -1 {
		t.Errorf("All()[0] = %+v after a caller changed its copy, want the catalog unchanged", b[0])
	}
}

func ids(ps []catalog.Provider) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// TestLeaf: the catalog imports nothing of Corral's, so config, credential, health and the
// adapters can all import it without a cycle.
func TestLeaf(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("Glob(*.go) = %v, %v; want the package's files", files, err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path := strings.Trim(imp.Path.Value, `"`); strings.HasPrefix(path, "github.com/corral-dev/corral/") {
				t.Errorf("%s imports %s; the catalog must stay a leaf", name, path)
			}
		}
	}
}
