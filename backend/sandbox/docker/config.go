package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Defaults for a Config's zero fields.
const (
	DefaultImage     = "debian:bookworm-slim"
	DefaultMemory    = 2 << 30 // bytes
	DefaultCPUs      = 2.0
	DefaultPidsLimit = 512
	DefaultTmpSize   = 512 << 20 // bytes
	DefaultNetwork   = "none"
)

// WorkDir is where the workspace appears inside a container.
const WorkDir = "/workspace"

// Config describes the container a sandbox runs in. Zero fields take the
// defaults above; the hardening (no capabilities, no-new-privileges,
// read-only root filesystem, tmpfs /tmp) is not configurable.
type Config struct {
	// Image is the container image. A missing image is pulled.
	Image string `json:"image,omitempty"`
	// Memory is the memory limit in bytes (tmpfs pages count against it).
	Memory int64 `json:"memory,omitempty"`
	// CPUs is the number of CPUs the container may use (fractions allowed).
	CPUs float64 `json:"cpus,omitempty"`
	// PidsLimit bounds the number of processes (fork bombs stop there).
	PidsLimit int64 `json:"pidsLimit,omitempty"`
	// Network is "none" (the default: only a loopback interface), "bridge"
	// or the name of a Docker network; anything but "none" must be listed
	// in Options.AllowedNetworks.
	Network string `json:"network,omitempty"`
	// Egress, when set, makes the egress proxy the container's only way
	// out: the network stays "none" (loopback only: no route, no DNS, no
	// IPv6), and a forwarder started in the container relays
	// 127.0.0.1:EgressPort to the proxy's Unix socket, mounted in; commands
	// get HTTP_PROXY and HTTPS_PROXY pointing there. It needs a local
	// engine on Linux (the socket and the forwarder are host files).
	Egress *Egress `json:"egress,omitempty"`
	// Env holds KEY=VALUE variables for every command, on top of the base
	// environment (HOME=/tmp, TERM=dumb, PAGER=cat, GIT_PAGER=cat,
	// GIT_TERMINAL_PROMPT=0, LANG=C.UTF-8 and the image's PATH). Nothing of
	// the host's environment reaches a container unless listed here.
	Env []string `json:"env,omitempty"`
	// User is "uid", "uid:gid" or a name the image knows. Empty picks a
	// non-root user, never root: with a bind-mounted workspace the owner of
	// the host directory; when that owner is root, 65534:65534, and the
	// workspace is copied into the container (as with WorkspaceCopy) unless
	// the directory is world-writable, so that user can still write it
	// while the host's root-owned files are changed only by Corral's sync.
	// With a copied workspace, 65534:65534. Root runs only when named here
	// ("0" or "0:0").
	User string `json:"user,omitempty"`
	// Mounts are extra host paths made visible in the container, read-only
	// unless Writable. With a remote engine, Source is a path on the
	// engine's machine.
	Mounts []Mount `json:"mounts,omitempty"`
	// Setup is a shell command run once in the workspace when the container
	// is created (and again if it is recreated). A non-zero exit fails the
	// creation.
	Setup string `json:"setup,omitempty"`
	// TmpSize bounds the tmpfs at /tmp (also HOME) in bytes.
	TmpSize int64 `json:"tmpSize,omitempty"`
}

// Mount is an extra host path in the container.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	Writable bool   `json:"writable,omitempty"`
}

// withDefaults returns c with its zero fields filled in.
func (c Config) withDefaults() Config {
	if c.Image == "" {
		c.Image = DefaultImage
	}
	if c.Memory == 0 {
		c.Memory = DefaultMemory
	}
	if c.CPUs == 0 {
		c.CPUs = DefaultCPUs
	}
	if c.PidsLimit == 0 {
		c.PidsLimit = DefaultPidsLimit
	}
	if c.Network == "" {
		c.Network = DefaultNetwork
	}
	if c.TmpSize == 0 {
		c.TmpSize = DefaultTmpSize
	}
	c.Env = slices.Clone(c.Env)
	if c.Egress != nil {
		e := *c.Egress
		c.Egress = &e
	}
	c.Mounts = slices.Clone(c.Mounts)
	return c
}

// errConfig is the cause of every Config validation error.
var errConfig = errors.New("docker: invalid sandbox config")

