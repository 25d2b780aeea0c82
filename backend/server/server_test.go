package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// Greeter is a stand-in bound service with each result shape a method may have.
type Greeter struct{ calls int }

type Greeting struct {
	Text string `json:"text"`
}

func (g *Greeter) Hello(name string, times int) (Greeting, error) {
	g.calls++
	return Greeting{Text: strings.Repeat("hi "+name+" ", times)}, nil
}
func (g *Greeter) Fail() (Greeting, error) { return Greeting{}, errors.New("greeter is tired") }
func (g *Greeter) Count() int              { return g.calls }
func (g *Greeter) Reset()                  { g.calls = 0 }

const token = "test-token"

func newTestServer(t *testing.T) (*Server, *Greeter) {
	t.Helper()
	g := &Greeter{}
	s, err := New(Options{
		Assets:   fstest.MapFS{"index.html": {Data: []byte("<title>Corral</title>")}},
		Services: []any{g},
		Token:    token,
	})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return s, g
}

func TestGuard(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	authCookie := &http.Cookie{Name: s.cookie, Value: token}
	tests := []struct {
		name       string
		method     string
		target     string
		host       string
		header     map[string]string
		cookie     *http.Cookie
		wantStatus int
		wantCookie bool
		wantBody   string
	}{
		{name: "no token", method: "GET", target: "/", wantStatus: 401, wantBody: "unauthorized"},
		{name: "no token api", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Content-Type": "application/json"}, wantStatus: 401},
		{name: "wrong token", method: "GET", target: "/?token=nope", wantStatus: 401},
		{name: "wrong cookie", method: "GET", target: "/", cookie: &http.Cookie{Name: s.cookie, Value: "nope"}, wantStatus: 401},
		{name: "token sets cookie and redirects", method: "GET", target: "/?token=" + token, wantStatus: 303, wantCookie: true},
		{name: "cookie serves ui", method: "GET", target: "/", cookie: authCookie, wantStatus: 200, wantBody: "<title>Corral</title>"},
		{name: "bearer serves api", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}, wantStatus: 200, wantBody: "0"},
		{name: "localhost host", method: "GET", target: "/", host: "localhost:7777", cookie: authCookie, wantStatus: 200},
		{name: "ipv6 loopback host", method: "GET", target: "/", host: "[::1]:7777", cookie: authCookie, wantStatus: 200},
		{name: "dot localhost host", method: "GET", target: "/", host: "corral.localhost:7777", cookie: authCookie, wantStatus: 200},
		{name: "rebinding host", method: "GET", target: "/?token=" + token, host: "evil.example:7777", wantStatus: 403, wantBody: "not a loopback"},
		{name: "rebinding host with cookie", method: "GET", target: "/", host: "evil.example:7777", cookie: authCookie, wantStatus: 403},
		{name: "lan ip host", method: "GET", target: "/", host: "192.168.1.5:7777", cookie: authCookie, wantStatus: 403},
		{name: "foreign origin", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, cookie: authCookie, wantStatus: 403, wantBody: "cross-origin"},
		{name: "other port origin", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Origin": "http://127.0.0.1:9999", "Content-Type": "application/json"}, cookie: authCookie, wantStatus: 403},
		{name: "null origin", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Origin": "null", "Content-Type": "application/json"}, cookie: authCookie, wantStatus: 403},
		{name: "same origin", method: "POST", target: "/api/call/Greeter.Count", header: map[string]string{"Origin": "http://127.0.0.1:7777", "Content-Type": "application/json"}, cookie: authCookie, wantStatus: 200},
		{name: "cross-site fetch", method: "GET", target: "/", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, cookie: authCookie, wantStatus: 403},
		{name: "form post refused", method: "POST", target: "/api/call/Greeter.Reset", header: map[string]string{"Content-Type": "text/plain"}, cookie: authCookie, wantStatus: 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.Host = "127.0.0.1:7777"
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.cookie != nil {
				req.AddCookie(tt.cookie)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("%s %s (Host %s) = %d %s, want %d", tt.method, tt.target, req.Host, rec.Code, rec.Body, tt.wantStatus)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.target, rec.Body, tt.wantBody)
			}
			var got *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == s.cookie {
					got = c
				}
			}
			if (got != nil) != tt.wantCookie {
				t.Fatalf("%s %s set cookie %v, want cookie %v", tt.method, tt.target, got, tt.wantCookie)
			}
			if got != nil {
				if got.Value != token || !got.HttpOnly || got.SameSite != http.SameSiteStrictMode {
					t.Errorf("cookie = %+v, want the token, HttpOnly, SameSite=Strict", got)
				}
				if loc := rec.Header().Get("Location"); strings.Contains(loc, "token") {
					t.Errorf("redirect Location = %q, want the token stripped", loc)
				}
			}
		})
	}
}

