// Package egresstest holds what the egress tests of every sandbox share:
// a resolver of made-up names (*.test) and a set of servers the test starts
// itself, each counting what reached it, so a corpus can prove that nothing
// leaked. Nothing here reaches beyond the machine.
package egresstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Hosts resolves made-up names to the test's own addresses; it is an
// egress.Resolver.
type Hosts map[string]netip.Addr

// LookupNetIP answers the names in h and fails for any other.
func (h Hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ip, ok := h[host]; ok {
		return []netip.Addr{ip}, nil
	}
	return nil, &net.DNSError{Err: "no such host (test resolver)", Name: host, IsNotFound: true}
}

// Names of the corpus's servers.
const (
	Allowed  = "allowed.test"  // HTTP, on the allowlist
	Denied   = "denied.test"   // HTTP, never on it
	Secure   = "secure.test"   // HTTPS, on the allowlist
	Redirect = "redirect.test" // HTTP on the allowlist, redirecting to Denied
)

// Servers are the corpus's servers on one address, and what reached them.
type Servers struct {
	IP netip.Addr
	// HTTP serves Allowed, Denied and Redirect (by Host); TLS serves Secure.
	HTTP, TLS *httptest.Server
	// Raw is a TCP listener that only counts connections (a bypass target);
	// UDP counts datagrams (DNS tunnelling, raw UDP).
	Raw net.Listener
	UDP net.PacketConn

	// Hits counts requests by host name; RawConns and Datagrams the rest.
	hits                map[string]*atomic.Int64
	total               atomic.Int64
	RawConns, Datagrams atomic.Int64
	// Roots trusts the TLS server's certificate (for the proxy's upstream).
	Roots *x509.CertPool
}

// Start starts the servers on ip (127.0.0.1, or an address the test owns
// such as a Docker network's gateway); t's cleanup stops them.
func Start(t testing.TB, ip netip.Addr) *Servers {
	t.Helper()
	s := &Servers{IP: ip, hits: map[string]*atomic.Int64{}}
	for _, n := range []string{Allowed, Denied, Secure, Redirect} {
		s.hits[n] = new(atomic.Int64)
	}
	listen := func() net.Listener {
		l, err := net.Listen("tcp4", net.JoinHostPort(ip.String(), "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v", ip, err)
		}
		return l
	}
	s.HTTP = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.total.Add(1)
		host, _, _ := net.SplitHostPort(r.Host)
		if c := s.hits[host]; c != nil {
			c.Add(1)
		}
		if host == Redirect {
			http.Redirect(w, r, "http://"+Denied+":"+s.HTTPPort()+"/secret", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "hello from %s\n", host)
	}))
	s.HTTP.Listener = listen()
	s.HTTP.Start()
	t.Cleanup(s.HTTP.Close)
	s.TLS = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.total.Add(1)
		s.hits[Secure].Add(1)
		fmt.Fprintf(w, "hello over TLS from %s\n", r.TLS.ServerName)
	}))
	s.TLS.Listener = listen()
	cert, leaf := selfSigned(t, Secure)
	s.TLS.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.TLS.StartTLS()
	t.Cleanup(s.TLS.Close)
	s.Roots = x509.NewCertPool()
	s.Roots.AddCert(leaf)
	s.Raw = listen()
	t.Cleanup(func() { s.Raw.Close() })
	go func() {
		for {
			c, err := s.Raw.Accept()
			if err != nil {
				return
			}
			s.RawConns.Add(1)
			c.Close()
		}
	}()
	u, err := net.ListenPacket("udp4", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatalf("listen udp on %s: %v", ip, err)
	}
	s.UDP = u
	t.Cleanup(func() { u.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := u.ReadFrom(buf); err != nil {
				return
			}
			s.Datagrams.Add(1)
		}
	}()
	return s
}

// Hosts maps the corpus's names to the servers' address.
func (s *Servers) Hosts() Hosts {
	return Hosts{Allowed: s.IP, Denied: s.IP, Secure: s.IP, Redirect: s.IP}
}

// Hits is how many requests reached the server named host.
func (s *Servers) Hits(host string) int64 { return s.hits[host].Load() }

// Total is how many requests reached the HTTP and TLS servers, under any name.
func (s *Servers) Total() int64 { return s.total.Load() }

func (s *Servers) hitsList() map[string]int64 {
	m := map[string]int64{}
	for k, v := range s.hits {
		m[k] = v.Load()
	}
	return m
}

// HTTPPort, TLSPort, RawPort and UDPPort are the servers' ports.
func (s *Servers) HTTPPort() string { return port(s.HTTP.Listener.Addr()) }
func (s *Servers) TLSPort() string  { return port(s.TLS.Listener.Addr()) }
func (s *Servers) RawPort() string  { return port(s.Raw.Addr()) }
func (s *Servers) UDPPort() string  { return port(s.UDP.LocalAddr()) }

// Allowlist is the corpus's allowlist: Allowed, Redirect and Secure on their ports.
func (s *Servers) Allowlist() []string {
	return []string{Allowed + ":" + s.HTTPPort(), Redirect + ":" + s.HTTPPort(), Secure + ":" + s.TLSPort()}
}

// UpstreamTLS trusts the TLS server, for egress.Options.UpstreamTLS.
func (s *Servers) UpstreamTLS() *tls.Config { return &tls.Config{RootCAs: s.Roots} }

func port(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return strconv.Itoa(a.Port)
	case *net.UDPAddr:
		return strconv.Itoa(a.Port)
	}
	return ""
}

// selfSigned makes a certificate for name, valid for an hour.
func selfSigned(t testing.TB, name string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		DNSNames:              []string{name},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// CertPEM is the TLS server's certificate in PEM, for a client's CA file.
func (s *Servers) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.TLS.TLS.Certificates[0].Certificate[0]})
}

// HostAddress is the host's first IPv4 address outside loopback, else
// 127.0.0.1: where servers go that a sandbox could reach only by leaving
// its network (namespace, or Docker's internal network).
func HostAddress() netip.Addr {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil {
			continue
		}
		ip, _ := netip.AddrFromSlice(n.IP.To4())
		if !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
			return ip
		}
	}
	return netip.MustParseAddr("127.0.0.1")
}
