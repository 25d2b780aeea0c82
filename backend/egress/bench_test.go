package egress_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
)

// BenchmarkGet is one HTTP GET and one HTTPS GET (a new connection each, as a command's
// fetch makes) to a server on 127.0.0.1: direct (the baseline, in the same run), and
// through the proxy with an allowlist (policy, resolving, forwarding, CONNECT with the
// ClientHello read and replayed, an event).
func BenchmarkGet(b *testing.B) {
	srv := egresstest.Start(b, netip.MustParseAddr("127.0.0.1"))
	pol, err := egress.NewPolicy(egress.ModeAllowlist, srv.Allowlist(), nil)
	if err != nil {
		b.Fatal(err)
	}
	p := egress.New(egress.Options{Policy: pol, Resolver: srv.Hosts(), AllowLocal: true, UpstreamTLS: srv.UpstreamTLS(), OnEvent: func(egress.Event) {}})
	addr := listen(b, p)
	proxyURL, _ := url.Parse("http://" + addr)
	direct := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: srv.Roots, ServerName: egresstest.Secure}}
	proxied := &http.Transport{DisableKeepAlives: true, Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: srv.Roots}}
	cases := []struct {
		name string
		tr   *http.Transport
		url  string
		host string
	}{
		{"http/direct", direct, "http://127.0.0.1:" + srv.HTTPPort() + "/", egresstest.Allowed},
		{"http/proxy", proxied, "http://" + egresstest.Allowed + ":" + srv.HTTPPort() + "/", ""},
		{"https/direct", direct, "https://127.0.0.1:" + srv.TLSPort() + "/", ""},
		{"https/proxy", proxied, "https://" + egresstest.Secure + ":" + srv.TLSPort() + "/", ""},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			c := &http.Client{Transport: tc.tr}
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
				if tc.host != "" {
					req.Host = tc.host + ":" + srv.HTTPPort()
				}
				resp, err := c.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s = %d", tc.url, resp.StatusCode)
				}
			}
		})
	}
}