func TestAllowRemoteSkipsHostCheckOnly(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Services: []any{&Greeter{}}, Token: token, AllowRemote: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		cookie bool
		want   int
	}{{"lan host with cookie", true, 200}, {"lan host without token", false, 401}} {
		req := httptest.NewRequest("POST", "/api/call/Greeter.Count", nil)
		req.Host = "192.168.1.5:7777"
		req.Header.Set("Content-Type", "application/json")
		if tt.cookie {
			req.AddCookie(&http.Cookie{Name: s.cookie, Value: token})
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status = %d, want %d", tt.name, rec.Code, tt.want)
		}
	}
}

func TestCall(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	tests := []struct {
		name       string
		method     string
		body       string
		wantStatus int
		wantBody   string
	}{
		{name: "result", method: "Greeter.Hello", body: `["ada", 2]`, wantStatus: 200, wantBody: `{"text":"hi ada hi ada "}`},
		{name: "method error", method: "Greeter.Fail", body: `[]`, wantStatus: 500, wantBody: `{"error":"greeter is tired"}`},
		{name: "no result is null", method: "Greeter.Reset", body: `[]`, wantStatus: 200, wantBody: `null`},
		{name: "empty body means no args", method: "Greeter.Count", body: ``, wantStatus: 200},
		{name: "too few args", method: "Greeter.Hello", body: `["ada"]`, wantStatus: 400, wantBody: "takes 2 argument(s), got 1"},
		{name: "wrong arg type", method: "Greeter.Hello", body: `["ada", "two"]`, wantStatus: 400, wantBody: "argument 2"},
		{name: "not an array", method: "Greeter.Hello", body: `{"name":"ada"}`, wantStatus: 400, wantBody: "JSON array"},
		{name: "unknown method", method: "Greeter.Nope", body: `[]`, wantStatus: 404, wantBody: "no such method"},
		{name: "unexported is unknown", method: "Greeter.calls", body: `[]`, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest("POST", "/api/call/"+tt.method, strings.NewReader(tt.body))
			req.Host = "127.0.0.1:7777"
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("call %s(%s) = %d %s, want %d containing %s", tt.method, tt.body, rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestBindRejects(t *testing.T) {
	t.Parallel()
	type plain struct{}
	for _, svc := range []any{plain{}, new(int), &badResults{}} {
		if _, err := New(Options{Services: []any{svc}}); err == nil {
			t.Errorf("New(Services: %T) = nil error, want one", svc)
		}
	}
}

type badResults struct{}

func (*badResults) Two() (int, int) { return 1, 2 }

func TestListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr        string
		allowRemote bool
		wantErr     error
	}{
		{addr: "127.0.0.1:0"},
		{addr: "localhost:0"},
		{addr: "[::1]:0"},
		{addr: ":0", wantErr: ErrNotLoopback},
		{addr: "0.0.0.0:0", wantErr: ErrNotLoopback},
		{addr: "0.0.0.0:0", allowRemote: true},
	}
	for _, tt := range tests {
		l, err := Listen(tt.addr, tt.allowRemote)
		if l != nil {
			l.Close()
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && tt.addr == "[::1]:0" {
			continue // no IPv6 loopback on this machine: nothing to check
		}
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("Listen(%q, %v) = %v, want %v", tt.addr, tt.allowRemote, err, tt.wantErr)
		}
	}
}

// TestServeEndToEnd runs the real listener and a cookie-keeping client through the token
// hand-off, then calls a method, as a browser would.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	s, g := newTestServer(t)
	l, err := Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v after cancel, want nil", err)
		}
	})

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	resp, err := c.Get(s.URL(l.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Corral") || strings.Contains(resp.Request.URL.String(), "token") {
		t.Fatalf("GET %s = %d at %s, want the UI at a URL without the token", s.URL(l.Addr()), resp.StatusCode, resp.Request.URL)
	}
	resp, err = c.Post("http://"+l.Addr().String()+"/api/call/Greeter.Hello", "application/json", strings.NewReader(`["bo",1]`))
	if err != nil {
		t.Fatal(err)
	}
	var got Greeting
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("decode Greeter.Hello result: %v", err)
	}
	if got.Text != "hi bo " || g.Count() != 1 {
		t.Errorf("Greeter.Hello over HTTP = %q (calls %d), want %q (calls 1)", got.Text, g.Count(), "hi bo ")
	}
}

// TestEvents connects like an EventSource, emits two events and reads them back in order;
// a request without the cookie is refused like any other.
func TestEvents(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/events without token = %d, want 401", resp.StatusCode)
	}

	req, _ := http.NewRequest("GET", srv.URL+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	rd := bufio.NewReader(resp.Body)
	if line, _ := rd.ReadString('\n'); line != ": connected\n" {
		t.Fatalf("first line = %q, want the connected comment", line) // the client is registered now
	}
	s.Emit("corral:runs", []int{1})
	s.Emit("corral:runs", []int{2})
	var got []string
	for len(got) < 2 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			got = append(got, strings.TrimSpace(data))
		}
	}
	want := []string{`{"name":"corral:runs","data":[1]}`, `{"name":"corral:runs","data":[2]}`}
	if got[0] != want[0] || got[1] != want[1] {
		t.Errorf("events = %q, want %q", got, want)
	}
}
