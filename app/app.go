// Package app is the Wails boundary: the services bound into the window (and served over
// HTTP by `corral serve`), and the one place that starts the Wails runtime.
//
// Bound services are thin: they translate between the frontend's JSON and the backend
// packages, and hold no logic of their own. Nothing under backend/ imports this package.
package app

import (
	"log/slog"

	"github.com/corral-dev/corral/backend/health"
)

// Config is what the services need from the composition root.
type Config struct {
	Health *health.Checker
	Log    *slog.Logger
}

// App holds every bound service.
type App struct {
	System *System
}

// New builds the services.
func New(cfg Config) *App {
	return &App{System: &System{health: cfg.Health, log: cfg.Log}}
}

// Bindings lists the services for Wails' Bind option and for server.Options.Services, so
// the window and the browser expose exactly the same methods.
func (a *App) Bindings() []any {
	return []any{a.System}
}
