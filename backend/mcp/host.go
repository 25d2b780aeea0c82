package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	// DefaultIdle is how long a place's servers are kept with no call
	// before they are stopped.
	DefaultIdle = 15 * time.Minute
)

// ErrServerFailed wraps a server that could not be reached, crashed, hung
// or spoke something other than MCP.
var ErrServerFailed = errors.New("mcp: server failed")

// Host keeps the connections to MCP servers: one per server and Place (a
// session and its sandbox), started on first use and kept across the runs
// of that session in this process; a changed server configuration starts
// it again. They stop when the place has been idle for Idle, on Release or
// ReleaseSession (the session was deleted) and on Close (Corral exits). It
// is safe for concurrent use.
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
	// Idle is how long a place's servers live with no call; zero means
	// DefaultIdle.
	Idle time.Duration

	mu     sync.Mutex
	places map[string]*place
	closed bool
	logs   map[string]*ring // each server's stderr, across restarts
}

// Place is where a run's servers live: the session whose runs share them,
// and the sandbox their stdio programs start in. Two runs whose places
// have the same Session and Sandbox share the servers.
type Place struct {
	// Session is the session the servers belong to (ReleaseSession).
	Session string
	// Sandbox says which sandbox this is (its kind, workspace, network,
	// container): a run that names another gets servers of its own.
	Sandbox string
	// Open opens the sandbox stdio servers start in, on the first one.
	Open func(ctx context.Context) (sandbox.Sandbox, error)
	// Own makes the Host close what Open returned once the place's servers
	// have stopped.
	Own bool
}

func (p Place) key() string { return p.Session + "\x00" + p.Sandbox }

// In is a place over sb alone, which the caller keeps and closes (a
// scratch test of a server); Release(In(sb)) stops its servers.
func In(sb sandbox.Sandbox) Place {
	return Place{Sandbox: fmt.Sprintf("sandbox %p", sb), Open: func(context.Context) (sandbox.Sandbox, error) { return sb, nil }}
}

// place is a Place's live state.
type place struct {
	Place
	mu    sync.Mutex // held while the sandbox opens
	sb    sandbox.Sandbox
	conns map[string]*conn // by server name
	busy  int              // calls and listings in flight
	used  time.Time        // when the last one ended
	timer *time.Timer      // fires when the place may be idle
}

// conn is one live session with a server.
type conn struct {
	name    string
	config  string // the server's configuration as started (see fingerprint)
	session *sdk.ClientSession
	proc    *sandbox.Process   // nil over HTTP
	end     context.CancelFunc // ends the connection's context
	done    chan struct{}      // closed when the session ended
	stderr  chan struct{}      // closed when the server's stderr has been read to its end
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
	c.end()
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

// enter returns pl's live state, counting a call in flight until leave.
func (h *Host) enter(pl Place) (*place, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("%w: the MCP host is closed", ErrServerFailed)
	}
	if h.places == nil {
		h.places = map[string]*place{}
	}
	p := h.places[pl.key()]
	if p == nil {
		p = &place{Place: pl, conns: map[string]*conn{}}
		h.places[pl.key()] = p
	}
	p.busy++
	return p, nil
}

// leave ends a call in p and arms its idle timer.
func (h *Host) leave(p *place) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p.busy--
	p.used = time.Now()
	if p.busy == 0 && h.places[p.key()] == p {
		if p.timer == nil {
			p.timer = time.AfterFunc(h.idle(), func() { h.expire(p) })
		} else {
			p.timer.Reset(h.idle())
		}
	}
}

func (h *Host) idle() time.Duration {
	if h.Idle > 0 {
		return h.Idle
	}
	return DefaultIdle
}

// expire stops p's servers if it is still idle.
func (h *Host) expire(p *place) {
	h.mu.Lock()
	if h.places[p.key()] != p || p.busy > 0 {
		h.mu.Unlock()
		return
	}
	if left := h.idle() - time.Since(p.used); left > 0 {
		p.timer.Reset(left)
		h.mu.Unlock()
		return
	}
	delete(h.places, p.key())
	h.mu.Unlock()
	h.stop(p)
}

// sandbox returns p's sandbox, opening it on first need.
func (p *place) sandbox(ctx context.Context) (sandbox.Sandbox, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sb != nil {
		return p.sb, nil
	}
	if p.Open == nil {
		return nil, errors.New("no sandbox to start programs in")
	}
	sb, err := p.Open(ctx)
	if err != nil {
		return nil, err
	}
	p.sb = sb
	return sb, nil
}

// session returns a live session with srv in p, starting the server when
// there is none, the last one ended or its configuration changed.
func (h *Host) session(ctx context.Context, p *place, srv Server) (*conn, error) {
	fp := h.fingerprint(srv)
	h.mu.Lock()
	c := p.conns[srv.Name]
	h.mu.Unlock()
	if c != nil && c.alive() && c.config == fp {
		return c, nil
	}
	if c != nil {
		h.drop(p, srv.Name, c) // ended, or its configuration changed
	}
	c, err := h.connect(ctx, p, srv)
	if err != nil {
		return nil, err
	}
	c.config = fp
	h.mu.Lock()
	if h.places[p.key()] != p {
		h.mu.Unlock()
		c.close() // the place was released meanwhile
		return nil, fmt.Errorf("%w: %s: its servers were stopped", ErrServerFailed, srv.Name)
	}
	if old := p.conns[srv.Name]; old != nil && old.alive() && old.config == fp {
		h.mu.Unlock()
		c.close() // another call connected first
		return old, nil
	}
	p.conns[srv.Name] = c
	h.mu.Unlock()
	return c, nil
}

