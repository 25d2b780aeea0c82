package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/health"
)

func TestDoctor(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	code, out, stderr := run(t, "doctor", "--json", "--data-dir", dataDir)
	var r health.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != ExitOK {
		t.Fatalf("corral doctor --json = %d %q %q (%v), want 0 and a health report", code, out, stderr, err)
	}
	if len(r.LocalSandbox.Protections) == 0 || r.LocalSandbox.Mechanism == "" {
		t.Errorf("corral doctor --json localSandbox = %+v, want the protections of local commands", r.LocalSandbox)
	}

	code, out, stderr = run(t, "doctor", "--data-dir", dataDir)
	if code != ExitOK || !strings.Contains(out, "Local sandbox: "+r.LocalSandbox.Mechanism) {
		t.Fatalf("corral doctor = %d %q %q, want 0 and a line %q", code, out, stderr, "Local sandbox: "+r.LocalSandbox.Mechanism)
	}
	for _, p := range r.LocalSandbox.Protections {
		want := "active   " + p.Name
		if !p.Active {
			want = "MISSING  " + p.Name
		}
		if !strings.Contains(out, want) {
			t.Errorf("corral doctor = %q, want a line with %q", out, want)
		}
	}
	if missing := len(r.LocalSandbox.Missing()) > 0; missing != strings.Contains(out, "WARNING") {
		t.Errorf("corral doctor = %q: WARNING shown %v, want %v (protections missing)", out, !missing, missing)
	}
}
