//go:build linux

package local_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// busyboxPath makes a directory of busybox applets (wget, nc, nslookup,
// env) for the corpus, so the local and Docker sandboxes run one client.
func busyboxPath(t *testing.T) string {
	t.Helper()
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is not installed (make test-deps)")
	}
	dir := t.TempDir()
	for _, applet := range []string{"wget", "nc", "nslookup", "env"} {
		if err := os.Symlink(bb, filepath.Join(dir, applet)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestEgressCorpus runs the egress corpus through the real launcher: the
// command's network namespace has only lo, where 127.0.0.1:3128 leads to
// the proxy's Unix socket. The servers listen on one of the host's own
// addresses outside lo when there is one (else its 127.0.0.1): reachable
// from the host, so a bypass would reach them if it left the namespace.
func TestEgressCorpus(t *testing.T) {
	confined(t)
	bin := busyboxPath(t)
	ip := egresstest.HostAddress()
	srv := egresstest.Start(t, ip)
	pol, err := egress.NewPolicy(egress.ModeAllowlist, srv.Allowlist(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var events []egress.Event
	evc := make(chan egress.Event, 64)
	p := egress.New(egress.Options{Policy: pol, Resolver: srv.Hosts(), AllowLocal: true, UpstreamTLS: srv.UpstreamTLS(), OnEvent: func(ev egress.Event) { evc <- ev }})
	sock := filepath.Join(t.TempDir(), "egress.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go p.Serve(l)
	t.Cleanup(func() { p.Close() })

	sb, err := local.New(t.TempDir(), local.Options{Egress: sock, Env: []string{"PATH=" + bin + ":/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if got := sb.Info().Network; got != "proxy" {
		t.Errorf("Info().Network = %q, want proxy", got)
	}
	srv.Run(t, sb, ip.String())
	for len(evc) > 0 {
		events = append(events, <-evc)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Host+":"+map[bool]string{true: "allowed", false: "blocked"}[ev.Allowed]] = true
	}
	for _, want := range []string{egresstest.Allowed + ":allowed", egresstest.Secure + ":allowed", egresstest.Denied + ":blocked", ip.String() + ":blocked"} {
		if !seen[want] {
			t.Errorf("no event %s among %+v", want, events)
		}
	}
}
