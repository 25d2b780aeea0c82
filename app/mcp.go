package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/mcp"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// MCP is the Settings view's MCP section: the servers of DATA_DIR/mcp.json
// (add, paste a configuration, enable, disable, remove), a test that
// connects and lists a server's tools, and its kept stderr.
type MCP struct {
	host *mcp.Host
	// creds keeps secret header values (the keychain, else the
	// credentials file); nil refuses them.
	creds *credential.Credentials
}

// mcpTestTimeout bounds a test from the window.
const mcpTestTimeout = 45 * time.Second

// MCPView is the configured servers.
type MCPView struct {
	// Path is the configuration file.
	Path    string          `json:"path"`
	Servers []MCPServerView `json:"servers"`
	// Error says why the file could not be read (the list is then empty).
	Error string `json:"error,omitempty"`
}

// MCPServerView is one server, without the values of its environment and
// headers (which may hold secrets): their names only.
type MCPServerView struct {
	Name      string   `json:"name"`
	Transport string   `json:"transport"`
	Command   string   `json:"command,omitempty"`
	Args      []string `json:"args"`
	URL       string   `json:"url,omitempty"`
	Env       []string `json:"env"`
	Headers   []string `json:"headers"`
	Enabled   bool     `json:"enabled"`
}

// MCPTestView is what testing a server found: its tools, or why it failed,
// and its stderr.
type MCPTestView struct {
	Name       string         `json:"name"`
	OK         bool           `json:"ok"`
	Error      string         `json:"error,omitempty"`
	DurationMS int64          `json:"duration_ms"`
	Tools      []mcp.ToolSpec `json:"tools"`
	Logs       string         `json:"logs"`
}

// List returns the configured servers.
func (m *MCP) List() (MCPView, error) {
	v := MCPView{Path: m.host.Config.Path, Servers: []MCPServerView{}}
	servers, err := m.host.Config.Servers()
	if err != nil {
		v.Error = err.Error()
		return v, nil
	}
	for _, s := range servers {
		sv := MCPServerView{Name: s.Name, Transport: s.Transport, Command: s.Command, Args: s.Args, URL: s.URL,
			Env: sortedNames(s.Env), Headers: sortedNames(s.Headers), Enabled: !s.Disabled}
		if sv.Args == nil {
			sv.Args = []string{}
		}
		v.Servers = append(v.Servers, sv)
	}
	return v, nil
}

// Add adds a server from a form: target is a URL (Streamable HTTP) or a
// command line (stdio; split on blanks). secretHeaders holds "Name: value"
// lines (e.g. "Authorization: Bearer …"): each value is kept in the OS
// keychain (else the credentials file) as MCP_SERVER_NAME, and mcp.json
// holds ${MCP_SERVER_NAME} in its place, never the value.
func (m *MCP) Add(name, target, secretHeaders string) (MCPView, error) {
	target = strings.TrimSpace(target)
	s := mcp.Server{Name: strings.TrimSpace(name)}
	if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") {
		s.Transport, s.URL = mcp.TransportHTTP, target
	} else if f := strings.Fields(target); len(f) > 0 {
		s.Transport, s.Command, s.Args = mcp.TransportStdio, f[0], f[1:]
	}
	secrets, err := headerLines(secretHeaders)
	if err != nil {
		return MCPView{}, err
	}
	if len(secrets) > 0 {
		if s.Transport != mcp.TransportHTTP {
			return MCPView{}, errors.New("mcp: headers are for a server reached by URL")
		}
		if m.creds == nil {
			return MCPView{}, errors.New("mcp: secrets cannot be kept in this process")
		}
		if err := s.Validate(); err != nil {
			return MCPView{}, err // before any secret is kept
		}
		s.Headers = map[string]string{}
		if _, err := mcp.KeepSecrets(s.Name, secrets, s.Headers, func(name, value string) error {
			_, err := m.creds.Set(name, value)
			return err
		}); err != nil {
			return MCPView{}, err
		}
	}
	if err := m.host.Config.Add(s); err != nil {
		return MCPView{}, err
	}
	return m.List()
}

// headerLines parses "Name: value" lines; blank lines are skipped.
func headerLines(text string) (map[string]string, error) {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("mcp: header %q: want Name: value", k)
		}
		out[k] = v
	}
	return out, nil
}

// Import adds every server of a pasted {"mcpServers": {...}} document, as
// written.
func (m *MCP) Import(document string) (MCPView, error) {
	if _, err := m.host.Config.Import([]byte(document)); err != nil {
		return MCPView{}, err
	}
	return m.List()
}

// Remove deletes a server.
func (m *MCP) Remove(name string) (MCPView, error) {
	if err := m.host.Config.Remove(name); err != nil {
		return MCPView{}, err
	}
	return m.List()
}

// SetEnabled enables or disables a server for new runs.
func (m *MCP) SetEnabled(name string, enabled bool) (MCPView, error) {
	if err := m.host.Config.SetDisabled(name, !enabled); err != nil {
		return MCPView{}, err
	}
	return m.List()
}

// Test starts (or reaches) the server in a scratch workspace, as a run
// would, and lists its tools with their hints.
func (m *MCP) Test(name string) (MCPTestView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), mcpTestTimeout)
	defer cancel()
	ws, err := os.MkdirTemp("", "corral-mcp-test-")
	if err != nil {
		return MCPTestView{}, fmt.Errorf("mcp test: %w", err)
	}
	defer os.RemoveAll(ws)
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		return MCPTestView{}, fmt.Errorf("mcp test: %w", err)
	}
	defer sb.Close()
	begun := time.Now()
	d, err := m.host.Discover(ctx, mcp.In(sb), "", []string{name}, nil)
	m.host.Release(mcp.In(sb))
	if err != nil {
		return MCPTestView{}, fmt.Errorf("mcp test: %w", err)
	}
	v := MCPTestView{Name: name, DurationMS: time.Since(begun).Milliseconds(), Tools: d.Tools, Logs: m.host.Logs(name)}
	v.Error = d.Servers[0].Error
	v.OK = v.Error == ""
	return v, nil
}

// Logs returns what the server last wrote to stderr (bounded).
func (m *MCP) Logs(name string) (string, error) { return m.host.Logs(name), nil }

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// mcpHostOf is the runner's MCP host, so Settings and runs share servers'
// logs; without one, a host on the data directory's configuration.
func mcpHostOf(cfg Config) *mcp.Host {
	if cfg.Runner != nil && cfg.Runner.MCP() != nil {
		return cfg.Runner.MCP()
	}
	getenv := cfg.Settings.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if cfg.Settings.Credentials != nil {
		getenv = cfg.Settings.Credentials.Getenv(getenv) // ${MCP_...} secrets
	}
	return mcp.NewHost(mcp.NewConfig(cfg.Settings.DataDir), getenv)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
