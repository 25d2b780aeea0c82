package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/proc"
	"github.com/corral-dev/corral/backend/sandbox"
)

// Labels put on every container a Manager creates.
const (
	LabelManaged   = "corral.managed"   // "true"
	LabelSession   = "corral.session"   // Spec.SessionID
	LabelRun       = "corral.run"       // Spec.RunID (of the run that created it)
	LabelScope     = "corral.scope"     // "run" or "session"
	LabelPID       = "corral.pid"       // pid of the owning process
	LabelPIDStart  = "corral.pidstart"  // start time of that process (Linux clock ticks), against pid reuse
	LabelInstance  = "corral.instance"  // the owning Manager's instance id
	LabelHost      = "corral.host"      // hostname of the owning process
	LabelWorkspace = "corral.workspace" // host workspace directory
	LabelMode      = "corral.mode"      // "mount" or "copy"
	LabelConfig    = "corral.config"    // hash of the Config
	LabelCreated   = "corral.created"   // RFC 3339 creation time
)

// WorkspaceMode says how a workspace reaches a container.
type WorkspaceMode int

// Workspace modes.
const (
	// WorkspaceAuto bind-mounts the workspace when the engine is local
	// (DOCKER_HOST is a unix socket or a named pipe) and copies it
	// otherwise.
	WorkspaceAuto WorkspaceMode = iota
	// WorkspaceMount bind-mounts the workspace: the engine must run on this
	// machine.
	WorkspaceMount
	// WorkspaceCopy copies the workspace in and keeps it in step through
	// the archive API, for an engine on another machine.
	WorkspaceCopy
)

// Options configures a Manager.
type Options struct {
	// Client is the engine client; nil makes one with client.FromEnv
	// (DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH,
	// DOCKER_TLS_VERIFY), and for an ssh:// DOCKER_HOST one that runs
	// `ssh HOST docker system dial-stdio` per connection, as the docker CLI
	// does. The Manager closes only a client it made.
	Client *client.Client
	// Workspace says how workspaces reach containers (WorkspaceAuto).
	Workspace WorkspaceMode
	// ConnectTimeout bounds the first ping of the engine (default 5 s).
	ConnectTimeout time.Duration
	// OpTimeout bounds each engine call other than an image pull or a
	// running command (default 2 min), so that a hung engine is an error,
	// not a hang.
	OpTimeout time.Duration
	// AllowedNetworks lists the networks a Config may ask for besides
	// "none", e.g. "bridge".
	AllowedNetworks []string
	// Progress receives image pull progress when a Spec has none.
	Progress func(Progress)
	// Instance identifies this Manager in container labels; empty makes a
	// random one. Containers of another instance whose process is gone are
	// orphans (see RemoveOrphans).
	Instance string
}

// Manager creates, hands out and removes sandbox containers on one engine.
// It is safe for concurrent use.
type Manager struct {
	cli       *client.Client
	ownClient bool
	opts      Options
	copyMode  bool
	instance  string
	pid       int
	pidStart  string
	hostname  string
	engine    string // DaemonHost, for messages

	// now is the clock for last-use times; tests replace it.
	now func() time.Time

	mu     sync.Mutex
	boxes  map[string]*box // by key: "session/<id>" or "run/<id>"
	closed bool
}

