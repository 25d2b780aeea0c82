package tool_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// bundle is a local sandbox on a fresh workspace.
type bundle struct {
	sb *local.Sandbox
	ws string
}

func setup(t testing.TB) *bundle {
	t.Helper()
	ws := t.TempDir()
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return &bundle{sb: sb, ws: ws}
}

// file writes name (slash-separated) under the workspace on the host.
func (b *bundle) file(t testing.TB, name, content string) {
	t.Helper()
	p := filepath.Join(b.ws, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// read returns the host content of name, or "<missing>".
func (b *bundle) read(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.ws, filepath.FromSlash(name)))
	if err != nil {
		return "<missing>"
	}
	return string(data)
}

// touch sets name's modification time to the given second of 2024.
func (b *bundle) touch(t testing.TB, name string, sec int) {
	t.Helper()
	mt := time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(b.ws, filepath.FromSlash(name)), mt, mt); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) run(t testing.TB, tl tool.Tool, input string) tool.Result {
	t.Helper()
	input = strings.ReplaceAll(input, "$WS", b.ws)
	res, err := tl.Run(context.Background(), b.sb, json.RawMessage(input))
	if err != nil {
		t.Fatalf("%s.Run(%s) error = %v", tl.Name(), input, err)
	}
	return res
}

// check compares a result with the expectations of a table case.
type want struct {
	isError  bool
	contains []string // substrings of Content
	exact    *string  // the whole Content
	absent   []string // substrings Content must not have
}

func (w want) check(t *testing.T, input string, res tool.Result) {
	t.Helper()
	if res.IsError != w.isError {
		t.Errorf("Run(%s).IsError = %v, want %v; content:\n%s", input, res.IsError, w.isError, res.Content)
	}
	if w.exact != nil && res.Content != *w.exact {
		t.Errorf("Run(%s).Content =\n%s\nwant\n%s", input, res.Content, *w.exact)
	}
	for _, s := range w.contains {
		if !strings.Contains(res.Content, s) {
			t.Errorf("Run(%s).Content does not contain %q:\n%s", input, s, res.Content)
		}
	}
	for _, s := range w.absent {
		if strings.Contains(res.Content, s) {
			t.Errorf("Run(%s).Content contains %q:\n%s", input, s, res.Content)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestBuiltin(t *testing.T) {
	t.Parallel()
	tools := tool.Builtin()
	var names []string
	for _, tl := range tools {
		names = append(names, tl.Name())
		if tl.Description() == "" {
			t.Errorf("%s has no description", tl.Name())
		}
		var schema struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(tl.Schema(), &schema); err != nil {
			t.Errorf("%s schema is not JSON: %v", tl.Name(), err)
			continue
		}
		if schema.Type != "object" {
			t.Errorf("%s schema type = %q, want object", tl.Name(), schema.Type)
		}
		for _, r := range schema.Required {
			if _, ok := schema.Properties[r]; !ok {
				t.Errorf("%s requires %q, which is not a property", tl.Name(), r)
			}
		}
		if got, ok := tool.ByName(tools, tl.Name()); !ok || got != tl {
			t.Errorf("ByName(%q) = %v, %v", tl.Name(), got, ok)
		}
	}
	if got, want := strings.Join(names, ","), "exec,read,write,edit,glob,grep"; got != want {
		t.Errorf("Builtin() names = %s, want %s", got, want)
	}
	if _, ok := tool.ByName(tools, "nope"); ok {
		t.Errorf("ByName(nope) found a tool")
	}
	idempotent := map[string]bool{"exec": false, "read": true, "write": false, "edit": false, "glob": true, "grep": true}
	for _, tl := range tools {
		if tl.Idempotent() != idempotent[tl.Name()] {
			t.Errorf("%s.Idempotent() = %v, want %v", tl.Name(), tl.Idempotent(), idempotent[tl.Name()])
		}
	}
}

// TestResultJSON checks that a result survives the journal's round trip.
func TestResultJSON(t *testing.T) {
	t.Parallel()
	code := 2
	in := tool.Result{Content: "x", IsError: true, Meta: tool.Meta{ExitCode: &code, Path: "a", Diff: "d"}}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out tool.Result
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Content != in.Content || !out.IsError || *out.Meta.ExitCode != 2 || out.Meta.Diff != "d" {
		t.Errorf("round trip of %s = %+v", data, out)
	}
	data, _ = json.Marshal(tool.Result{Content: "plain"})
	if string(data) != `{"content":"plain"}` {
		t.Errorf("Marshal(plain result) = %s, want no empty fields", data)
	}
}