// fingerprint is srv as it would start now (values expanded), so that a
// change to its configuration or to a value it reads restarts it. Only a
// hash is kept: the values may be secrets.
func (h *Host) fingerprint(srv Server) string {
	hash := sha256.New()
	w := func(s string) { hash.Write([]byte(s)); hash.Write([]byte{0}) }
	w(srv.Transport)
	w(Expand(srv.Command, h.getenv))
	for _, a := range srv.Args {
		w(Expand(a, h.getenv))
	}
	for _, k := range sortedKeys(srv.Env) {
		w(k)
		w(Expand(srv.Env[k], h.getenv))
	}
	w(Expand(srv.URL, h.getenv))
	for _, k := range sortedKeys(srv.Headers) {
		w(k)
		w(Expand(srv.Headers[k], h.getenv))
	}
	return hex.EncodeToString(hash.Sum(nil))
}

// connect starts (stdio, in p's sandbox) or reaches (HTTP) srv and runs
// the handshake.
func (h *Host) connect(ctx context.Context, p *place, srv Server) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	c := &conn{name: srv.Name, done: make(chan struct{})}
	var transport sdk.Transport
	switch srv.Transport {
	case TransportStdio:
		sb, err := p.sandbox(ctx)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrServerFailed, srv.Name, err)
		}
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
	// The connection outlives this call (an SSE stream lives as long as the
	// context it was opened with): ctx and the connect timeout bound the
	// handshake only; close ends the rest.
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	c.end = end
	stopCtx := context.AfterFunc(ctx, end)
	session, err := client.Connect(life, transport, nil)
	stopCtx()
	if err == nil && ctx.Err() != nil {
		_ = session.Close()
		err = ctx.Err()
	}
	if err != nil {
		end()
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

// Tools lists srv's tools, starting it in pl if needed.
func (h *Host) Tools(ctx context.Context, pl Place, srv Server) ([]*sdk.Tool, error) {
	p, err := h.enter(pl)
	if err != nil {
		return nil, err
	}
	defer h.leave(p)
	c, err := h.session(ctx, p, srv)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, srv.CallTimeout())
	defer cancel()
	var out []*sdk.Tool
	for t, err := range c.session.Tools(ctx, nil) {
		if err != nil {
			h.drop(p, srv.Name, c)
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
// pl if needed, bounded by the server's call timeout. A server that hangs
// past it is stopped (the next call starts it again). The error wraps
// ErrServerFailed when the server failed, or is ctx's when ctx ended.
func (h *Host) Call(ctx context.Context, pl Place, srv Server, tool string, args json.RawMessage) (*sdk.CallToolResult, error) {
	p, err := h.enter(pl)
	if err != nil {
		return nil, err
	}
	defer h.leave(p)
	c, err := h.session(ctx, p, srv)
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
		h.drop(p, srv.Name, c)
		return nil, h.failure(srv, "call "+tool, fmt.Errorf("no answer within %s; the server was stopped", srv.CallTimeout()))
	}
	// A JSON-RPC error is the server answering (bad arguments, unknown
	// tool): it lives on. Anything else broke the connection (a crash,
	// garbage, a message over the limit): the next call starts it again.
	if _, answered := errors.AsType[*jsonrpc.Error](err); !answered {
		h.settle(c)
		h.drop(p, srv.Name, c)
	}
	return nil, h.failure(srv, "call "+tool, err)
}

// drop closes c and forgets it, if it is still p's connection to server.
func (h *Host) drop(p *place, server string, c *conn) {
	h.mu.Lock()
	if p.conns[server] == c {
		delete(p.conns, server)
	}
	h.mu.Unlock()
	c.close()
	h.saveLog(server)
}

// Release stops the servers of pl (the run that used them is over and
// nothing else will).
func (h *Host) Release(pl Place) {
	h.mu.Lock()
	p := h.places[pl.key()]
	delete(h.places, pl.key())
	h.mu.Unlock()
	if p != nil {
		h.stop(p)
	}
}

// ReleaseSession stops the servers of every place of session (it was
// deleted).
func (h *Host) ReleaseSession(session string) {
	h.stopWhere(func(p *place) bool { return p.Session == session })
}

// Running reports how many servers run in pl.
func (h *Host) Running(pl Place) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	if p := h.places[pl.key()]; p != nil {
		for _, c := range p.conns {
			if c.alive() {
				n++
			}
		}
	}
	return n
}

// Close stops every server and refuses new calls. It is idempotent.
func (h *Host) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.stopWhere(func(*place) bool { return true })
	return nil
}

// stopWhere stops the places that match.
func (h *Host) stopWhere(match func(*place) bool) {
	h.mu.Lock()
	var gone []*place
	for k, p := range h.places {
		if match(p) {
			gone = append(gone, p)
			delete(h.places, k)
		}
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range gone {
		wg.Go(func() { h.stop(p) })
	}
	wg.Wait()
}

// stop ends p's servers and closes its sandbox if the Host owns it. p is
// no longer in h.places.
func (h *Host) stop(p *place) {
	h.mu.Lock()
	if p.timer != nil {
		p.timer.Stop()
	}
	cs := make([]*conn, 0, len(p.conns))
	for _, c := range p.conns {
		cs = append(cs, c)
	}
	p.conns = map[string]*conn{}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			c.close()
			h.saveLog(c.name)
		})
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sb != nil && p.Own {
		_ = p.sb.Close()
	}
	p.sb = nil
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
