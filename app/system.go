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
	DataDir   string `json:"dataDir"`
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