// New connects to the engine and returns a Manager. An engine that does not
// answer within Options.ConnectTimeout is an error wrapping
// sandbox.ErrUnavailable. The API version is negotiated down to the
// engine's (API 1.41, Docker 20.10, is enough).
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 2 * time.Minute
	}
	m := &Manager{
		cli:      opts.Client,
		opts:     opts,
		instance: opts.Instance,
		now:      time.Now,
		boxes:    map[string]*box{},
	}
	if m.cli == nil {
		host := os.Getenv(client.EnvOverrideHost)
		var cli *client.Client
		var err error
		if strings.HasPrefix(host, "ssh://") {
			cli, err = sshClient(host, opts.ConnectTimeout)
		} else {
			cli, err = client.New(client.FromEnv)
		}
		if err != nil {
			return nil, fmt.Errorf("docker: client: %w: %w", sandbox.ErrUnavailable, err)
		}
		m.cli, m.ownClient = cli, true
		m.engine = host
	}
	if m.engine == "" {
		m.engine = m.cli.DaemonHost()
	}
	if m.instance == "" {
		m.instance = randomHex(8)
	}
	m.pid, m.pidStart = proc.Self()
	m.hostname, _ = os.Hostname()
	switch opts.Workspace {
	case WorkspaceCopy:
		m.copyMode = true
	case WorkspaceMount:
	default:
		m.copyMode = IsRemoteHost(m.engine)
	}

	pingCtx, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	if _, err := m.cli.Ping(pingCtx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		m.closeClient()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("docker: ping engine at %s: %w", m.engine, ctx.Err())
		}
		if pingCtx.Err() != nil {
			err = fmt.Errorf("no answer within %s", opts.ConnectTimeout)
		}
		return nil, fmt.Errorf("docker: engine at %s: %w: %w", m.engine, sandbox.ErrUnavailable, err)
	}
	return m, nil
}

// IsRemoteHost reports whether a DOCKER_HOST value names an engine on
// another machine: anything but a unix socket or a named pipe (a tcp://
// address on this machine counts as remote; use WorkspaceMount for it).
func IsRemoteHost(host string) bool {
	if host == "" {
		return false
	}
	u, err := url.Parse(host)
	if err != nil {
		return true
	}
	return u.Scheme != "unix" && u.Scheme != "npipe"
}

// Engine returns the engine address the Manager talks to.
func (m *Manager) Engine() string { return m.engine }

// APIVersion returns the negotiated engine API version.
func (m *Manager) APIVersion() string { return m.cli.ClientVersion() }

// CopiesWorkspace reports whether workspaces are copied (WorkspaceCopy, or
// WorkspaceAuto with a remote engine) rather than bind-mounted.
func (m *Manager) CopiesWorkspace() bool { return m.copyMode }

// Instance returns the Manager's instance id, as in LabelInstance.
func (m *Manager) Instance() string { return m.instance }

// Sandbox returns a sandbox for spec, creating its container (and pulling
// its image) if needed. With ScopeSession, every call for the same session
// shares one container as long as the Config is unchanged; a changed
// Config replaces the container once no sandbox uses it. The caller closes
// the sandbox.
func (m *Manager) Sandbox(ctx context.Context, spec Spec) (*Sandbox, error) {
	if spec.Scope == "" {
		spec.Scope = ScopeRun
	}
	if spec.RunID == "" {
		spec.RunID = randomHex(6)
	}
	if spec.Scope != ScopeRun && spec.Scope != ScopeSession {
		return nil, fmt.Errorf("%w: unknown scope %q", errConfig, spec.Scope)
	}
	if spec.Scope == ScopeSession && spec.SessionID == "" {
		return nil, fmt.Errorf("%w: a session-scoped sandbox needs a session id", errConfig)
	}
	cfg := spec.Config.withDefaults()
	if err := cfg.validate(m.opts.AllowedNetworks); err != nil {
		return nil, err
	}
	ws, err := filepath.Abs(spec.Workspace)
	if err != nil {
		return nil, fmt.Errorf("docker: workspace: %w", err)
	}
	fi, err := os.Stat(ws)
	if err != nil {
		return nil, fmt.Errorf("docker: workspace: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("docker: workspace %s is not a directory", ws)
	}
	spec.Workspace = ws
	if cfg.User == "" {
		cfg.User, spec.copy = m.defaultUser(fi)
	}
	spec.Config = cfg
	progress := spec.Progress
	if progress == nil {
		progress = m.opts.Progress
	}

	dir, err := sandbox.OpenDir(ws)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	b, stale, err := m.acquire(spec)
	if err != nil {
		dir.Close()
		return nil, err
	}
	if stale != nil {
		// Best effort: a failure leaves a container that Prune removes.
		_ = stale.remove(ctx)
	}
	if _, err := b.ensure(ctx, progress); err != nil {
		_ = m.release(b) // nothing was created to remove
		dir.Close()
		return nil, err
	}
	return &Sandbox{m: m, b: b, dir: dir, workspace: ws}, nil
}

// acquire finds or makes the box for spec and counts one more user of it.
// stale is a box whose container the caller should remove: the session's
// previous one, made with another config.
func (m *Manager) acquire(spec Spec) (b, stale *box, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, nil, fmt.Errorf("docker: %w: manager closed", sandbox.ErrUnavailable)
	}
	key := "run/" + spec.RunID
	if spec.Scope == ScopeSession {
		key = "session/" + spec.SessionID
	}
	if old := m.boxes[key]; old != nil {
		switch {
		case old.spec.Workspace != spec.Workspace:
			return nil, nil, fmt.Errorf("%w: %s already works in %s, not %s", errConfig, key, old.spec.Workspace, spec.Workspace)
		case old.spec.Config.hash() == spec.Config.hash():
			old.users++
			return old, nil, nil
		case old.users > 0:
			return nil, nil, fmt.Errorf("%w: %s is in use with another config", errConfig, key)
		}
		// The config changed and nobody uses the old container: replace it.
		delete(m.boxes, key)
		stale = old
	}
	b = newBox(m, key, spec)
	b.users = 1
	m.boxes[key] = b
	return b, stale, nil
}

