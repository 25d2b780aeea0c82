package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/bus"
	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/catalog"
	"github.com/corral-dev/corral/backend/llm/provider"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/sandbox/proxied"
	"github.com/corral-dev/corral/backend/tool"
	"github.com/corral-dev/corral/backend/trace"
)

// journalFile is the journal's file name in the data directory.
const journalFile = "corral.db"

// engine is the agent runtime a headless command works with.
type engine struct {
	dir     config.DataDir
	log     *slog.Logger
	journal *journal.Journal
	bus     *bus.Bus[agent.Event]
	runner  *agent.Runner
	creds   *credential.Credentials
	// checkpoints keeps workspaces before and after side effects (checkpoints.go).
	checkpoints *checkpoint.Store

	// The Docker sandbox manager is made on first use, so runs in the local sandbox never
	// touch the engine. In a long-lived process (window, serve) a reaper removes idle
	// containers and, at its start, orphans of earlier processes.
	longLived bool
	dockerMu  sync.Mutex
	docker    *docker.Manager
	reaper    *docker.Reaper
	// idleSweep stops the background removal of idle session containers that a process
	// without a reaper starts at its first Docker use (nil before).
	idleSweep func()

	// egressResolver resolves names for the egress proxy (Program.EgressResolver).
	egressResolver egress.Resolver
}

// openEngine opens the data directory's journal and builds the runner on it.
func openEngine(ctx context.Context, p *Program, dataDir string) (*engine, error) {
	dir, err := resolveDataDir(p, dataDir)
	if err != nil {
		return nil, err
	}
	return buildEngine(ctx, p, dir, journal.Options{})
}

// openReader is openEngine for a command that only reads (runs, show, sessions, export,
// approvals): the data directory is neither created nor probed and the journal is opened
// read-only, so these commands work on a read-only data directory and never write one. A
// data directory without a journal yet, or with one an older Corral wrote, is opened as
// openEngine does (creating or migrating it).
func openReader(ctx context.Context, p *Program, dataDir string) (*engine, error) {
	env := config.OSEnv()
	env.Getenv = p.Getenv
	dir, err := config.ResolveDataDir(dataDir, env)
	if err != nil {
		return nil, err
	}
	rt, err := buildEngine(ctx, p, dir, journal.Options{ReadOnly: true})
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, journal.ErrSchemaOld) {
		return openEngine(ctx, p, dataDir)
	}
	return rt, err
}

// buildEngine opens the journal of dir with opts and builds the runner on it.
func buildEngine(ctx context.Context, p *Program, dir config.DataDir, opts journal.Options) (*engine, error) {
	agents, err := agent.LoadDefinitions(dir.Path)
	if err != nil {
		return nil, err
	}
	prices, err := agent.LoadPrices(dir.Path)
	if err != nil {
		return nil, err
	}
	j, err := journal.OpenWith(ctx, filepath.Join(dir.Path, journalFile), opts)
	if err != nil {
		return nil, err
	}
	creds, err := credential.Open(dir.Path, credential.Options{Mode: p.Getenv(credential.EnvMode), Getenv: p.Getenv})
	if err != nil {
		j.Close()
		return nil, err
	}
	b := bus.New[agent.Event]()
	rt := &engine{dir: dir, journal: j, bus: b, creds: creds, log: slog.New(slog.NewTextHandler(p.Stderr, nil)), egressResolver: p.EgressResolver}
	if err := rt.openCheckpoints(); err != nil {
		j.Close()
		return nil, err
	}
	rt.runner = agent.New(agent.Config{
		Journal: j,
		Bus:     b,
		Agents:  agents,
		Prices:  prices,
		// Provider settings: the environment, then saved keys (keychain or file), then saved
		// base URLs. Keys reach only the adapters, never a run's recorded configuration.
		Models:          models{getenv: config.SettingsEnv(dir.Path, creds.Getenv(p.Getenv))},
		SandboxDefaults: sandboxDefaults(dir.Path),
		DailyCostCap:    dailyCostCap(dir.Path),
		EgressDefault: func() string {
			s, err := config.LoadSettings(dir.Path)
			if err != nil {
				return ""
			}
			return s.Sandbox.Egress
		},
		Sandboxes: rt.openSandbox,
		HostSandbox: func(dir string) (sandbox.Sandbox, error) {
			return local.New(dir, local.Options{})
		},
		Tools:   tool.Builtin(),
		Ledger:  approval.NewLedger(dir.Path),
		DataDir: dir.Path,
		Cleanup: rt.removeSessionContainers,
		MCP:     newMCPHost(dir.Path, creds.Getenv(p.Getenv), p.Version),
		// Every side-effect step is checkpointed before and after (backend/checkpoint).
		Checkpoints: rt.checkpoints,
	})
	return rt, nil
}