// validate checks a Config with defaults applied.
func (c Config) validate(allowedNetworks []string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Memory < 6<<20:
		return bad("memory %d is below Docker's minimum of 6 MiB", c.Memory)
	case c.CPUs < 0.01:
		return bad("cpus %g is below 0.01", c.CPUs)
	case c.PidsLimit < 8:
		return bad("pids limit %d is too small to run a shell", c.PidsLimit)
	case c.TmpSize < 1<<20:
		return bad("tmp size %d is below 1 MiB", c.TmpSize)
	}
	if c.Egress != nil {
		switch {
		case c.Network != "none":
			return bad("egress through the proxy needs network none, not %q", c.Network)
		case !filepath.IsAbs(c.Egress.SocketDir) || !filepath.IsAbs(c.Egress.Forwarder):
			return bad("egress socket dir %q and forwarder %q must be absolute host paths", c.Egress.SocketDir, c.Egress.Forwarder)
		}
	}
	if c.Network != "none" && !slices.Contains(allowedNetworks, c.Network) {
		return bad("network %q is not allowed (allowed: none%s)", c.Network, prefixAll(", ", allowedNetworks))
	}
	for _, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return bad("env %q is not KEY=VALUE", kv)
		}
	}
	for _, m := range c.Mounts {
		switch {
		case !path.IsAbs(m.Target) || path.Clean(m.Target) != m.Target:
			return bad("mount target %q is not a clean absolute path", m.Target)
		case m.Target == "/" || m.Target == "/tmp" || m.Target == WorkDir || strings.HasPrefix(m.Target, WorkDir+"/"):
			return bad("mount target %q would hide the root, /tmp or the workspace", m.Target)
		case m.Source == "" || (!path.IsAbs(m.Source) && !isWindowsAbs(m.Source)):
			return bad("mount source %q is not an absolute path", m.Source)
		}
	}
	return nil
}

func isWindowsAbs(p string) bool {
	return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func prefixAll(sep string, list []string) string {
	var b strings.Builder
	for _, s := range list {
		b.WriteString(sep)
		b.WriteString(s)
	}
	return b.String()
}

// hash identifies the container a Config (with defaults) asks for, so that
// a session whose config changed gets a new container.
func (c Config) hash() string {
	data, _ := json.Marshal(c)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}

// Scope says how long a container lives.
type Scope string

// Scopes.
const (
	// ScopeRun gives a run its own container, removed when its sandbox is
	// closed.
	ScopeRun Scope = "run"
	// ScopeSession shares one container among the runs of a session: files
	// outside the workspace (caches in /tmp, installed tools) persist from
	// run to run. Closing a sandbox keeps the container; the Reaper removes
	// it once idle.
	ScopeSession Scope = "session"
)

// Spec asks a Manager for a sandbox.
type Spec struct {
	// Scope is ScopeRun (the default) or ScopeSession.
	Scope Scope
	// SessionID names the session; required for ScopeSession, used in
	// container names and labels.
	SessionID string
	// RunID names the run; a random one is made when empty.
	RunID string
	// Workspace is the host directory the commands work in.
	Workspace string
	// Config describes the container.
	Config Config
	// IdleTimeout, for ScopeSession with a bind-mounted workspace, makes the container
	// outlive the process: it removes itself after this long without a command, and any
	// later Manager asking for the same session, workspace and config adopts it (see
	// LabelIdle). Zero keeps it to this Manager: removed by Close or by the Reaper.
	IdleTimeout time.Duration
	// Progress, if set, receives image pull progress (it overrides
	// Options.Progress). It is called synchronously, from the goroutine
	// calling Sandbox, once per engine message: keep it quick and batch
	// what goes to a UI.
	Progress func(Progress)

	// copy is set when this sandbox copies its workspace although the
	// manager mounts workspaces: the default user would otherwise be root.
	copy bool
}

// Progress is one image pull event.
type Progress struct {
	// Image is the image being pulled.
	Image string
	// Layer is the layer id the event is about; empty for the image as a
	// whole.
	Layer string
	// Status is the engine's text, e.g. "Downloading", "Pull complete".
	Status string
	// Current and Total are bytes done and expected; zero when unknown.
	Current, Total int64
}