// release counts one user less of b; a run-scoped box without users is
// removed.
func (m *Manager) release(b *box) error {
	m.mu.Lock()
	b.users--
	drop := b.users <= 0 && b.spec.Scope == ScopeRun
	if drop && m.boxes[b.key] == b {
		delete(m.boxes, b.key)
	}
	m.mu.Unlock()
	if drop {
		ctx, cancel := context.WithTimeout(context.Background(), m.opts.OpTimeout)
		defer cancel()
		return b.remove(ctx)
	}
	return nil
}

// Close removes every container this Manager created and closes the client
// if the Manager made it. Sandboxes still open fail with
// sandbox.ErrUnavailable afterwards. It is idempotent.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	boxes := make([]*box, 0, len(m.boxes))
	for _, b := range m.boxes {
		boxes = append(boxes, b)
	}
	m.boxes = map[string]*box{}
	m.mu.Unlock()
	var errs []error
	for _, b := range boxes {
		errs = append(errs, b.remove(ctx))
	}
	m.closeClient()
	return errors.Join(errs...)
}

func (m *Manager) closeClient() {
	if m.ownClient {
		m.cli.Close()
	}
}

// isClosed reports whether Close was called.
func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// defaultUser picks the user commands run as when the Config names none: never root. A
// root-owned workspace that only root can write is copied (copy is true) so that nobody
// can write it in the container; Corral, running as root, syncs the changes back.
func (m *Manager) defaultUser(ws os.FileInfo) (user string, copy bool) {
	if m.copyMode {
		return nobody, false
	}
	uid, gid, ok := owner(ws)
	if !ok {
		return nobody, false
	}
	if uid == 0 {
		return nobody, ws.Mode().Perm()&0o002 == 0
	}
	return strconv.Itoa(uid) + ":" + strconv.Itoa(gid), false
}

const nobody = "65534:65534"

// opContext bounds one engine call.
func (m *Manager) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, m.opts.OpTimeout)
}

// engineError wraps err from an engine call: an engine that cannot be
// reached or did not answer in time wraps sandbox.ErrUnavailable; the
// caller's own context ending is returned as such.
func (m *Manager) engineError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("docker: %s: %w", op, err)
	}
	if client.IsErrConnectionFailed(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("docker: %s (engine %s): %w: %w", op, m.engine, sandbox.ErrUnavailable, err)
	}
	return fmt.Errorf("docker: %s: %w", op, err)
}

// containerName makes a readable, unique container name.
func containerName(spec Spec) string {
	parts := []string{"corral"}
	if s := nameSafe(spec.SessionID, 32); s != "" {
		parts = append(parts, s)
	}
	if spec.Scope == ScopeRun {
		if r := nameSafe(spec.RunID, 16); r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(append(parts, randomHex(3)), "-")
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

func nameSafe(s string, limit int) string {
	s = strings.Trim(unsafeName.ReplaceAllString(s, "_"), "_.-")
	if len(s) > limit {
		s = s[:limit]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
