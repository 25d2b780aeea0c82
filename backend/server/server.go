// Package server is `corral serve`: the embedded UI and the backend API over HTTP on
// loopback, for people who would rather use a browser than the window, and for end-to-end
// tests in Chromium.
//
// It exposes exactly the services the window binds (same "Struct.Method" names, same JSON),
// and guards them: a secret token (then a cookie), a Host check against DNS rebinding, and
// an Origin check against other web pages. It must not know what the services do.
package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// ErrNotLoopback is returned by Listen for an address other processes on the network could
// reach, unless remote access was allowed.
var ErrNotLoopback = errors.New("server: address is not loopback")

// maxBody caps an API request body.
const maxBody = 8 << 20

// Timeouts of a connection: reading a request's headers, reading a whole request, writing a
// response (an event stream extends it before each write), and waiting idle between
// requests. A client that stops reading or writing is dropped, so idle or stalled
// connections cannot pile up.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = time.Minute
	idleTimeout       = time.Minute
)

// DefaultMaxConns is the connection limit when Options.MaxConns is zero.
const DefaultMaxConns = 256

// Options configures a Server.
type Options struct {
	// Assets is the built UI (frontend/dist): index.html at its root.
	Assets fs.FS
	// Services are the bound services; each exported method is callable as "Struct.Method".
	Services []any
	// Token is the access secret; empty means a fresh random one.
	Token string
	// AllowRemote skips the loopback Host check, for --allow-remote.
	AllowRemote bool
	// MaxConns bounds the open connections; zero means DefaultMaxConns. At the limit a new
	// connection closes the longest-idle one (or one that has sent nothing yet), so a
	// client holding many idle connections cannot lock anyone out.
	MaxConns int
}

// Server is the HTTP face of Corral.
type Server struct {
	token       string
	cookie      string
	allowRemote bool
	methods     methods
	mux         *http.ServeMux
	events      hub
	conns       *connLimit
}

// New builds a Server. It fails if a service cannot be bound.
func New(opts Options) (*Server, error) {
	ms, err := bind(opts.Services)
	if err != nil {
		return nil, err
	}
	token := opts.Token
	if token == "" {
		token = NewToken()
	}
	// The cookie name is derived from the token, so two servers on different ports of the
	// same host (cookies ignore ports) do not overwrite each other's cookie.
	sum := sha256.Sum256([]byte(token))
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	s := &Server{token: token, cookie: "corral_" + hex.EncodeToString(sum[:4]), allowRemote: opts.AllowRemote, methods: ms, mux: http.NewServeMux(),
		conns: newConnLimit(maxConns)}
	s.mux.HandleFunc("POST /api/call/{name}", s.handleCall)
	s.mux.HandleFunc("GET /api/methods", s.handleMethods)
	s.mux.HandleFunc("GET /api/events", s.handleEvents)
	if opts.Assets != nil {
		s.mux.Handle("GET /", assetHandler(opts.Assets))
	}
	return s, nil
}

// NewToken returns a fresh random URL-safe secret.
func NewToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Token returns the access secret.
func (s *Server) Token() string { return s.token }

// URL is the address to open in a browser: it carries the token once, after which the
// browser holds a cookie.
func (s *Server) URL(addr net.Addr) string {
	return (&url.URL{Scheme: "http", Host: addr.String(), Path: "/", RawQuery: "token=" + s.token}).String()
}

// Handler returns the guarded handler for every route.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.guard) }

// Listen opens addr, refusing non-loopback addresses unless allowRemote is set. An empty
// host (":7777") means every interface and counts as remote.
func Listen(addr string, allowRemote bool) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen address %q: %w", addr, err)
	}
	if !allowRemote && !isLoopback(host) {
		return nil, fmt.Errorf("%w: refusing to listen on %q; anyone who can reach it and learns the token can run commands on this machine (pass --allow-remote to do it anyway)", ErrNotLoopback, addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen: %w", err)
	}
	return l, nil
}

// Serve answers requests on l until ctx is done, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.conns.track,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			return fmt.Errorf("server: shutdown: %w", err)
		}
		return nil
	}
}

// guard enforces, in order: a loopback Host (DNS rebinding), a same-origin Origin and no
// cross-site fetch (other web pages), then the token (401 without it).
func (s *Server) guard(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if !s.allowRemote && !isLoopback(host) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("forbidden: host %q is not a loopback address", r.Host))
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
		httpError(w, http.StatusForbidden, fmt.Sprintf("forbidden: cross-origin request from %q", origin))
		return
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		httpError(w, http.StatusForbidden, "forbidden: cross-site request")
		return
	}
	if t := r.URL.Query().Get("token"); t != "" && s.validToken(t) {
		http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: s.token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		if r.Method == http.MethodGet {
			http.Redirect(w, r, localTarget(r.URL), http.StatusSeeOther)
			return
		}
		s.mux.ServeHTTP(w, r)
		return
	}
	if c, err := r.Cookie(s.cookie); err == nil && s.validToken(c.Value) {
		s.mux.ServeHTTP(w, r)
		return
	}
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.validToken(b) {
		s.mux.ServeHTTP(w, r)
		return
	}
	unauthorized(w, r)
}

func (s *Server) validToken(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.token)) == 1
}

func (s *Server) handleCall(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	m, ok := s.methods[name]
	if !ok {
		httpError(w, http.StatusNotFound, fmt.Sprintf("no such method %q", name))
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		// A JSON content type cannot be sent cross-site without a CORS preflight, which we
		// never answer: one more wall in front of the Origin check.
		httpError(w, http.StatusUnsupportedMediaType, "want Content-Type: application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("read request: %v", err))
		return
	}
	result, err := m.call(name, body)
	switch {
	case errors.Is(err, errBadArgs):
		httpError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		httpError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, result)
	}
}

func (s *Server) handleMethods(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.methods.names())
}

// assetHandler serves the built UI; index.html is never cached so a new build shows at once.
func assetHandler(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		files.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// isLoopback reports whether host (no port) names this machine only: "localhost", a
// "*.localhost" name (RFC 6761), or a loopback IP.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin reports whether a browser Origin header names this server as the request saw
// it. An origin is exactly scheme://host[:port] (RFC 6454): user info, a path, a query or a
// fragment make it no origin at all, so "http://evil@127.0.0.1:PORT" is refused.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Opaque != "" || u.Path != "" || u.RawQuery != "" ||
		u.Fragment != "" || u.ForceQuery || strings.ContainsAny(origin, "@\\ \t") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// localTarget is where to send a browser after it traded the token for a cookie: the same
// path on this server, without the token. The path is cleaned to one leading slash (a
// backslash counts as a slash, as browsers read it), so "//evil.example/" or "/\evil" can
// never become a redirect to another host.
func localTarget(u *url.URL) string {
	q := u.Query()
	q.Del("token")
	p := path.Clean("/" + strings.ReplaceAll(u.Path, "\\", "/"))
	return (&url.URL{Path: p, RawQuery: q.Encode()}).RequestURI()
}
