package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/sandbox"
)

// Limits of a connection.
const (
	// DefaultMaxMessage bounds one JSON-RPC message from a server: a
	// server that floods its output fails the call instead of filling memory.
	DefaultMaxMessage = 8 << 20
	// StderrKeep is how much of a server's stderr is kept for a person.
	StderrKeep = 64 << 10
	// connectTimeout bounds starting a server and its initialize handshake.
	connectTimeout = 30 * time.Second
)

// ErrServerFailed wraps a server that could not be reached, crashed, hung
// or spoke something other than MCP.
var ErrServerFailed = errors.New("mcp: server failed")

// Host keeps the connections to MCP servers: one per server and sandbox,
// started on first use and stopped by Release (when the sandbox's run or
// session closes) or Close. It is safe for concurrent use.
type Host struct {
	// Config is where servers are looked up by name.
	Config *Config
	// Getenv expands ${VAR} in commands, arguments, env and headers; nil
	// means os.Getenv.
	Getenv func(string) string
	// Version is Corral's version, sent in the initialize handshake.
	Version string
	// MaxMessage bounds one message from a server; zero means
	// DefaultMaxMessage.
	MaxMessage int
	// AgentServers, if set, returns the servers an agent defines itself
	// (agents.json's mcpServers), which only its runs use and which win
	// over global servers of the same name.
	AgentServers func(agent string) ([]Server, error)
	// LogDir, if set, keeps each server's stderr (the kept tail) in
	// LogDir/NAME.log whenever a connection ends or fails, for `corral mcp
	// logs` and Settings in another process.
	LogDir string

	mu    sync.Mutex
	conns map[connKey]*conn
	logs  map[string]*ring // each server's stderr, across restarts
}

type connKey struct {
	sb     sandbox.Sandbox
	server string
}

// conn is one live session with a server.
type conn struct {
	name    string
	session *sdk.ClientSession
	proc    *sandbox.Process // nil over HTTP
	done    chan struct{}    // closed when the session ended
	stderr  chan struct{}    // closed when the server's stderr has been read to its end
}

func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// close ends the session and stops the program, then waits (bounded) for
// its stderr to be read to the end, so the kept log is complete.
func (c *conn) close() {
	_ = c.session.Close()
	if c.proc == nil {
		return
	}
	_ = c.proc.Stop()
	t := time.NewTimer(settleWait)
	defer t.Stop()
	select {
	case <-c.stderr:
	case <-t.C:
	}
}

// NewHost returns a host for the servers configured in cfg.
func NewHost(cfg *Config, getenv func(string) string) *Host {
	return &Host{Config: cfg, Getenv: getenv}
}

func (h *Host) getenv(k string) string {
	if h.Getenv != nil {
		return h.Getenv(k)
	}
	return os.Getenv(k)
}

// Logs returns what the server called name last wrote to stderr (the last
// StderrKeep bytes, across restarts): this process's if it started the
// server, else what LogDir kept.
func (h *Host) Logs(name string) string {
	h.mu.Lock()
	r := h.logs[name]
	h.mu.Unlock()
	if r != nil {
		return r.String()
	}
	if h.LogDir == "" || !namePattern.MatchString(name) {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(h.LogDir, name+".log"))
	return string(b)
}

// saveLog writes the server's kept stderr to LogDir.
func (h *Host) saveLog(name string) {
	h.mu.Lock()
	r := h.logs[name]
	h.mu.Unlock()
	if h.LogDir == "" || r == nil {
		return
	}
	if os.MkdirAll(h.LogDir, 0o700) == nil {
		_ = config.WriteFileAtomic(filepath.Join(h.LogDir, name+".log"), []byte(r.String()))
	}
}

func (h *Host) log(name string) *ring {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.logs == nil {
		h.logs = map[string]*ring{}
	}
	if h.logs[name] == nil {
		h.logs[name] = newRing(StderrKeep)
	}
	return h.logs[name]
}

