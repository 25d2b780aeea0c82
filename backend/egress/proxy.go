package egress

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Event is one connection attempt through the proxy: a CONNECT tunnel or
// one forwarded HTTP request.
type Event struct {
	Time time.Time `json:"time"`
	// Method is CONNECT for a tunnel, else the HTTP method forwarded.
	Method string `json:"method"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
	// URL is the forwarded request's URL (plain HTTP only).
	URL     string `json:"url,omitempty"`
	Allowed bool   `json:"allowed"`
	// Rule is the allowlist or deny entry that decided, if one did.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Status is the HTTP status the upstream answered (plain HTTP).
	Status int `json:"status,omitempty"`
	// BytesOut went from the sandbox to the host, BytesIn came back.
	BytesOut   int64 `json:"bytes_out"`
	BytesIn    int64 `json:"bytes_in"`
	DurationMS int64 `json:"duration_ms"`
	// Error is what went wrong after the policy allowed it (resolve, dial,
	// TLS server name), empty when nothing did.
	Error string `json:"error,omitempty"`
}

// Describe is ev in one line for a person or a model: "allowed GET
// allowed.test:80 (200, 141 B in, 0 B out, 3 ms)" or "blocked CONNECT
// denied.test:443: denied.test:443 is not on the allowlist".
func Describe(ev Event) string {
	target := net.JoinHostPort(ev.Host, strconv.Itoa(ev.Port))
	if !ev.Allowed {
		why := ev.Reason
		if ev.Error != "" {
			why = ev.Error
		}
		return fmt.Sprintf("blocked %s %s: %s", ev.Method, target, why)
	}
	s := fmt.Sprintf("allowed %s %s (", ev.Method, target)
	if ev.Status != 0 {
		s += strconv.Itoa(ev.Status) + ", "
	}
	s += fmt.Sprintf("%d B in, %d B out, %d ms)", ev.BytesIn, ev.BytesOut, ev.DurationMS)
	if ev.Error != "" {
		s += ": " + ev.Error
	}
	return s
}

// AllowPattern is the host pattern a net(...) rule needs to let ev through: the host, with
// its port when it is not 80 or 443 (a pattern without a port allows those two).
func AllowPattern(ev Event) string {
	host := ev.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if ev.Port == 80 || ev.Port == 443 || ev.Port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(ev.Port)
}

// Resolver resolves host names for the proxy; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a Proxy.
type Options struct {
	Policy Policy
	// Resolver resolves names (IPv4 only); nil is net.DefaultResolver.
	// Tests map made-up names (*.test) to their own servers here.
	Resolver Resolver
	// UpstreamTLS is the TLS configuration for absolute https:// URLs a
	// client sends as a plain proxy request (busybox wget does); nil is the
	// system's roots.
	UpstreamTLS *tls.Config
	// OnEvent receives every attempt when it ends, from the connection's
	// goroutine; it must not block for long.
	OnEvent func(Event)
	// AllowLocal lets a name resolve to a loopback, link-local or
	// unspecified address (tests serving *.test names on 127.0.0.1). Off,
	// such an answer is refused, so an allowed name cannot be pointed at
	// the host's own services or a cloud metadata address; an IP literal
	// the allowlist names is always dialled.
	AllowLocal bool
	// Timeout bounds resolving and dialing (default 10 s) and reading a
	// client's request head or TLS ClientHello.
	Timeout time.Duration
}

// Proxy is an HTTP forward proxy (and CONNECT for HTTPS) that lets
// through only what its Policy allows. Start with Serve on any listener
// (TCP on a Docker network's gateway, a Unix socket for the local
// sandbox); Close stops every listener and connection. Safe for concurrent use.
type Proxy struct {
	opts      Options
	policy    atomic.Pointer[Policy]
	transport *http.Transport

	mu     sync.Mutex
	lns    map[net.Listener]struct{}
	conns  map[net.Conn]struct{}
	idle   chan struct{} // closed while no connection is open
	closed bool
	wg     sync.WaitGroup
}

// New makes a proxy; it serves nothing until Serve.
func New(opts Options) *Proxy {
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	p := &Proxy{opts: opts, lns: map[net.Listener]struct{}{}, conns: map[net.Conn]struct{}{}, idle: make(chan struct{})}
	close(p.idle)
	pol := opts.Policy
	p.policy.Store(&pol)
	p.transport = &http.Transport{
		DialContext:           func(ctx context.Context, _, addr string) (net.Conn, error) { return p.dial(ctx, addr) },
		TLSClientConfig:       opts.UpstreamTLS,
		Proxy:                 nil,
		ForceAttemptHTTP2:     false,
		MaxIdleConns:          8,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		DisableCompression:    true,
	}
	return p
}

// SetPolicy replaces the policy for connections that start from now on.
func (p *Proxy) SetPolicy(pol Policy) { p.policy.Store(&pol) }

// Policy is the policy in force.
func (p *Proxy) Policy() Policy { return *p.policy.Load() }

// ErrClosed is Serve's error after Close.
var ErrClosed = errors.New("egress: proxy closed")

// Serve accepts connections on l until Close; it closes l.
func (p *Proxy) Serve(l net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	p.lns[l] = struct{}{}
	p.mu.Unlock()
	defer l.Close()
	for {
		c, err := l.Accept()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			delete(p.lns, l)
			p.mu.Unlock()
			if closed {
				return ErrClosed
			}
			return fmt.Errorf("egress: accept: %w", err)
		}
		if !p.track(c) {
			c.Close()
			return ErrClosed
		}
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			p.serveConn(c)
		}()
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if len(p.conns) == 0 {
		p.idle = make(chan struct{})
	}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	if len(p.conns) == 0 {
		close(p.idle)
	}
	p.mu.Unlock()
}

// Quiet waits until no connection is open (so every attempt so far has
// its event) or ctx ends, and reports which.
func (p *Proxy) Quiet(ctx context.Context) bool {
	p.mu.Lock()
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-ctx.Done():
		return false
	}
}

// Close stops every listener and connection and waits for their goroutines.
// It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for l := range p.lns {
		l.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.transport.CloseIdleConnections()
	return nil
}

// serveConn handles one client connection: one CONNECT, or a series of
// plain proxy requests.
func (p *Proxy) serveConn(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		_ = c.SetReadDeadline(time.Now().Add(p.opts.Timeout * 6))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_ = c.SetReadDeadline(time.Time{})
		if req.Method == http.MethodConnect {
			p.tunnel(c, br, req)
			return
		}
		if !p.forward(c, req) {
			return
		}
	}
}

// target splits a request's host:port, with def as the port when absent.
func target(hostport string, def int) (string, int, error) {
	host, port := hostport, def
	if h, ps, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return "", 0, fmt.Errorf("bad port %q", ps)
		}
		host, port = h, n
	}
	host = normalName(host)
	if host == "" {
		return "", 0, errors.New("no host")
	}
	return host, port, nil
}

func (p *Proxy) emit(ev Event, start time.Time) {
	ev.DurationMS = time.Since(start).Milliseconds()
	if p.opts.OnEvent != nil {
		p.opts.OnEvent(ev)
	}
}

// refuse answers a blocked request with 403 and a body that says why and how to allow it.
func refuse(w io.Writer, status int, msg string) {
	body := "corral egress: " + msg + "\n"
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\nX-Corral-Egress: blocked\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
}

func blockedText(host string, port int, d Decision) string {
	return "blocked " + host + ": " + d.Reason + " (allow it with: corral allow-host " + AllowPattern(Event{Host: host, Port: port}) + ")"
}

// tunnel handles CONNECT: policy, then the client's TLS ClientHello, whose
// server name must be the CONNECT host, then bytes both ways.
func (p *Proxy) tunnel(c net.Conn, br *bufio.Reader, req *http.Request) {
	start := time.Now()
	host, port, err := target(req.Host, 443)
	ev := Event{Time: start.UTC(), Method: http.MethodConnect, Host: host, Port: port}
	if err != nil {
		ev.Reason = "bad CONNECT target: " + err.Error()
		refuse(c, http.StatusBadRequest, ev.Reason)
		p.emit(ev, start)
		return
	}
	d := p.Policy().Decide(host, port)
	ev.Allowed, ev.Rule, ev.Reason = d.Allowed, d.Rule, d.Reason
	if !d.Allowed {
		refuse(c, http.StatusForbidden, blockedText(host, port, d))
		p.emit(ev, start)
		return
	}
	fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(p.opts.Timeout))
	sni, head, err := clientHello(br)
	_ = c.SetReadDeadline(time.Time{})
	_, isIP := parseIP(host)
	switch {
	case err != nil:
		ev.Allowed, ev.Error = false, "not a TLS ClientHello: only HTTPS goes through CONNECT"
	case normalName(sni) != host && (!isIP || sni != ""):
		ev.Allowed, ev.Error = false, fmt.Sprintf("TLS server name %q is not the CONNECT host %q", sni, host)
	}
	if ev.Error != "" {
		ev.Reason = ev.Error
		p.emit(ev, start)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.Timeout)
	up, err := p.dial(ctx, net.JoinHostPort(host, strconv.Itoa(port)))
	cancel()
	if err != nil {
		ev.Error = err.Error()
		p.emit(ev, start)
		return
	}
	defer up.Close()
	n, err := up.Write(head)
	ev.BytesOut = int64(n)
	if err != nil {
		ev.Error = err.Error()
		p.emit(ev, start)
		return
	}
	out, in := pipe(c, io.MultiReader(br), up)
	ev.BytesOut += out
	ev.BytesIn = in
	p.emit(ev, start)
}

// pipe copies client->up (reading from r, the client's buffered reader)
// and up->client until both directions end; it returns the byte counts.
func pipe(c net.Conn, r io.Reader, up net.Conn) (out, in int64) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		out, _ = io.Copy(up, r)
		if tc, ok := up.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		} else {
			up.Close()
		}
	}()
	in, _ = io.Copy(c, up)
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	} else {
		c.Close()
	}
	// The client may keep its side open after the server finished.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	wg.Wait()
	return out, in
}

// forward handles one plain proxy request (absolute http:// or https://
// URL); it reports whether the connection may carry another.
func (p *Proxy) forward(c net.Conn, req *http.Request) bool {
	start := time.Now()
	defer req.Body.Close()
	ev := Event{Time: start.UTC(), Method: req.Method}
	if req.URL == nil || !req.URL.IsAbs() || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		ev.Host = req.Host
		ev.Reason = "not a proxy request (want an absolute http:// URL, or CONNECT)"
		refuse(c, http.StatusBadRequest, ev.Reason)
		p.emit(ev, start)
		return false
	}
	def := 80
	if req.URL.Scheme == "https" {
		def = 443
	}
	host, port, err := target(req.URL.Host, def)
	ev.Host, ev.Port = host, port
	ev.URL = req.URL.Scheme + "://" + req.URL.Host + req.URL.EscapedPath()
	if err != nil {
		ev.Reason = "bad target: " + err.Error()
		refuse(c, http.StatusBadRequest, ev.Reason)
		p.emit(ev, start)
		return false
	}
	d := p.Policy().Decide(host, port)
	ev.Allowed, ev.Rule, ev.Reason = d.Allowed, d.Rule, d.Reason
	if !d.Allowed {
		refuse(c, http.StatusForbidden, blockedText(host, port, d))
		p.emit(ev, start)
		return false
	}
	out := req.Clone(context.Background())
	out.RequestURI = ""
	// The upstream sees the host the policy judged, never a Host header naming another
	// (fronting a disallowed name on an allowed address); http.ReadRequest already ignores
	// Host for an absolute URL, this keeps it so whatever reads the request.
	out.Host = req.URL.Host
	for _, h := range []string{"Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate", "Connection", "Keep-Alive", "Te", "Trailer", "Upgrade"} {
		out.Header.Del(h)
	}
	body := &countReader{r: req.Body}
	if req.Body != nil && req.Body != http.NoBody {
		out.Body = body
	}
	resp, err := p.transport.RoundTrip(out)
	ev.BytesOut = body.n
	if err != nil {
		ev.Error = err.Error()
		refuse(c, http.StatusBadGateway, host+": "+err.Error())
		p.emit(ev, start)
		return false
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	resp.Header.Del("Connection")
	resp.Header.Del("Keep-Alive")
	cw := &countWriter{w: c}
	err = resp.Write(cw)
	ev.BytesIn = cw.n
	if err != nil {
		ev.Error = err.Error()
	}
	p.emit(ev, start)
	return err == nil && !req.Close && !resp.Close
}

// dial resolves addr's host (IPv4 only: no IPv6 leaves the sandbox) and
// connects to the first address that answers.
func (p *Proxy) dial(ctx context.Context, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, ok := parseIP(host); ok {
		ips = []netip.Addr{ip}
	} else {
		ips, err = p.opts.Resolver.LookupNetIP(ctx, "ip4", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if !p.opts.AllowLocal {
			ips = slices.DeleteFunc(ips, func(ip netip.Addr) bool {
				ip = ip.Unmap()
				return ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast()
			})
			if len(ips) == 0 {
				return nil, fmt.Errorf("resolve %s: only local addresses (loopback, link-local), which are not let out", host)
			}
		}
	}
	var d net.Dialer
	var errs []error
	for _, ip := range ips {
		if !ip.Unmap().Is4() {
			errs = append(errs, fmt.Errorf("%s: IPv6 is not let out", ip))
			continue
		}
		c, err := d.DialContext(ctx, "tcp4", net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("resolve %s: no IPv4 address", host)
	}
	return nil, errors.Join(errs...)
}

func parseIP(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return ip, err == nil
}

// errHello stops the handshake once the ClientHello is read.
var errHello = errors.New("egress: hello read")

// clientHello reads a TLS ClientHello from r and returns its server name
// and the bytes read, to be replayed to the upstream.
func clientHello(r io.Reader) (string, []byte, error) {
	var buf bytes.Buffer
	var sni string
	var got bool
	conn := helloConn{r: io.TeeReader(r, &buf)}
	err := tls.Server(conn, &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		sni, got = h.ServerName, true
		return nil, errHello
	}}).Handshake()
	if !got {
		return "", buf.Bytes(), fmt.Errorf("read ClientHello: %w", err)
	}
	return sni, buf.Bytes(), nil
}

// helloConn is a net.Conn that only reads: enough for tls.Server to read a ClientHello.
type helloConn struct{ r io.Reader }

func (c helloConn) Read(b []byte) (int, error)     { return c.r.Read(b) }
func (helloConn) Write(b []byte) (int, error)      { return 0, io.ErrClosedPipe }
func (helloConn) Close() error                     { return nil }
func (helloConn) LocalAddr() net.Addr              { return nil }
func (helloConn) RemoteAddr() net.Addr             { return nil }
func (helloConn) SetDeadline(time.Time) error      { return nil }
func (helloConn) SetReadDeadline(time.Time) error  { return nil }
func (helloConn) SetWriteDeadline(time.Time) error { return nil }

type countReader struct {
	r io.ReadCloser
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
func (c *countReader) Close() error { return c.r.Close() }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