// removeSessionContainers removes the Docker containers of a deleted session, whichever
// Corral process made them.
func (rt *engine) removeSessionContainers(ctx context.Context, sessionID string) error {
	m, err := rt.dockerManager(ctx, "")
	if err != nil {
		return err
	}
	_, err = m.RemoveSession(ctx, sessionID)
	return err
}

func (rt *engine) close() {
	rt.bus.Close()
	rt.runner.MCP().Close()
	rt.dockerMu.Lock()
	if rt.reaper != nil {
		rt.reaper.Stop()
	}
	if rt.idleSweep != nil {
		rt.idleSweep()
	}
	if rt.docker != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if err := rt.docker.Close(ctx); err != nil {
			rt.log.Warn("remove sandbox containers", "err", err)
		}
		cancel()
	}
	rt.dockerMu.Unlock()
	if rt.checkpoints != nil {
		rt.checkpoints.Close() // its workspace watchers
	}
	rt.journal.Close()
}

// resolveDataDir finds and creates the data directory for a --data-dir value.
func resolveDataDir(p *Program, flagValue string) (config.DataDir, error) {
	env := config.OSEnv()
	env.Getenv = p.Getenv
	dir, err := config.ResolveDataDir(flagValue, env)
	if err != nil {
		return dir, err
	}
	return dir, dir.Ensure()
}

// dockerManager returns the Docker sandbox manager, connecting on first use.
func (rt *engine) dockerManager(ctx context.Context, network string) (*docker.Manager, error) {
	rt.dockerMu.Lock()
	defer rt.dockerMu.Unlock()
	if rt.docker != nil {
		return rt.docker, nil
	}
	allowed := []string{"bridge"}
	if network != "" && network != "none" && network != "bridge" {
		allowed = append(allowed, network) // named on the command line: the user's choice
	}
	m, err := docker.New(ctx, docker.Options{AllowedNetworks: allowed, Progress: rt.pullProgress()})
	if err != nil {
		return nil, err
	}
	// Before this process runs anything in a container: the containers of dead Corral
	// processes go, with whatever still runs in them, so a rerun never runs beside a copy.
	if removed, err := m.RemoveOrphans(ctx); err != nil {
		rt.log.Warn("remove orphaned containers", "err", err)
	} else if len(removed) > 0 {
		rt.log.Info("removed orphaned containers", "count", len(removed))
	}
	// Sessions' containers outlive their processes and remove themselves when idle; those
	// whose watchdog could not (an engine that was stopped) go here, in the background:
	// asking each running one's watchdog is an exec apiece, which the first sandbox's cold
	// start need not wait for (nothing of this process runs in them). The reaper does it
	// at its start.
	rt.docker = m
	if rt.longLived {
		rt.reaper = m.NewReaper(docker.ReaperOptions{})
		if err := rt.reaper.Start(context.WithoutCancel(ctx)); err != nil {
			rt.log.Warn("sandbox reaper", "err", err)
		}
	} else {
		rt.idleSweep = rt.removeIdleSessions(context.WithoutCancel(ctx), m)
	}
	return m, nil
}

// removeIdleSessions runs m.RemoveIdleSessions in the background; the returned stop
// cancels it and waits for it.
func (rt *engine) removeIdleSessions(ctx context.Context, m *docker.Manager) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if removed, err := m.RemoveIdleSessions(ctx); err != nil && ctx.Err() == nil {
			rt.log.Warn("remove idle session containers", "err", err)
		} else if len(removed) > 0 {
			rt.log.Info("removed idle session containers", "count", len(removed))
		}
	}()
	return func() { cancel(); <-done }
}

