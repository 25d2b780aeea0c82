package app

import (
	"context"
	"errors"
	"log/slog"

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

// ReadyReport is what the frontend says once it has rendered data fetched from the backend.
type ReadyReport struct {
	Transport string `json:"transport"`
	DataDir   string `json:"data_dir"`
}

// FrontendReady records that the UI is up and completed a round trip. It is logged, so the
// desktop smoke test (and a person reading logs) can see the window really works.
func (s *System) FrontendReady(r ReadyReport) error {
	if r.Transport == "" {
		return errors.New("frontend ready: transport is empty")
	}
	s.log.Info("frontend ready", "transport", r.Transport, "dataDir", r.DataDir)
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
