//go:build linux

package proxied_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/egress/egresstest"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/sandbox/proxied"
)

// TestExecCarriesConnections: each command's result holds the connections it made, once
// (the next command's result does not repeat them), live events reach OnEvent, a policy
// change applies to the next command, and Close removes the socket's directory.
func TestExecCarriesConnections(t *testing.T) {
	srv, pol := servers(t)
	live := make(chan egress.Event, 8)
	var dir string
	sb, err := proxied.Open(egress.Options{Policy: pol, Resolver: srv.Hosts(), OnEvent: func(ev egress.Event) { live <- ev }}, func(d, socket string) (sandbox.Sandbox, error) {
		dir = d
		return local.New(t.TempDir(), local.Options{Egress: socket})
	})
	if err != nil {
		t.Fatal(err)
	}
	fetch := "busybox wget -q -O- http://" + egresstest.Denied + ":" + srv.HTTPPort() + "/"
	ctx := context.Background()
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: fetch})
	if err != nil || res.ExitCode == 0 || len(res.Egress) != 1 || res.Egress[0].Allowed {
		t.Fatalf("Exec(fetch denied) = exit %d, egress %+v, %v; want it blocked, one event", res.ExitCode, res.Egress, err)
	}
	if ev := <-live; ev.Host != egresstest.Denied {
		t.Errorf("live event %+v, want %s", ev, egresstest.Denied)
	}
	if res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: "true"}); err != nil || len(res.Egress) != 0 {
		t.Errorf("Exec(true) egress = %+v, %v; want none", res.Egress, err)
	}
	pol.Allow = append(pol.Allow, mustHost(t, egresstest.Denied+":*"))
	sb.SetPolicy(pol)
	res, err = sb.Exec(ctx, sandbox.ExecRequest{Command: fetch})
	if err != nil || res.ExitCode != 0 || len(res.Egress) != 1 || !res.Egress[0].Allowed {
		t.Errorf("Exec(fetch after SetPolicy) = exit %d, egress %+v, %v; want it allowed", res.ExitCode, res.Egress, err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("socket directory %s after Close: %v, want it gone", dir, err)
	}
}

// TestExecEgressLive: a command's connections reach its ExecRequest.Egress while it still
// runs (the command blocks on a FIFO until the test has seen its connection).
func TestExecEgressLive(t *testing.T) {
	srv, pol := servers(t)
	ws := t.TempDir()
	fifo := filepath.Join(ws, "go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sb, err := proxied.Open(egress.Options{Policy: pol, Resolver: srv.Hosts()}, func(_, socket string) (sandbox.Sandbox, error) {
		return local.New(ws, local.Options{Egress: socket})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	live := make(chan egress.Event, 8)
	done := make(chan sandbox.ExecResult, 1)
	go func() {
		cmd := "busybox wget -q -O- http://" + egresstest.Denied + ":" + srv.HTTPPort() + "/; cat go"
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: cmd, Egress: func(ev egress.Event) { live <- ev }})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case ev := <-live:
		if ev.Host != egresstest.Denied || ev.Allowed {
			t.Errorf("live event %+v, want %s blocked", ev, egresstest.Denied)
		}
	case res := <-done:
		t.Fatalf("Exec returned (%+v) before its connection was seen live", res)
	case <-time.After(time.Minute):
		t.Fatal("no live connection event within a minute")
	}
	if err := os.WriteFile(fifo, []byte("go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := <-done; len(res.Egress) != 1 || res.Egress[0].Host != egresstest.Denied {
		t.Errorf("result egress = %+v, want the one connection", res.Egress)
	}
	if len(live) != 0 {
		t.Errorf("%d more live events, want the one", len(live))
	}
}

// servers skips where local commands are not confined, else starts the corpus servers and
// returns them with an allowlist of their allowed hosts.
func servers(t *testing.T) (*egresstest.Servers, egress.Policy) {
	t.Helper()
	if c := local.Probe(); c.Mechanism != "namespaces+landlock" {
		t.Skipf("local commands are not confined here: %+v", c.Missing())
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("busybox is not installed (make test-deps)")
	}
	srv := egresstest.Start(t, egresstest.HostAddress())
	pol, err := egress.NewPolicy(egress.ModeAllowlist, srv.Allowlist(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, pol
}

func mustHost(t *testing.T, s string) egress.Host {
	t.Helper()
	h, err := egress.ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
