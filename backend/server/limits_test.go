package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOriginParsed (issue 14 finding 8): the Origin header is compared as a parsed origin;
// user info, a path or other decorations around this server's host are refused.
func TestOriginParsed(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	const host = "127.0.0.1:7777"
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{"Same", "http://127.0.0.1:7777", http.StatusOK},
		{"SameUpperCase", "http://127.0.0.1:7777", http.StatusOK},
		{"UserInfo", "http://evil@127.0.0.1:7777", http.StatusForbidden},
		{"UserAndPassword", "http://evil:pw@127.0.0.1:7777", http.StatusForbidden},
		{"EncodedAt", "http://evil%40127.0.0.1:7777", http.StatusForbidden},
		{"Path", "http://127.0.0.1:7777/x", http.StatusForbidden},
		{"Query", "http://127.0.0.1:7777?x", http.StatusForbidden},
		{"Fragment", "http://127.0.0.1:7777#x", http.StatusForbidden},
		{"Backslash", `http://evil\@127.0.0.1:7777`, http.StatusForbidden},
		{"Null", "null", http.StatusForbidden},
		{"OtherPort", "http://127.0.0.1:7778", http.StatusForbidden},
		{"Https", "https://127.0.0.1:7777", http.StatusForbidden},
		{"EvilHost", "http://evil.test", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "http://"+host+"/api/methods", nil)
			req.Host = host
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("GET with Origin %q = %d, want %d", tt.origin, rec.Code, tt.want)
			}
		})
	}
}

// TestNoOpenRedirect (issue 14 finding 8): trading the token for a cookie redirects to a
// path on this server, never to another host, however the path is spelled.
func TestNoOpenRedirect(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	tests := []struct {
		name   string
		target string // request target as sent on the wire
		want   string
	}{
		{"Root", "/?token=" + token, "/"},
		{"KeepsPathAndQuery", "/runs/x?a=1&token=" + token, "/runs/x?a=1"},
		{"DoubleSlash", "//evil.example/?token=" + token, "/evil.example"},
		{"TripleSlash", "///evil.example/?token=" + token, "/evil.example"},
		{"Backslash", `/\evil.example/?token=` + token, "/evil.example"},
		{"BackslashTwice", `/\\evil.example?token=` + token, "/evil.example"},
		{"EncodedSlash", "/%2F%2Fevil.example?token=" + token, "/evil.example"},
		{"EncodedBackslash", "/%5Cevil.example?token=" + token, "/evil.example"},
		{"DotDot", "/../..//evil.example?token=" + token, "/evil.example"},
		{"Tab", "/%09/evil.example?token=" + token, "/%09/evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("GET", "http://127.0.0.1:7777/", nil)
			req.RequestURI = tt.target
			u, err := url.ParseRequestURI(tt.target) // as the server parses a request line
			if err != nil {
				t.Fatalf("parse %q: %v", tt.target, err)
			}
			req.URL = u
			req.Host = "127.0.0.1:7777"
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || loc != tt.want {
				t.Errorf("GET %s = %d Location %q, want 303 to %q", tt.target, rec.Code, loc, tt.want)
			}
			if strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`) || strings.Contains(loc, "://") {
				t.Errorf("GET %s redirects to %q, another host", tt.target, loc)
			}
		})
	}
}

// TestIdleFloodDoesNotLockOut (issue 14 finding 8): an unauthenticated client holding more
// idle keep-alive connections than the limit does not keep the token holder out; its
// oldest idle connections are closed.
func TestIdleFloodDoesNotLockOut(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	l, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := l.Addr().String()

	const flood = DefaultMaxConns + 64
	var idle []net.Conn
	t.Cleanup(func() {
		for _, c := range idle {
			c.Close()
		}
	})
	for i := range flood {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial #%d: %v", i, err)
		}
		idle = append(idle, c)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /api/methods HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			// An evicted connection may be closed before its answer: that is the limit at work.
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unauthenticated GET #%d = %d, want 401", i, resp.StatusCode)
		}
	}

	c := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/methods", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("token holder's GET after %d idle connections: %v", flood, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token holder's GET = %d, want 200", resp.StatusCode)
	}

	// The flood's oldest connections were closed by the server: reading them ends at once.
	var closed sync.WaitGroup
	var mu sync.Mutex
	n := 0
	deadline := time.Now().Add(2 * time.Second)
	for _, c := range idle {
		closed.Add(1)
		go func() {
			defer closed.Done()
			c.SetReadDeadline(deadline)
			if _, err := c.Read(make([]byte, 1)); err == io.EOF || err != nil && !isTimeout(err) {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	closed.Wait()
	if min := flood + 1 - DefaultMaxConns; n < min {
		t.Errorf("server closed %d of %d idle connections, want at least %d (limit %d)", n, flood, min, DefaultMaxConns)
	}
	if open := s.conns.open(); open > DefaultMaxConns {
		t.Errorf("server tracks %d open connections, want at most %d", open, DefaultMaxConns)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
