package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/corral-dev/corral/backend/health"
)

// System answers questions about Corral itself: build, data directory, Docker, providers.
type System struct {
	health *health.Checker
	log    *slog.Logger
}

// Health returns a fresh health report.
func (s *System) Health() (health.Report, error) {
	return s.health.Check(context.Background()), nil
}

// processStart is when this package was initialised: the start of the process, less the
// dynamic loading of its libraries (GTK and WebKit in the window) before Go runs.
var processStart = time.Now()

// ReadyReport is what the frontend says once it has rendered data fetched from the backend.
type ReadyReport struct {
	Transport string `json:"transport"`
	DataDir   string `json:"data_dir"`
	// Startup is when the page reached each stage of its start (nil from a UI that does
	// not measure it).
	Startup *StartupTimes `json:"startup,omitempty"`
}

// StartupTimes are the stages of the page's start, each in ms since the webview began to
// load the page (the Performance API's time origin).
type StartupTimes struct {
	// Script is when the UI's script had been fetched and evaluated.
	Script int `json:"script_ms"`
	// Mounted is when the script had run and the UI's first render was in the DOM.
	Mounted int `json:"mounted_ms"`
	// Health is when the first health report arrived.
	Health int `json:"health_ms"`
	// Ready is when that report was painted (the moment of this report).
	Ready int `json:"ready_ms"`
}

// FrontendReady records that the UI is up and completed a round trip. It is logged, so the
// desktop smoke test (and a person reading logs) can see the window really works.
func (s *System) FrontendReady(r ReadyReport) error {
	if r.Transport == "" {
		return errors.New("frontend ready: transport is empty")
	}
	attrs := []any{"transport", r.Transport, "dataDir", r.DataDir, "since_start_ms", time.Since(processStart).Milliseconds()}
	if t := r.Startup; t != nil {
		attrs = append(attrs, "script_ms", t.Script, "mounted_ms", t.Mounted, "health_ms", t.Health, "page_ready_ms", t.Ready)
	}
	s.log.Info("frontend ready", attrs...)
	return nil
}

// TracePaint is what the frontend says when a run's trace graph is on screen.
type TracePaint struct {
	RunID string `json:"run_id"`
	Nodes int    `json:"nodes"`
	// Ms is the time from opening the graph view to its first paint.
	Ms int `json:"ms"`
}

// TracePainted records that the UI drew a run's trace graph (the first paint of each run), with
// its node count and how long the paint took. It is logged, so the desktop smoke test can see
// the window's webview really renders a trace, and a person reading logs gets the figure.
func (s *System) TracePainted(p TracePaint) error {
	if p.RunID == "" {
		return errors.New("trace painted: run id is empty")
	}
	s.log.Info("trace painted", "run", p.RunID, "nodes", p.Nodes, "ms", p.Ms)
	return nil
}
