package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportImportReplay runs a session against the fake model server, exports it in
// every format, imports the JSON bundle into a fresh data directory (where it shows the same
// steps and is read-only), and replays it without a single model request.
func TestExportImportReplay(t *testing.T) {
	t.Parallel()
	srv, h := crashServer(t)
	dd, ws := t.TempDir(), t.TempDir()
	if out, err := corral(t, nil, "run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "Keep notes. OPENAI_API_KEY=sk-live-should-not-leak").CombinedOutput(); err != nil {
		t.Fatalf("corral run: %v\n%s", err, out)
	}
	runID := runIDOf(t, dd)
	files := t.TempDir()
	for _, f := range []string{"json", "otlp", "html"} {
		path := filepath.Join(files, "trace."+f)
		if out, err := corral(t, nil, "export", runID, "--format", f, "-o", path, "--data-dir", dd).CombinedOutput(); err != nil {
			t.Fatalf("corral export --format %s: %v\n%s", f, err, out)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Fatalf("export %s wrote %d bytes, %v", f, len(b), err)
		}
		if strings.Contains(string(b), "sk-live-should-not-leak") {
			t.Errorf("export %s contains the secret from the prompt", f)
		}
		if f != "html" && !json.Valid(b) {
			t.Errorf("export %s is not valid JSON", f)
		}
	}

	fresh := t.TempDir()
	out, err := corral(t, nil, "import", filepath.Join(files, "trace.json"), "--data-dir", fresh).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "imported session") {
		t.Fatalf("corral import: %v\n%s", err, out)
	}
	imported := runIDOf(t, fresh)
	if !strings.HasPrefix(imported, "imp_") {
		t.Fatalf("imported run id = %q, want the imp_ prefix", imported)
	}
	orig, got := showSteps(t, dd, runID), showSteps(t, fresh, imported)
	if len(orig) != len(got) {
		t.Fatalf("imported run has %d steps, want %d", len(got), len(orig))
	}
	for i := range orig {
		if got[i].Name != orig[i].Name || got[i].Kind != orig[i].Kind || got[i].Status != orig[i].Status {
			t.Errorf("imported step %d = %s %s %s, want %s %s %s", i+1, got[i].Kind, got[i].Name, got[i].Status, orig[i].Kind, orig[i].Name, orig[i].Status)
		}
	}
	if out, err := corral(t, nil, "import", filepath.Join(files, "trace.json"), "--data-dir", fresh).CombinedOutput(); err == nil || !strings.Contains(string(out), "already imported") {
		t.Errorf("importing twice = %v %s, want a clear 'already imported' error", err, out)
	}
	if out, err := corral(t, nil, "resume", imported, "--data-dir", fresh).CombinedOutput(); err == nil || !strings.Contains(string(out), "read-only") {
		t.Errorf("resuming an imported run = %v %s, want it refused as read-only", err, out)
	}

	before := len(h.Bodies())
	rws := t.TempDir()
	if out, err := corral(t, nil, "replay", filepath.Join(files, "trace.json"), "--approve", "all", "--workspace", rws, "--data-dir", fresh).CombinedOutput(); err != nil {
		t.Fatalf("corral replay: %v\n%s", err, out)
	}
	if n := len(h.Bodies()) - before; n != 0 {
		t.Errorf("replay sent %d model requests, want none", n)
	}
	checkEffects(t, 0, 0, rws)

	bad := filepath.Join(files, "bad.json")
	os.WriteFile(bad, []byte(`{"format":"corral.trace","version":99}`), 0o600)
	if out, err := corral(t, nil, "import", bad, "--data-dir", fresh).CombinedOutput(); err == nil || !strings.Contains(strings.ToLower(string(out)), "newer") {
		t.Errorf("importing a newer bundle = %v %s, want a clear error", err, out)
	}
}