// session returns a live session with srv in sb, starting the server when
// there is none or the last one ended.
func (h *Host) session(ctx context.Context, sb sandbox.Sandbox, srv Server) (*conn, error) {
	key := connKey{sb, srv.Name}
	h.mu.Lock()
	c := h.conns[key]
	h.mu.Unlock()
	if c != nil && c.alive() {
		return c, nil
	}
	c, err := h.connect(ctx, sb, srv)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.conns == nil {
		h.conns = map[connKey]*conn{}
	}
	if old := h.conns[key]; old != nil && old.alive() {
		h.mu.Unlock()
		c.close() // another call connected first
		return old, nil
	}
	h.conns[key] = c
	h.mu.Unlock()
	return c, nil
}

// connect starts (stdio) or reaches (HTTP) srv and runs the handshake.
func (h *Host) connect(ctx context.Context, sb sandbox.Sandbox, srv Server) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c := &conn{name: srv.Name, done: make(chan struct{})}
	var transport sdk.Transport
	switch srv.Transport {
	case TransportStdio:
		starter, ok := sb.(sandbox.Starter)
		if !ok {
			return nil, fmt.Errorf("%w: %s: this sandbox cannot start programs", ErrServerFailed, srv.Name)
		}
		argv := []string{Expand(srv.Command, h.getenv)}
		for _, a := range srv.Args {
			argv = append(argv, Expand(a, h.getenv))
		}
		var env []string
		for _, k := range sortedKeys(srv.Env) {
			env = append(env, k+"="+Expand(srv.Env[k], h.getenv))
		}
		proc, err := starter.Start(ctx, sandbox.StartRequest{Argv: argv, Env: env})
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrServerFailed, srv.Name, err)
		}
		c.proc = proc
		logs := h.log(srv.Name)
		c.stderr = make(chan struct{})
		go func() {
			_, _ = io.Copy(logs, proc.Stderr)
			_ = proc.Stderr.Close()
			close(c.stderr)
		}()
		transport = &sdk.IOTransport{Reader: proc.Stdout, Writer: proc.Stdin, MaxLineLength: h.maxMessage()}
	case TransportHTTP, TransportSSE:
		hc := &http.Client{Transport: &headerTransport{headers: h.headers(srv)}}
		if srv.Transport == TransportSSE {
			transport = &sdk.SSEClientTransport{Endpoint: Expand(srv.URL, h.getenv), HTTPClient: hc}
		} else {
			transport = &sdk.StreamableClientTransport{Endpoint: Expand(srv.URL, h.getenv), HTTPClient: hc, MaxRetries: 1, DisableStandaloneSSE: true}
		}
	default:
		return nil, fmt.Errorf("%w: server %q: unknown transport %q", ErrBadConfig, srv.Name, srv.Transport)
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "corral", Version: cmpOr(h.Version, "dev")}, nil)
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		if c.proc != nil {
			_ = c.proc.Stop()
			_ = c.proc.Stdout.Close()
		}
		h.settle(c)
		h.saveLog(srv.Name)
		return nil, h.failure(srv, "connect", err)
	}
	c.session = session
	go func() {
		_ = session.Wait()
		close(c.done)
	}()
	if c.proc != nil {
		go func() {
			// A server that exits ends its session at once, not at the next call.
			select {
			case <-c.proc.Done:
				_ = session.Close()
			case <-c.done:
			}
		}()
	}
	return c, nil
}

func (h *Host) maxMessage() int {
	if h.MaxMessage > 0 {
		return h.MaxMessage
	}
	return DefaultMaxMessage
}

// headers returns srv's headers with ${VAR} expanded.
func (h *Host) headers(srv Server) http.Header {
	out := http.Header{}
	for k, v := range srv.Headers {
		out.Set(k, Expand(v, h.getenv))
	}
	return out
}

// settleWait bounds how long a failed connection's program is given to
// exit and its stderr to be read, so the failure can quote it.
const settleWait = time.Second

// settle waits (bounded) for a failed stdio server to exit and for its
// stderr to be read to the end, so its last words reach the error.
func (h *Host) settle(c *conn) {
	if c.proc == nil {
		return
	}
	t := time.NewTimer(settleWait)
	defer t.Stop()
	select {
	case <-c.proc.Done:
	case <-t.C:
		return
	}
	select {
	case <-c.stderr:
	case <-t.C:
	}
}

