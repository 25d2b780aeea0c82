package mcp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/config"
)

// FileName is the servers' configuration file in the data directory.
const FileName = "mcp.json"

// Transports a server may use.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http" // Streamable HTTP
	TransportSSE   = "sse"  // the older HTTP+SSE transport
)

// Server is one configured MCP server, read from the peers' mcpServers
// shape. Keys other agents write that Corral does not use (autoApprove,
// alwaysAllow, trust, ...) are ignored and kept when the file is rewritten.
type Server struct {
	// Name is the server's key in mcpServers.
	Name string `json:"name"`
	// Transport is stdio, http or sse, from "type", "transport" or
	// "transportType" (streamable-http, streamableHttp and friends are
	// http), else http when a URL is given and stdio otherwise.
	Transport string `json:"transport"`
	// Command, Args and Env start a stdio server in the run's sandbox.
	// Values may use ${VAR} (and ${VAR:-default}), read from Corral's
	// environment and saved credentials when the server starts.
	Command string            `json:"command,omitempty"`
	Args    []string          `json:"args,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
	// URL reaches an HTTP server ("url", "serverUrl" or "httpUrl"); Headers
	// are sent with every request (values may use ${VAR}).
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Disabled servers are not offered to runs.
	Disabled bool `json:"disabled,omitempty"`
	// Timeout bounds each call; zero means DefaultCallTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// DefaultCallTimeout bounds a tool call when the server sets no timeout.
const DefaultCallTimeout = 60 * time.Second

// ErrBadConfig wraps every problem in a server's configuration.
var ErrBadConfig = errors.New("mcp: bad configuration")

// ErrUnknownServer means no server has that name.
var ErrUnknownServer = errors.New("mcp: unknown server")

// namePattern is what a server name may be: it appears in tool names and
// rules (mcp(server/tool)).
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// entry is one server as the peers write it.
type entry struct {
	Type          string            `json:"type"`
	Transport     string            `json:"transport"`
	TransportType string            `json:"transportType"`
	Command       string            `json:"command"`
	Args          []string          `json:"args"`
	Env           map[string]string `json:"env"`
	URL           string            `json:"url"`
	ServerURL     string            `json:"serverUrl"`
	HTTPURL       string            `json:"httpUrl"`
	Headers       map[string]string `json:"headers"`
	Disabled      bool              `json:"disabled"`
	Timeout       float64           `json:"timeout"`
}

// ParseServers reads the servers of an mcpServers document: either
// {"mcpServers": {...}} or, as VS Code writes it, {"servers": {...}}.
// Servers come back sorted by name.
func ParseServers(blob []byte) ([]Server, error) {
	raw, err := parseRaw(blob)
	if err != nil {
		return nil, err
	}
	var out []Server
	var errs []error
	for name, msg := range raw {
		s, err := parseServer(name, msg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, errors.Join(errs...)
}

// parseRaw returns the document's servers as written, by name.
func parseRaw(blob []byte) (map[string]json.RawMessage, error) {
	var doc struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
		Servers    map[string]json.RawMessage `json:"servers"`
	}
	if err := json.Unmarshal(blob, &doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if doc.MCPServers == nil {
		return doc.Servers, nil
	}
	return doc.MCPServers, nil
}

func parseServer(name string, msg json.RawMessage) (Server, error) {
	var e entry
	if err := json.Unmarshal(msg, &e); err != nil {
		return Server{}, fmt.Errorf("%w: server %q: %w", ErrBadConfig, name, err)
	}
	s := Server{Name: name, Command: e.Command, Args: e.Args, Env: e.Env, Headers: e.Headers, Disabled: e.Disabled}
	s.URL = cmpOr(e.URL, e.ServerURL, e.HTTPURL)
	switch t := strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(cmpOr(e.Type, e.Transport, e.TransportType))); t {
	case "":
		s.Transport = TransportStdio
		if s.URL != "" && s.Command == "" {
			s.Transport = TransportHTTP
		}
	case "stdio":
		s.Transport = TransportStdio
	case "http", "streamablehttp", "streamable":
		s.Transport = TransportHTTP
	case "sse":
		s.Transport = TransportSSE
	default:
		return Server{}, fmt.Errorf("%w: server %q: unknown type %q (want stdio, http or sse)", ErrBadConfig, name, cmpOr(e.Type, e.Transport, e.TransportType))
	}
	if e.Timeout > 0 {
		// Cline writes seconds, Gemini CLI milliseconds: a value above an hour
		// in seconds is taken as milliseconds.
		if e.Timeout > 3600 {
			s.Timeout = time.Duration(e.Timeout * float64(time.Millisecond))
		} else {
			s.Timeout = time.Duration(e.Timeout * float64(time.Second))
		}
	}
	return s, s.Validate()
}

// Validate checks a server: a usable name, a command for stdio, a URL for
// HTTP.
func (s Server) Validate() error {
	var errs []error
	if !namePattern.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("%w: server name %q: use up to 64 letters, digits, '.', '_' or '-'", ErrBadConfig, s.Name))
	}
	switch s.Transport {
	case TransportStdio:
		if s.Command == "" {
			errs = append(errs, fmt.Errorf("%w: server %q: a stdio server needs a command", ErrBadConfig, s.Name))
		}
	case TransportHTTP, TransportSSE:
		// A URL built from ${VAR} is checked when it is expanded, at connect.
		if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "${") {
			errs = append(errs, fmt.Errorf("%w: server %q: url %q: want http:// or https://", ErrBadConfig, s.Name, s.URL))
		}
	default:
		errs = append(errs, fmt.Errorf("%w: server %q: unknown transport %q", ErrBadConfig, s.Name, s.Transport))
	}
	return errors.Join(errs...)
}

// CallTimeout is the bound of one call to the server.
func (s Server) CallTimeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultCallTimeout
}

// entry returns the server in the shape written to the file.
func (s Server) entry() map[string]any {
	m := map[string]any{}
	if s.Transport == TransportStdio {
		m["command"] = s.Command
		if len(s.Args) > 0 {
			m["args"] = s.Args
		}
		if len(s.Env) > 0 {
			m["env"] = s.Env
		}
	} else {
		m["type"] = s.Transport
		m["url"] = s.URL
		if len(s.Headers) > 0 {
			m["headers"] = s.Headers
		}
	}
	if s.Disabled {
		m["disabled"] = true
	}
	if s.Timeout > 0 {
		m["timeout"] = s.Timeout.Seconds()
	}
	return m
}

// Config is the servers' configuration file.
type Config struct {
	// Path is the file, DATA_DIR/mcp.json.
	Path string
}

// NewConfig returns the configuration in dataDir.
func NewConfig(dataDir string) *Config { return &Config{Path: filepath.Join(dataDir, FileName)} }

// Servers returns the configured servers, sorted by name. A missing file
// is no servers.
func (c *Config) Servers() ([]Server, error) {
	blob, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mcp: read %s: %w", c.Path, err)
	}
	s, err := ParseServers(blob)
	if err != nil {
		return s, fmt.Errorf("%s: %w", c.Path, err)
	}
	return s, nil
}

// Server returns the server called name.
func (c *Config) Server(name string) (Server, error) {
	all, err := c.Servers()
	if err != nil {
		return Server{}, err
	}
	i := slices.IndexFunc(all, func(s Server) bool { return s.Name == name })
	if i < 0 {
		return Server{}, fmt.Errorf("%w %q (configured in %s)", ErrUnknownServer, name, c.Path)
	}
	return all[i], nil
}

// Add writes s to the file, replacing a server of the same name.
func (c *Config) Add(s Server) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return c.update(func(raw map[string]json.RawMessage) error {
		blob, err := json.Marshal(s.entry())
		if err != nil {
			return err
		}
		raw[s.Name] = blob
		return nil
	})
}

// Import adds every server of a pasted mcpServers document, as written
// (keys Corral does not use are kept), replacing servers of the same names.
// It returns the names added.
func (c *Config) Import(blob []byte) ([]string, error) {
	servers, err := ParseServers(blob)
	if err != nil {
		return nil, err
	}
	in, err := parseRaw(blob)
	if err != nil {
		return nil, err
	}
	var names []string
	err = c.update(func(raw map[string]json.RawMessage) error {
		for _, s := range servers {
			raw[s.Name] = in[s.Name]
			names = append(names, s.Name)
		}
		return nil
	})
	return names, err
}

// Remove deletes the server called name.
func (c *Config) Remove(name string) error {
	return c.update(func(raw map[string]json.RawMessage) error {
		if _, ok := raw[name]; !ok {
			return fmt.Errorf("%w %q", ErrUnknownServer, name)
		}
		delete(raw, name)
		return nil
	})
}

// SetDisabled enables or disables the server called name, keeping the rest
// of its entry as written.
func (c *Config) SetDisabled(name string, disabled bool) error {
	return c.update(func(raw map[string]json.RawMessage) error {
		msg, ok := raw[name]
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownServer, name)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			return fmt.Errorf("%w: server %q: %w", ErrBadConfig, name, err)
		}
		if disabled {
			m["disabled"] = json.RawMessage("true")
		} else {
			delete(m, "disabled")
		}
		blob, err := json.Marshal(m)
		raw[name] = blob
		return err
	})
}

// update rewrites the file's mcpServers through fn, keeping the document's
// other keys, atomically.
func (c *Config) update(fn func(map[string]json.RawMessage) error) error {
	doc := map[string]json.RawMessage{}
	blob, err := os.ReadFile(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("mcp: read %s: %w", c.Path, err)
	default:
		if err := json.Unmarshal(blob, &doc); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadConfig, c.Path, err)
		}
	}
	raw := map[string]json.RawMessage{}
	if msg, ok := doc["mcpServers"]; ok {
		if err := json.Unmarshal(msg, &raw); err != nil {
			return fmt.Errorf("%w: %s: mcpServers: %w", ErrBadConfig, c.Path, err)
		}
	}
	if err := fn(raw); err != nil {
		return err
	}
	if doc["mcpServers"], err = json.Marshal(raw); err != nil {
		return err
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.Path), 0o700); err != nil {
		return fmt.Errorf("mcp: %w", err)
	}
	return config.WriteFileAtomic(c.Path, append(out, '\n'))
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// varPattern is ${VAR} or ${VAR:-default}; a bare $VAR is left alone, so
// a header value holding a dollar sign survives.
var varPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// Expand replaces ${VAR} and ${VAR:-default} in s with getenv's values.
func Expand(s string, getenv func(string) string) string {
	return varPattern.ReplaceAllStringFunc(s, func(m string) string {
		sub := varPattern.FindStringSubmatch(m)
		if v := getenv(sub[1]); v != "" {
			return v
		}
		return sub[2]
	})
}

// SecretNames lists the MCP_* credentials the servers' env and headers
// refer to as ${MCP_...}, sorted, for redaction.
func SecretNames(servers []Server) []string {
	seen := map[string]bool{}
	for _, s := range servers {
		for _, m := range []map[string]string{s.Env, s.Headers} {
			for _, v := range m {
				for _, sub := range varPattern.FindAllStringSubmatch(v, -1) {
					if strings.HasPrefix(sub[1], "MCP_") {
						seen[sub[1]] = true
					}
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// SecretName is the credential that keeps the secret key (an env variable
// or a header) of server: MCP_SERVER_KEY in upper case, other characters
// as '_'.
func SecretName(server, key string) string {
	return "MCP_" + strings.ToUpper(secretUnsafe.ReplaceAllString(server+"_"+key, "_"))
}

var secretUnsafe = regexp.MustCompile(`[^A-Za-z0-9_]`)

// KeepSecrets keeps each secret KEY=VALUE of server with set (the
// credential store: the keychain, else the credentials file) as
// SecretName(server, KEY), and puts ${NAME} in its place in into (the
// server's env or headers), so mcp.json never holds the value. It returns
// the names kept, sorted.
func KeepSecrets(server string, secrets, into map[string]string, set func(name, value string) error) ([]string, error) {
	var kept []string
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		name := SecretName(server, k)
		if err := set(name, secrets[k]); err != nil {
			return kept, fmt.Errorf("keep %s of %s: %w", k, server, err)
		}
		into[k] = "${" + name + "}"
		kept = append(kept, name)
	}
	return kept, nil
}
