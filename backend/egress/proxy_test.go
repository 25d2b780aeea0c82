package egress_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
)

// events collects a proxy's events.
type events struct {
	mu   sync.Mutex
	evs  []egress.Event
	more chan struct{}
}

func (e *events) add(ev egress.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
	select {
	case e.more <- struct{}{}:
	default:
	}
}

// wait returns once n events arrived, or fails after 10 s.
func (e *events) wait(t *testing.T, n int) []egress.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if l := e.list(); len(l) >= n {
			return l
		}
		select {
		case <-e.more:
		case <-deadline:
			t.Fatalf("%d events after 10 s, want %d: %+v", len(e.list()), n, e.list())
		}
	}
}
func (e *events) list() []egress.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]egress.Event(nil), e.evs...)
}

// startProxy serves a proxy for srv's names on 127.0.0.1 with the corpus's allowlist.
func startProxy(t *testing.T, srv *egresstest.Servers, mode egress.Mode) (string, *events) {
	t.Helper()
	pol, err := egress.NewPolicy(mode, srv.Allowlist(), nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := &events{more: make(chan struct{}, 1)}
	p := egress.New(egress.Options{Policy: pol, Resolver: srv.Hosts(), AllowLocal: true, UpstreamTLS: srv.UpstreamTLS(), OnEvent: evs.add})
	return listen(t, p), evs
}

// listen serves p on 127.0.0.1 until tb ends and returns its address.
func listen(tb testing.TB, p *egress.Proxy) string {
	tb.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go p.Serve(l)
	tb.Cleanup(func() { p.Close() })
	return l.Addr().String()
}

func TestProxyCorpus(t *testing.T) {
	srv := egresstest.Start(t, netip.MustParseAddr("127.0.0.1"))
	addr, evs := startProxy(t, srv, egress.ModeAllowlist)
	proxyURL, _ := url.Parse("http://" + addr)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: srv.Roots}}}
	get := func(u string) (int, string, error) {
		resp, err := client.Get(u)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	hp, tp := srv.HTTPPort(), srv.TLSPort()
	tests := []struct {
		name    string
		url     string
		wantOK  bool
		wantErr bool
	}{
		{"allowed host over HTTP", "http://allowed.test:" + hp + "/", true, false},
		{"disallowed host", "http://denied.test:" + hp + "/", false, false},
		{"raw IP", "http://127.0.0.1:" + hp + "/", false, false},
		{"allowed host over HTTPS (CONNECT)", "https://secure.test:" + tp + "/", true, false},
		{"allowed name on another port", "http://allowed.test:" + tp + "/", false, false},
		{"redirect to a disallowed host", "http://redirect.test:" + hp + "/", false, false},
		{"IPv6 literal", "http://[::1]:" + hp + "/", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, err := get(tc.url)
			if tc.wantOK && (err != nil || code != 200) {
				t.Fatalf("GET %s = %d %q, %v; want 200", tc.url, code, body, err)
			}
			if !tc.wantOK && err == nil && code == 200 {
				t.Fatalf("GET %s = 200 %q; want it blocked", tc.url, body)
			}
			if !tc.wantOK && err == nil && !strings.Contains(body, "corral allow-host") {
				t.Errorf("GET %s body %q does not say how to allow it", tc.url, body)
			}
		})
	}
	if n := srv.Hits(egresstest.Denied); n != 0 {
		t.Errorf("%d requests reached %s", n, egresstest.Denied)
	}
	if n := srv.Hits(egresstest.Secure); n != 1 {
		t.Errorf("%s got %d requests, want 1", egresstest.Secure, n)
	}
	client.CloseIdleConnections() // ends the CONNECT tunnel, whose event comes at its end
	var blocked, allowed int
	for _, ev := range evs.wait(t, 8) {
		if ev.Allowed {
			allowed++
		} else {
			blocked++
		}
	}
	// allowed: allowed.test, secure.test, redirect.test; blocked: the rest and the redirect's target.
	if allowed != 3 || blocked != 5 {
		t.Errorf("events: %d allowed, %d blocked, want 3 and 5: %+v", allowed, blocked, evs.list())
	}
}