// pullProgress logs image pull progress, at most once a second per image.
func (rt *engine) pullProgress() func(docker.Progress) {
	var mu sync.Mutex
	last := map[string]time.Time{}
	return func(p docker.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last[p.Image]) < time.Second && p.Layer != "" {
			return
		}
		last[p.Image] = time.Now()
		rt.log.Info("pulling image", "image", p.Image, "layer", p.Layer, "status", p.Status, "current", p.Current, "total", p.Total)
	}
}

// storedKey says where a saved provider key is kept ("keychain", "file"), or "".
func (rt *engine) storedKey(name string) string {
	if st := rt.creds.Status(name); st.Set {
		return string(st.Where)
	}
	return ""
}

// savedBaseURL is a provider's base URL from the settings, or "".
func (rt *engine) savedBaseURL(provider string) string {
	s, err := config.LoadSettings(rt.dir.Path)
	if err != nil {
		return ""
	}
	return s.Providers[provider].BaseURL
}

// sandboxDefaults reads the sandbox settings (DATA_DIR/settings.json) for each new run, so
// a change made in the window applies to the next run of any process.
func sandboxDefaults(dataDir string) func() (string, agent.ContainerSpec, error) {
	return func() (string, agent.ContainerSpec, error) {
		s, err := config.LoadSettings(dataDir)
		if err != nil {
			return "", agent.ContainerSpec{}, err
		}
		mem, err := s.Sandbox.MemoryBytes()
		if err != nil {
			return "", agent.ContainerSpec{}, err
		}
		spec := agent.ContainerSpec{Image: s.Sandbox.Image, Scope: s.Sandbox.Scope, Memory: mem, CPUs: s.Sandbox.CPUs,
			IdleSeconds: int64(s.Sandbox.IdleMinutes) * 60}
		if s.Sandbox.Network {
			spec.Network = s.Sandbox.NetworkName()
		}
		return s.Sandbox.Env, spec, nil
	}
}

// dailyCostCap reads the global daily cap from the settings before each model call, so a
// change in Settings applies to runs already going.
func dailyCostCap(dataDir string) func() (float64, error) {
	return func() (float64, error) {
		s, err := config.LoadSettings(dataDir)
		if err != nil {
			return 0, err
		}
		return s.Budget.DailyCostUSD, nil
	}
}

// redactions are the stored credentials' values as patterns for trace exports, so a saved
// key that reached a tool's output (an `env` command, a file) never leaves in an export.
func (rt *engine) redactions() []*regexp.Regexp {
	return trace.Literals(append(rt.creds.Values(), mcpSecrets(rt.creds, rt.dir.Path)...))
}

// models builds providers from the environment's credentials (llm/provider).
type models struct{ getenv func(string) string }

// Resolve fills in the provider (CORRAL_PROVIDER, else the first with credentials, else
// demo) and that provider's default model. A provider that cannot be built keeps its name,
// so the run fails at its first model call with the provider's own error.
func (m models) Resolve(name, model string) (string, string) {
	var choice provider.Choice
	var err error
	if name == "" {
		choice, err = provider.FromEnv(m.getenv)
	} else {
		choice, err = provider.New(name, m.getenv)
	}
	if err != nil {
		if name == "" {
			name = provider.Demo
		}
		return name, model
	}
	if model == "" {
		model = choice.ModelName
	}
	return choice.Provider, model
}

// Model builds the run's provider; a run's --base-url overrides the provider's base URL.
func (m models) Model(cfg agent.RunConfig) (llm.Model, error) {
	getenv := m.getenv
	if cfg.BaseURL != "" {
		getenv = func(k string) string {
			if slices.Contains(catalog.BaseURLVars(), k) {
				return cfg.BaseURL
			}
			return m.getenv(k)
		}
	}
	choice, err := provider.New(cfg.Provider, getenv)
	if err != nil {
		return nil, err
	}
	return choice.Model, nil
}