// failure wraps a server's failure with the tail of its stderr.
func (h *Host) failure(srv Server, op string, err error) error {
	msg := fmt.Errorf("%w: %s: %s: %w", ErrServerFailed, srv.Name, op, err)
	if srv.Transport != TransportStdio {
		return msg
	}
	if tail := strings.TrimSpace(h.log(srv.Name).tail(400)); tail != "" {
		return fmt.Errorf("%w (its stderr ends: %s)", msg, tail)
	}
	return msg
}

// Tools lists srv's tools, starting it in sb if needed.
func (h *Host) Tools(ctx context.Context, sb sandbox.Sandbox, srv Server) ([]*sdk.Tool, error) {
	c, err := h.session(ctx, sb, srv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, srv.CallTimeout())
	defer cancel()
	var out []*sdk.Tool
	for t, err := range c.session.Tools(ctx, nil) {
		if err != nil {
			h.drop(sb, srv.Name, c)
			return nil, h.failure(srv, "list tools", err)
		}
		out = append(out, t)
		if len(out) > 1000 {
			break // a server listing without end
		}
	}
	return out, nil
}

// Call calls srv's tool with the JSON object args, starting the server in
// sb if needed, bounded by the server's call timeout. A server that hangs
// past it is stopped (the next call starts it again). The error wraps
// ErrServerFailed when the server failed, or is ctx's when ctx ended.
func (h *Host) Call(ctx context.Context, sb sandbox.Sandbox, srv Server, tool string, args json.RawMessage) (*sdk.CallToolResult, error) {
	c, err := h.session(ctx, sb, srv)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, srv.CallTimeout())
	defer cancel()
	if len(strings.TrimSpace(string(args))) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	res, err := c.session.CallTool(cctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if cctx.Err() != nil {
		h.drop(sb, srv.Name, c)
		return nil, h.failure(srv, "call "+tool, fmt.Errorf("no answer within %s; the server was stopped", srv.CallTimeout()))
	}
	// A JSON-RPC error is the server answering (bad arguments, unknown
	// tool): it lives on. Anything else broke the connection (a crash,
	// garbage, a message over the limit): the next call starts it again.
	if _, answered := errors.AsType[*jsonrpc.Error](err); !answered {
		h.settle(c)
		h.drop(sb, srv.Name, c)
	}
	return nil, h.failure(srv, "call "+tool, err)
}

// drop closes c and forgets it, if it is still sb's connection to server.
func (h *Host) drop(sb sandbox.Sandbox, server string, c *conn) {
	key := connKey{sb, server}
	h.mu.Lock()
	if h.conns[key] == c {
		delete(h.conns, key)
	}
	h.mu.Unlock()
	c.close()
	h.saveLog(server)
}

// Release stops every server started in sb (its run or session is over).
func (h *Host) Release(sb sandbox.Sandbox) {
	h.mu.Lock()
	var gone []*conn
	for k, c := range h.conns {
		if k.sb == sb {
			gone = append(gone, c)
			delete(h.conns, k)
		}
	}
	h.mu.Unlock()
	h.closeAll(gone)
}

// Close stops every server. It is idempotent.
func (h *Host) Close() error {
	h.mu.Lock()
	var gone []*conn
	for k, c := range h.conns {
		gone = append(gone, c)
		delete(h.conns, k)
	}
	h.mu.Unlock()
	h.closeAll(gone)
	return nil
}

func (h *Host) closeAll(cs []*conn) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			c.close()
			h.saveLog(c.name)
		})
	}
	wg.Wait()
}

// headerTransport adds a server's configured headers to every request.
type headerTransport struct {
	headers http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header[k] = v
	}
	return http.DefaultTransport.RoundTrip(req)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Server returns the server called name for a run of agent: the agent's
// own, else the global one in Config.
func (h *Host) Server(agent, name string) (Server, error) {
	s, own, err := h.own(agent, name)
	if err != nil || own {
		return s, err
	}
	return h.Config.Server(name)
}

// own returns agent's own server called name, if it defines one.
func (h *Host) own(agent, name string) (Server, bool, error) {
	if h.AgentServers == nil || agent == "" {
		return Server{}, false, nil
	}
	servers, err := h.AgentServers(agent)
	if err != nil {
		return Server{}, false, err
	}
	for _, s := range servers {
		if s.Name == name {
			return s, true, nil
		}
	}
	return Server{}, false, nil
}
