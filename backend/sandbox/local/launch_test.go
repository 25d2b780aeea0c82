//go:build linux

package local

import (
	"strings"
	"testing"
)

func TestLauncherRefusesOtherProtocol(t *testing.T) {
	m := detected()
	if !m.launcher {
		t.Skipf("no launcher on this machine: %s", m.why)
	}
	tests := []struct {
		name    string
		version int
		wantErr string
	}{
		{"Current", launchProtocol, ""},
		{"Older", launchProtocol - 1, "spec version"},
		{"Newer", launchProtocol + 1, "spec version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := m.spec
			spec.Version = tt.version
			err := m.tryWith(spec)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("launch with spec version %d: error = %v, want %q", tt.version, err, tt.wantErr)
			}
		})
	}
}