// localOptions reads the local sandbox's network and writable paths from the settings
// (DATA_DIR/settings.json) each time a run opens one.
func localOptions(dataDir string) (local.Options, error) {
	s, err := config.LoadSettings(dataDir)
	if err != nil {
		return local.Options{}, err
	}
	return local.Options{Network: s.Sandbox.Network, Writable: s.Sandbox.WritablePaths()}, nil
}

// openSandbox opens the sandbox a run's configuration names; with an egress policy, behind
// the egress proxy (backend/sandbox/proxied), its rules read from the ledger now.
func (rt *engine) openSandbox(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
	if cfg.Egress == "" {
		return rt.openSandboxWith(ctx, run, cfg, "", "")
	}
	pol, err := rt.runner.EgressPolicy(cfg, run.SessionID)
	if err != nil {
		return nil, err
	}
	return proxied.Open(egress.Options{Policy: pol, Resolver: rt.egressResolver}, func(dir, socket string) (sandbox.Sandbox, error) {
		return rt.openSandboxWith(ctx, run, cfg, dir, socket)
	})
}

// openSandboxWith opens the run's sandbox, with the egress proxy's socket (in dir) as its
// only way out when socket is set.
func (rt *engine) openSandboxWith(ctx context.Context, run journal.Run, cfg agent.RunConfig, dir, socket string) (sandbox.Sandbox, error) {
	switch cfg.Sandbox {
	case "", "local":
		opts, err := localOptions(rt.dir.Path)
		if err != nil {
			return nil, err
		}
		if socket != "" {
			opts.Network, opts.Egress = false, socket
		}
		return local.New(run.Workspace, opts)
	case "docker":
		c := cfg.Container
		m, err := rt.dockerManager(ctx, c.Network)
		if err != nil {
			return nil, err
		}
		spec := docker.Spec{
			Scope:     docker.Scope(c.Scope),
			SessionID: run.SessionID,
			RunID:     run.ID,
			Workspace: run.Workspace,
			Config:    docker.Config{Image: c.Image, Memory: c.Memory, CPUs: c.CPUs, Network: c.Network},
		}
		if socket != "" {
			fw, err := local.Forwarder()
			if err != nil {
				return nil, err
			}
			spec.Config.Network = "none"
			spec.Config.Egress = &docker.Egress{SocketDir: dir, SocketName: filepath.Base(socket), Forwarder: fw}
		}
		if spec.Scope == docker.ScopeSession {
			// The session's container outlives this process: any later Corral adopts it,
			// and it removes itself once idle (a run recorded before the idle time was
			// recorded gets the default).
			spec.IdleTimeout = time.Duration(c.IdleSeconds) * time.Second
			if spec.IdleTimeout <= 0 {
				spec.IdleTimeout = docker.DefaultSessionIdle
			}
		}
		return m.Sandbox(ctx, spec)
	default:
		return nil, fmt.Errorf("sandbox %q is not available", cfg.Sandbox)
	}
}

// startSweep connects to Docker in the background when a long-lived process starts, so
// the containers of dead Corral processes and the idle session containers whose watchdog
// could not act go at every start of the window and `serve`, not only at their first Docker
// use (dockerManager does both, and starts the reaper). No engine is no error here. The
// returned stop cancels it and waits for it.
func (rt *engine) startSweep(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := rt.dockerManager(ctx, ""); err != nil {
			rt.log.Debug("no Docker sweep at start", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// startRecovery resumes, in the background, the runs a crash left running, logging how each
// ended. The returned stop cancels it and waits for it to finish.
func (rt *engine) startRecovery(ctx context.Context) (stop func()) {
	log := rt.log
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		recovered, err := rt.runner.Recover(ctx)
		if err != nil {
			log.Error("auto-resume", "err", err)
		}
		for _, r := range recovered {
			if errors.Is(r.Err, journal.ErrLeased) {
				log.Info("left a run to the process driving it", "run", r.Run.ID, "err", r.Err)
				continue
			}
			log.Info("auto-resumed run", "run", r.Run.ID, "status", r.Run.Status, "err", r.Err)
		}
	}()
	return func() { cancel(); <-done }
}
