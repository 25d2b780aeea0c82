package app

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestSystemReports(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := &System{log: slog.New(slog.NewTextHandler(&buf, nil))}

	if err := s.FrontendReady(ReadyReport{}); err == nil {
		t.Errorf("FrontendReady(no transport) = nil, want an error")
	}
	if err := s.TracePainted(TracePaint{Nodes: 3}); err == nil {
		t.Errorf("TracePainted(no run) = nil, want an error")
	}
	if err := s.FrontendReady(ReadyReport{Transport: "wails", DataDir: "/d"}); err != nil {
		t.Fatalf("FrontendReady() = %v", err)
	}
	if err := s.FrontendReady(ReadyReport{Transport: "wails", DataDir: "/e", Startup: &StartupTimes{Script: 40, Mounted: 210, Health: 260, Ready: 300}}); err != nil {
		t.Fatalf("FrontendReady(startup) = %v", err)
	}
	if err := s.TracePainted(TracePaint{RunID: "run_a", Nodes: 20, Ms: 131}); err != nil {
		t.Fatalf("TracePainted() = %v", err)
	}
	// The desktop tests wait for these exact lines.
	for _, want := range []string{
		`msg="frontend ready" transport=wails dataDir=/d since_start_ms=`,
		`script_ms=40 mounted_ms=210 health_ms=260 page_ready_ms=300`,
		`msg="trace painted" run=run_a nodes=20 ms=131`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log = %q, want a line with %q", buf.String(), want)
		}
	}
}
