// Package app is the Wails boundary: the services bound into the window (and served over
// HTTP by `corral serve`), and the one place that starts the Wails runtime.
//
// Bound services are thin: they translate between the frontend's JSON and the backend
// packages, and hold no logic of their own. Nothing under backend/ imports this package.
package app

import (
	"context"
	"log/slog"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/health"
	"github.com/corral-dev/corral/backend/journal"
)

// Config is what the services need from the composition root.
type Config struct {
	Health  *health.Checker
	Journal *journal.Journal
	Runner  *agent.Runner
	Bus     *bus.Bus[agent.Event]
	Log     *slog.Logger
	// Checkpoints keeps workspace checkpoints (nil: none; restore and fork are refused).
	Checkpoints *checkpoint.Store
	// Settings feeds the Settings view (providers, agents, rules, sandbox, Docker).
	Settings SettingsConfig
}

// App holds every bound service.
type App struct {
	System    *System
	Runs      *Runs
	Workspace *Workspace
	Traces    *Traces
	// The Settings view's sections.
	Settings   *Settings
	Agents     *Agents
	Rules      *Rules
	Containers *Containers
	MCP        *MCP
	// Budgets is the models and budget section: prices, context windows, the daily cap.
	Budgets *Budgets
	// Checkpoints restores workspaces and forks sessions (Restore to here, Fork from here).
	Checkpoints *Checkpoints
	bus         *bus.Bus[agent.Event]
}

// New builds the services.
func New(cfg Config) *App {
	a := &App{
		System:     &System{health: cfg.Health, log: cfg.Log},
		Runs:       &Runs{journal: cfg.Journal, runner: cfg.Runner, log: cfg.Log, active: map[string]context.CancelFunc{}, dataDir: cfg.Settings.DataDir},
		Workspace:  &Workspace{journal: cfg.Journal, log: cfg.Log, checkpoints: cfg.Checkpoints},
		Traces:     &Traces{journal: cfg.Journal, secrets: secretsOf(cfg.Settings.Credentials, cfg.Settings.DataDir)},
		Settings:   &Settings{dataDir: cfg.Settings.DataDir, creds: cfg.Settings.Credentials, getenv: getenvOrEmpty(cfg.Settings.Getenv)},
		Agents:     &Agents{dataDir: cfg.Settings.DataDir, runner: cfg.Runner},
		Rules:      &Rules{ledger: ledgerOf(cfg)},
		Containers: &Containers{connect: cfg.Settings.Containers},
		Budgets:    &Budgets{dataDir: cfg.Settings.DataDir, runner: cfg.Runner},
		bus:        cfg.Bus,
	}
	a.Checkpoints = &Checkpoints{store: cfg.Checkpoints, runner: cfg.Runner}
	a.Runs.forget = a.Workspace.forget
	a.MCP = &MCP{host: mcpHostOf(cfg), creds: cfg.Settings.Credentials}
	return a
}

// Bindings lists the services for Wails' Bind option and for server.Options.Services, so
// the window and the browser expose exactly the same methods.
func (a *App) Bindings() []any {
	return []any{a.System, a.Runs, a.Workspace, a.Traces, a.Settings, a.Agents, a.Rules, a.Containers, a.MCP, a.Checkpoints, a.Budgets}
}

// Start lets the services work in the background (runs started from the UI, events to
// emit) until the returned stop is called; stop cancels runs in flight (they are recorded
// cancelled and can be resumed) and waits for them.
func (a *App) Start(ctx context.Context, emit Emitter) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	stopRuns := a.Runs.work(ctx, emit)
	stopWorkspace := a.Workspace.start(ctx, emit)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pumpEvents(ctx, a.bus, emit)
	}()
	return func() {
		stopWorkspace()
		stopRuns()
		cancel()
		<-done
	}
}