// TestProxyHostHeader: a plain request for an allowed URL whose Host header names a
// disallowed host reaches the upstream as the allowed host.
func TestProxyHostHeader(t *testing.T) {
	srv := egresstest.Start(t, netip.MustParseAddr("127.0.0.1"))
	addr, _ := startProxy(t, srv, egress.ModeAllowlist)
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET http://%s:%s/ HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", egresstest.Allowed, srv.HTTPPort(), egresstest.Denied, srv.HTTPPort())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if n := srv.Hits(egresstest.Denied); n != 0 || !strings.Contains(string(body), "hello from "+egresstest.Allowed) {
		t.Errorf("fronted request: %d hits on %s, body %q; want 0 and the allowed host's answer", n, egresstest.Denied, body)
	}
}

// TestProxyConnectSNI: a CONNECT to an allowed host whose ClientHello names
// another host (domain fronting) is cut, and so is a tunnel that is not TLS.
func TestProxyConnectSNI(t *testing.T) {
	srv := egresstest.Start(t, netip.MustParseAddr("127.0.0.1"))
	addr, evs := startProxy(t, srv, egress.ModeAllowlist)
	tests := []struct {
		name, sni string
		raw       bool
	}{
		{name: "other server name", sni: egresstest.Denied},
		{name: "no TLS", raw: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp4", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", egresstest.Secure, srv.TLSPort(), egresstest.Secure, srv.TLSPort())
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("CONNECT: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("CONNECT = %v; want 200", resp.Status)
			}
			if tc.raw {
				fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", egresstest.Denied)
				if _, err := br.ReadByte(); err == nil {
					t.Fatalf("a raw TCP tunnel got an answer")
				}
				return
			}
			tc := tls.Client(&bufConn{Conn: c, r: br}, &tls.Config{ServerName: tc.sni, InsecureSkipVerify: true})
			if err := tc.Handshake(); err == nil {
				t.Fatalf("handshake with SNI %s through a tunnel to %s succeeded", tc.ConnectionState().ServerName, egresstest.Secure)
			}
		})
	}
	if n := srv.Hits(egresstest.Secure); n != 0 {
		t.Errorf("%d requests reached %s", n, egresstest.Secure)
	}
	for _, ev := range evs.wait(t, 2) {
		if ev.Allowed {
			t.Errorf("event %+v is allowed", ev)
		}
	}
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(b []byte) (int, error) { return c.r.Read(b) }

func TestPolicyDecide(t *testing.T) {
	pol, err := egress.NewPolicy(egress.ModeAllowlist, []string{"registry.npmjs.org", "*.github.com", "example.test:8443", "10.1.2.3:*"}, []string{"evil.github.com"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		port int
		want bool
	}{
		{"registry.npmjs.org", 443, true},
		{"REGISTRY.npmjs.org.", 80, true},
		{"registry.npmjs.org", 22, false},
		{"api.github.com", 443, true},
		{"a.b.github.com", 443, true},
		{"github.com", 443, false},
		{"evilgithub.com", 443, false},
		{"evil.github.com", 443, false},
		{"example.test", 8443, true},
		{"example.test", 443, false},
		{"10.1.2.3", 5432, true},
		{"10.1.2.4", 443, false},
		{"::1", 443, false},
	}
	for _, tc := range tests {
		if got := pol.Decide(tc.host, tc.port); got.Allowed != tc.want {
			t.Errorf("Decide(%s, %d) = %+v, want allowed %v", tc.host, tc.port, got, tc.want)
		}
	}
	for _, bad := range []string{"", "*.", "a b", "host:0", "host:99999", "*"} {
		if _, err := egress.ParseHost(bad); err == nil {
			t.Errorf("ParseHost(%q) = nil error, want one", bad)
		}
	}
}
