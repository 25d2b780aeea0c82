package docker

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
)

// TestEgressCorpus runs the egress corpus in a container through the real
// engine: network none, the forwarder (a static corral-sandbox-init) relaying
// 127.0.0.1:3128 to the proxy's Unix socket mounted in, the servers on a
// host address (a bypass would need a network the container has not), and
// busybox wget as the client.
func TestEgressCorpus(t *testing.T) {
	m := newManager(t, Options{Workspace: WorkspaceMount})
	ctx := context.Background()
	ip := egresstest.HostAddress()
	srv := egresstest.Start(t, ip)
	pol, err := egress.NewPolicy(egress.ModeAllowlist, srv.Allowlist(), nil)
	if err != nil {
		t.Fatal(err)
	}
	evc := make(chan egress.Event, 64)
	p := egress.New(egress.Options{Policy: pol, Resolver: srv.Hosts(), AllowLocal: true, UpstreamTLS: srv.UpstreamTLS(), OnEvent: func(ev egress.Event) { evc <- ev }})
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o666); err != nil { // the container's user is not ours
		t.Fatal(err)
	}
	go p.Serve(l)
	t.Cleanup(func() { p.Close() })

	cfg := testConfig()
	cfg.Egress = &Egress{SocketDir: dir, Forwarder: egresstest.Launcher(t)}
	sb, err := m.Sandbox(ctx, Spec{SessionID: "egress", Workspace: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatalf("Sandbox() = %v", err)
	}
	defer sb.Close()
	if got := sb.Info().Network; got != "none" {
		t.Errorf("Info().Network = %q, want none", got)
	}
	srv.Run(t, sb, ip.String())
	seen := map[string]bool{}
	for len(evc) > 0 {
		ev := <-evc
		seen[ev.Host+":"+strconv.FormatBool(ev.Allowed)] = true
	}
	for _, want := range []string{egresstest.Allowed + ":true", egresstest.Secure + ":true", egresstest.Denied + ":false", ip.String() + ":false"} {
		if !seen[want] {
			t.Errorf("no event %s among %v", want, seen)
		}
	}
}
