package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// bundle is a Manager and what tests need around it.
type bundle struct {
	m   *Manager
	cli *client.Client
}

func setup(t *testing.T, opts Options) *bundle {
	t.Helper()
	m := newManager(t, opts)
	return &bundle{m: m, cli: m.cli}
}

// sandbox makes a sandbox for spec (test image and limits unless given)
// closed when t ends.
func (b *bundle) sandbox(t *testing.T, spec Spec) *Sandbox {
	t.Helper()
	if spec.Config.Image == "" {
		spec.Config = overTestConfig(spec.Config)
	}
	if spec.Workspace == "" {
		spec.Workspace = t.TempDir()
	}
	sb, err := b.m.Sandbox(context.Background(), spec)
	if err != nil {
		t.Fatalf("Manager.Sandbox(%+v) error = %v", spec, err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// overTestConfig returns testConfig with the fields set in c.
func overTestConfig(c Config) Config {
	cfg := testConfig()
	cfg.Setup, cfg.Env, cfg.User, cfg.Mounts, cfg.Network = c.Setup, c.Env, c.User, c.Mounts, c.Network
	return cfg
}

// eventually polls cond until it holds, failing t after a minute. It waits
// on things outside this process (a command in a container), which send no
// signal.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// run runs command and fails t unless it ran.
func run(t *testing.T, sb sandbox.Sandbox, command string) sandbox.ExecResult {
	t.Helper()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: command, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Exec(%q) error = %v", command, err)
	}
	return res
}

// mustRun runs command and fails t unless it exits 0; it returns stdout.
func mustRun(t *testing.T, sb sandbox.Sandbox, command string) string {
	t.Helper()
	res := run(t, sb, command)
	if res.ExitCode != 0 {
		t.Fatalf("Exec(%q) exit = %d, stdout %q, stderr %q", command, res.ExitCode, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

func (b *bundle) inspect(t *testing.T, id string) container.InspectResponse {
	t.Helper()
	res, err := b.cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("ContainerInspect(%s) error = %v", id, err)
	}
	return res.Container
}

func (b *bundle) exists(t *testing.T, id string) bool {
	t.Helper()
	_, err := b.cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil && !isNotFound(err) {
		t.Fatalf("ContainerInspect(%s) error = %v", id, err)
	}
	return err == nil
}

// modes runs f once per workspace mode.
func modes(t *testing.T, f func(t *testing.T, mode WorkspaceMode)) {
	for _, mode := range []struct {
		name string
		mode WorkspaceMode
	}{{"Mount", WorkspaceMount}, {"Copy", WorkspaceCopy}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f(t, mode.mode)
		})
	}
}

func TestHardeningAndLimitsApplied(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	cfg := Config{Image: testImage, Memory: 300 << 20, CPUs: 1.5, PidsLimit: 99, TmpSize: 32 << 20}
	sb := b.sandbox(t, Spec{Config: cfg})
	c := b.inspect(t, sb.ContainerID())
	hc := c.HostConfig
	if hc.Memory != 300<<20 || hc.MemorySwap != 300<<20 {
		t.Errorf("Memory, MemorySwap = %d, %d; want %d for both (no swap)", hc.Memory, hc.MemorySwap, 300<<20)
	}
	if hc.NanoCPUs != 1_500_000_000 {
		t.Errorf("NanoCPUs = %d, want 1.5e9", hc.NanoCPUs)
	}
	if hc.PidsLimit == nil || *hc.PidsLimit != 99 {
		t.Errorf("PidsLimit = %v, want 99", hc.PidsLimit)
	}
	if !slices.Equal(hc.CapDrop, []string{"ALL"}) || len(hc.CapAdd) != 0 {
		t.Errorf("CapDrop = %q, CapAdd = %q; want [ALL] and none", hc.CapDrop, hc.CapAdd)
	}
	if !slices.ContainsFunc(hc.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, "no-new-privileges") }) {
		t.Errorf("SecurityOpt = %q, want no-new-privileges", hc.SecurityOpt)
	}
	if !hc.ReadonlyRootfs {
		t.Errorf("ReadonlyRootfs = false, want true")
	}
	if hc.NetworkMode != "none" {
		t.Errorf("NetworkMode = %q, want none", hc.NetworkMode)
	}
	if _, ok := hc.Tmpfs["/tmp"]; !ok {
		t.Errorf("Tmpfs = %v, want /tmp", hc.Tmpfs)
	}
	if c.Config.Labels[LabelManaged] != "true" || c.Config.Labels[LabelPID] != strconv.Itoa(os.Getpid()) || c.Config.Labels[LabelInstance] != b.m.Instance() {
		t.Errorf("Labels = %v, want managed, our pid and instance", c.Config.Labels)
	}
	if !strings.HasPrefix(strings.TrimPrefix(c.Name, "/"), "corral-") {
		t.Errorf("Name = %q, want corral-...", c.Name)
	}

	// And the kernel agrees.
	out := mustRun(t, sb, `grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max`)
	for _, want := range []string{"CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1", "99"} {
		if !strings.Contains(out, want) {
			t.Errorf("in the container:\n%s\nwant %q", out, want)
		}
	}
	for _, cmd := range []string{"touch /etc/x", "touch /x", "mkdir /bin/x"} {
		if res := run(t, sb, cmd); res.ExitCode == 0 || !strings.Contains(res.Stderr, "Read-only file system") {
			t.Errorf("Exec(%q) = exit %d, stderr %q; want a read-only file system error", cmd, res.ExitCode, res.Stderr)
		}
	}
	mustRun(t, sb, "touch /tmp/x /workspace/x")
}

func TestPidsLimitStopsForkBomb(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	sb := b.sandbox(t, Spec{Config: Config{Image: testImage, PidsLimit: 20, Memory: 128 << 20}})
	res := run(t, sb, `i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; wait; ls /proc | grep -c '^[0-9]'`)
	if n, _ := strconv.Atoi(strings.TrimSpace(res.Stdout)); n > 20 {
		t.Errorf("processes in the container = %d, want at most the pids limit 20", n)
	}
}

func TestNetworkOffByDefault(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	b := setup(t, Options{AllowedNetworks: []string{"bridge"}})

	// Control: on the bridge the container has eth0 and a gateway, the host.
	bridged := b.sandbox(t, Spec{Config: Config{Network: "bridge"}})
	out := mustRun(t, bridged, `cat /proc/net/dev; ip route | awk '/^default/ {print "gw=" $3}'`)
	_, gw, ok := strings.Cut(out, "gw=")
	gw = strings.TrimSpace(gw)
	if !strings.Contains(out, "eth0") || !ok || net.ParseIP(gw) == nil {
		t.Fatalf("bridged container: %q, want eth0 and a default gateway", out)
	}
	connect := fmt.Sprintf("nc -w 3 %s %d </dev/null", gw, port)
	if res := run(t, bridged, connect); res.ExitCode != 0 {
		t.Logf("control: the bridged container could not reach the host at %s:%d either (%q): host firewall?", gw, port, res.Stderr)
	}

	sb := b.sandbox(t, Spec{})
	if got := sb.Info().Network; got != "none" {
		t.Errorf("Info().Network = %q, want none", got)
	}
	ifaces := mustRun(t, sb, `tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '`)
	if strings.TrimSpace(ifaces) != "lo" {
		t.Errorf("interfaces with network none = %q, want only lo", ifaces)
	}
	if res := run(t, sb, connect); res.ExitCode == 0 {
		t.Errorf("Exec(%q) connected to the host with network none", connect)
	}
	if res := run(t, sb, "wget -q -T 3 -O /dev/null http://1.1.1.1/"); res.ExitCode == 0 {
		t.Errorf("wget to 1.1.1.1 succeeded with network none")
	}
}

func TestNetworkNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	for _, network := range []string{"bridge", "host", "corral-other"} {
		_, err := b.m.Sandbox(context.Background(), Spec{Workspace: t.TempDir(), Config: Config{Image: testImage, Network: network}})
		if !errors.Is(err, errConfig) || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("Sandbox(network %q) error = %v, want not allowed", network, err)
		}
	}
}

func TestSessionReuse(t *testing.T) {
	modes(t, func(t *testing.T, mode WorkspaceMode) {
		b := setup(t, Options{Workspace: mode})
		ws := t.TempDir()
		first := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "s1", RunID: "r1", Workspace: ws})
		mustRun(t, first, "echo from-run-1 > note.txt; echo cached > /tmp/cache")
		id := first.ContainerID()
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		if !b.exists(t, id) {
			t.Fatalf("session container %s removed when its first run closed", id)
		}
		second := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "s1", RunID: "r2", Workspace: ws})
		if got := second.ContainerID(); got != id {
			t.Errorf("second run's container = %s, want the session's %s", got, id)
		}
		if got := mustRun(t, second, "cat note.txt /tmp/cache"); got != "from-run-1\ncached\n" {
			t.Errorf("second run sees %q, want the first run's files", got)
		}
		other := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "s2", Workspace: t.TempDir()})
		if other.ContainerID() == id {
			t.Errorf("another session got the same container")
		}
	})
}

func TestRunScopeRemovedOnClose(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	sb := b.sandbox(t, Spec{SessionID: "s", RunID: "r"})
	id := sb.ContainerID()
	if !b.exists(t, id) {
		t.Fatal("container missing while the sandbox is open")
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if b.exists(t, id) {
		t.Errorf("run container %s still exists after Close", id)
	}
}

func TestSessionConfigChangeReplacesContainer(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	ws := t.TempDir()
	first := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "s", Workspace: ws, Config: Config{Env: []string{"V=1"}}})
	id := first.ContainerID()
	_, err := b.m.Sandbox(context.Background(), Spec{Scope: ScopeSession, SessionID: "s", Workspace: ws, Config: Config{Image: testImage, Env: []string{"V=2"}}})
	if err == nil {
		t.Fatalf("Sandbox with a new config while the session is in use succeeded")
	}
	first.Close()
	second := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "s", Workspace: ws, Config: Config{Env: []string{"V=2"}}})
	if second.ContainerID() == id {
		t.Errorf("config changed but the container was kept")
	}
	if got := mustRun(t, second, `printf %s "$V"`); got != "2" {
		t.Errorf("V = %q, want 2", got)
	}
}

func TestKilledContainerRecreated(t *testing.T) {
	modes(t, func(t *testing.T, mode WorkspaceMode) {
		b := setup(t, Options{Workspace: mode})
		sb := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "k", Config: Config{Setup: "echo setup >> /tmp/setup-ran"}})
		if err := sb.Files().WriteFile("kept.txt", []byte("kept\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, sb, "cat kept.txt")
		old := sb.ContainerID()
		if _, err := b.cli.ContainerKill(context.Background(), old, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
			t.Fatal(err)
		}
		if got := mustRun(t, sb, "cat /tmp/setup-ran kept.txt"); got != "setup\nkept\n" {
			t.Errorf("after docker kill: %q, want the setup re-run once and the workspace kept", got)
		}
		if sb.ContainerID() == old {
			t.Errorf("container id unchanged after it was killed")
		}
		if b.exists(t, old) {
			t.Errorf("the killed container %s was not removed", old)
		}

		// Removed behind our back: recreated too.
		cur := sb.ContainerID()
		if _, err := b.cli.ContainerRemove(context.Background(), cur, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			t.Fatal(err)
		}
		if got := mustRun(t, sb, "cat kept.txt"); got != "kept\n" {
			t.Errorf("after docker rm: %q, want %q", got, "kept\n")
		}
	})
}

func TestContainerDiesDuringCommand(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	// A bind-mounted workspace, where the host sees the command's file at once: as root a
	// root-owned workspace would be copied (the container never runs as root by default).
	ws := t.TempDir()
	if os.Getuid() == 0 {
		if err := os.Chown(ws, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	sb := b.sandbox(t, Spec{Workspace: ws})
	id := sb.ContainerID()
	type result struct {
		err error
		d   time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		_, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "touch started; sleep 30", Timeout: time.Minute})
		done <- result{err, time.Since(start)}
	}()
	// Kill once the command is surely running: it has made its file.
	eventually(t, "the command to start", func() bool { _, err := sb.Files().Stat("started"); return err == nil })
	if _, err := b.cli.ContainerKill(context.Background(), id, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	err, d := r.err, r.d
	if !errors.Is(err, sandbox.ErrUnavailable) {
		t.Errorf("Exec while the container was killed: error = %v, want %v", err, sandbox.ErrUnavailable)
	}
	if d > 20*time.Second {
		t.Errorf("Exec returned after %v", d)
	}
	mustRun(t, sb, "true") // and the next command gets a new container
}

func TestSetupCommand(t *testing.T) {
	modes(t, func(t *testing.T, mode WorkspaceMode) {
		b := setup(t, Options{Workspace: mode})
		sb := b.sandbox(t, Spec{Config: Config{Setup: "echo installed > tool.txt; echo once >> /tmp/count"}})
		if data, err := sb.Files().ReadFile("tool.txt"); err != nil || string(data) != "installed\n" {
			t.Errorf("ReadFile(tool.txt) after setup = %q, %v", data, err)
		}
		mustRun(t, sb, "true")
		if got := mustRun(t, sb, "cat /tmp/count"); got != "once\n" {
			t.Errorf("setup ran %q times, want once", got)
		}

		_, err := b.m.Sandbox(context.Background(), Spec{Workspace: t.TempDir(), Config: Config{Image: testImage, Setup: "echo broken >&2; exit 3"}})
		if err == nil || !strings.Contains(err.Error(), "exited with 3") || !strings.Contains(err.Error(), "broken") {
			t.Errorf("Sandbox with a failing setup: error = %v, want exit 3 and its stderr", err)
		}
		all, err := b.m.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n := len(slices.DeleteFunc(all, func(c Container) bool { return !c.Mine })); n != 1 {
			t.Errorf("containers after a failed setup = %d, want 1 (the failed one removed)", n)
		}
	})
}

func TestDefaultUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mode  WorkspaceMode
		chown int    // -1: leave the workspace to the test process
		perm  uint32 // 0: leave
		user  string
		want  string
	}{
		{"MountOwnedByNobody", WorkspaceMount, 65534, 0, "", "65534:65534"},
		{"MountOwnedBy1234", WorkspaceMount, 1234, 0, "", "1234:1234"},
		{"MountWorldWritableRoot", WorkspaceMount, 0, 0o777, "", "65534:65534"},
		// Issue 14 finding 4: a root-owned workspace only root can write ran as uid 0.
		{"MountOwnedByRoot", WorkspaceMount, 0, 0o755, "", "65534:65534"},
		{"MountRootPrivate", WorkspaceMount, -1, 0o700, "", "65534:65534"},
		{"ExplicitRoot", WorkspaceMount, -1, 0, "0:0", "0:0"},
		{"CopyIsNobody", WorkspaceCopy, -1, 0, "", "65534:65534"},
		{"CopyNamedUser", WorkspaceCopy, -1, 0, "nobody", "65534:65534"},
		{"CopyNamedUserAndGroup", WorkspaceCopy, -1, 0, "nobody:nogroup", "65534:65534"},
		{"CopyUIDInPasswd", WorkspaceCopy, -1, 0, "65534", "65534:65534"},
		{"CopyUIDNotInPasswd", WorkspaceCopy, -1, 0, "1234", "1234:0"},
		{"Explicit", WorkspaceMount, -1, 0o777, "4321:4321", "4321:4321"},
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to chown the test workspaces")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Options{Workspace: tt.mode})
			ws := t.TempDir()
			if tt.chown >= 0 {
				if err := os.Chown(ws, tt.chown, tt.chown); err != nil {
					t.Fatal(err)
				}
			}
			if tt.perm != 0 {
				if err := os.Chmod(ws, os.FileMode(tt.perm)); err != nil {
					t.Fatal(err)
				}
			}
			sb := b.sandbox(t, Spec{Workspace: ws, Config: Config{User: tt.user}})
			if err := sb.Files().WriteFile("from-host", []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(mustRun(t, sb, "echo $(id -u):$(id -g)")); got != tt.want {
				t.Errorf("id = %s, want %s", got, tt.want)
			}
			mustRun(t, sb, "echo ok > written-by-command && mkdir d && touch d/f")
			if b, err := os.ReadFile(filepath.Join(ws, "written-by-command")); err != nil || string(b) != "ok\n" {
				t.Errorf("host's written-by-command = %q, %v; want the command's write", b, err)
			}
			if tt.mode == WorkspaceCopy {
				// Copied files belong to the container's user. (Bind-mounted
				// ones belong to whoever wrote them on the host: this test
				// runs as root, the workspace owner would not.)
				mustRun(t, sb, "echo more >> from-host")
				if got := strings.TrimSpace(mustRun(t, sb, "stat -c %u:%g . from-host")); got != tt.want+"\n"+tt.want {
					t.Errorf("owner of /workspace and a copied file = %q, want %s", got, tt.want)
				}
			}
		})
	}
}

func TestExtraMountsReadOnlyByDefault(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	ro, rw := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "data"), []byte("shared\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sb := b.sandbox(t, Spec{Config: Config{User: "0:0", Mounts: []Mount{{Source: ro, Target: "/data"}, {Source: rw, Target: "/out", Writable: true}}}})
	if got := mustRun(t, sb, "cat /data/data"); got != "shared\n" {
		t.Errorf("cat /data/data = %q", got)
	}
	if res := run(t, sb, "echo x > /data/new"); res.ExitCode == 0 || !strings.Contains(res.Stderr, "Read-only") {
		t.Errorf("write to a default mount: exit %d, stderr %q; want read-only", res.ExitCode, res.Stderr)
	}
	mustRun(t, sb, "echo x > /out/new")
	if _, err := os.Stat(filepath.Join(rw, "new")); err != nil {
		t.Errorf("write to a writable mount did not reach the host: %v", err)
	}
}

func TestMissingImage(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	var events []Progress
	var mu sync.Mutex
	start := time.Now()
	_, err := b.m.Sandbox(context.Background(), Spec{
		Workspace: t.TempDir(),
		Config:    Config{Image: "corral-test/no-such-image:latest"},
		Progress:  func(p Progress) { mu.Lock(); events = append(events, p); mu.Unlock() },
	})
	if err == nil || !strings.Contains(err.Error(), "image corral-test/no-such-image:latest not found locally and could not be pulled: ") {
		t.Errorf("Sandbox(missing image) error = %v, want a not-found-and-not-pulled error", err)
	}
	t.Logf("after %v: %v (progress events: %v)", time.Since(start), err, events)
}

// TestEngineUnavailable needs no engine. It is not parallel: it sets
// DOCKER_HOST.
func TestEngineUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		host    string
		timeout time.Duration
	}{
		{"MissingSocket", "unix:///nonexistent/docker.sock", 0},
		// A blackholed address: only the connect timeout ends the wait.
		{"NoAnswer", "tcp://10.255.255.1:2375", 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", tt.host)
			start := time.Now()
			m, err := New(context.Background(), Options{ConnectTimeout: tt.timeout})
			if err == nil {
				m.Close(context.Background())
				t.Fatalf("New() with DOCKER_HOST=%s succeeded", tt.host)
			}
			if !errors.Is(err, sandbox.ErrUnavailable) {
				t.Errorf("New() error = %v, want %v", err, sandbox.ErrUnavailable)
			}
			if !strings.Contains(err.Error(), tt.host) {
				t.Errorf("New() error = %v, want it to name %s", err, tt.host)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("New() took %v, want a quick failure", d)
			}
		})
	}
}

// TestEngineDiesMidway talks to the engine through a proxy, then cuts it:
// commands and file syncs fail with ErrUnavailable, quickly.
func TestEngineDiesMidway(t *testing.T) {
	needEngine(t)
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = client.DefaultDockerHost
	}
	target, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		t.Skipf("proxy test needs a unix socket engine, have %s", host)
	}
	p := newProxy(t, target)
	cli, err := client.New(client.WithHost("unix://" + p.path))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	for _, mode := range []WorkspaceMode{WorkspaceMount, WorkspaceCopy} {
		p.up()
		m, err := New(context.Background(), Options{Client: cli, Workspace: mode, OpTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sb, err := m.Sandbox(context.Background(), Spec{Workspace: t.TempDir(), Config: testConfig()})
		if err != nil {
			t.Fatal(err)
		}
		id := sb.ContainerID()
		p.down()
		start := time.Now()
		_, err = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"})
		if !errors.Is(err, sandbox.ErrUnavailable) {
			t.Errorf("mode %d: Exec with the engine gone: error = %v, want %v", mode, err, sandbox.ErrUnavailable)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("mode %d: Exec took %v with the engine gone", mode, d)
		}
		sb.Close()
		m.Close(context.Background())
		// Clean up through the real engine.
		b := setup(t, Options{})
		_ = b.m.removeContainer(context.Background(), id)
	}
}

// proxy forwards a unix socket to the engine's until down is called.
type proxy struct {
	path   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	dir, err := os.MkdirTemp("", "corral-proxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &proxy{path: filepath.Join(dir, "docker.sock"), target: target}
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up() {
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("unix", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = copyConn(u, c) }()
			go func() { _, _ = copyConn(c, u) }()
		}
	}()
}

func copyConn(dst, src net.Conn) (int64, error) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err != nil {
			return n, err
		}
	}
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	os.Remove(p.path)
}

// TestOrphansRemoved is not parallel: a Reaper started by a parallel test removes every
// orphan on the engine when it starts, this test's fake one included, and would race it.
func TestOrphansRemoved(t *testing.T) {
	b := setup(t, Options{})
	// A process that has ended: its pid is free.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := dead.Process.Pid

	earlier := newManager(t, Options{})
	orphan := b.sandboxOf(t, earlier, Spec{Scope: ScopeSession, SessionID: "orphan"})
	live := b.sandboxOf(t, earlier, Spec{Scope: ScopeSession, SessionID: "live"})
	orphanID, liveID := orphan.ContainerID(), live.ContainerID()
	// Relabel by recreating the first as if a dead process had made it.
	orphanID = b.relabel(t, orphanID, map[string]string{LabelPID: strconv.Itoa(deadPID), LabelPIDStart: "", LabelInstance: "dead-instance"})
	// The second belongs to a process that lives: this one, another instance.
	liveID = b.relabel(t, liveID, map[string]string{LabelInstance: "live-instance"})
	mine := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "mine"})

	removed, err := b.m.RemoveOrphans(context.Background())
	if err != nil {
		t.Fatalf("RemoveOrphans() error = %v", err)
	}
	var got []string
	for _, c := range removed {
		got = append(got, c.ID)
	}
	// Every Corral process sweeps orphans at its first Docker use, so another test process
	// (the cli tests run beside this package) may have removed it first: what matters is
	// that it is gone and the live ones are not.
	if !slices.Contains(got, orphanID) && b.exists(t, orphanID) {
		t.Errorf("RemoveOrphans() removed %q, want the dead process's %s", got, orphanID)
	}
	for _, keep := range []string{liveID, mine.ContainerID()} {
		if slices.Contains(got, keep) || !b.exists(t, keep) {
			t.Errorf("RemoveOrphans() removed %s, a live process's container", keep)
		}
	}
	if b.exists(t, orphanID) {
		t.Errorf("orphan %s still exists", orphanID)
	}
	_ = b.m.removeContainer(context.Background(), liveID)
}

// sandboxOf makes a sandbox from another Manager m.
func (b *bundle) sandboxOf(t *testing.T, m *Manager, spec Spec) *Sandbox {
	t.Helper()
	return (&bundle{m: m, cli: m.cli}).sandbox(t, spec)
}

// relabel replaces container id by a copy with some labels changed (labels
// cannot change in place), as if another process had made it, and returns
// the copy's id.
func (b *bundle) relabel(t *testing.T, id string, labels map[string]string) string {
	t.Helper()
	ctx := context.Background()
	c := b.inspect(t, id)
	cfg := c.Config
	for k, v := range labels {
		cfg.Labels[k] = v
	}
	name := strings.TrimPrefix(c.Name, "/") + "-x"
	hc := c.HostConfig
	hc.Mounts = nil // keep it simple: no workspace
	created, err := b.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: name, Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.m.removeContainer(context.Background(), created.ID) })
	return created.ID
}

func TestReaperRemovesIdle(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	b.m.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	idle := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "idle", Config: Config{Setup: "echo ran >> /tmp/setup"}})
	busy := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "busy"})
	idleID, idleName := idle.ContainerID(), idle.ContainerName()

	r := b.m.NewReaper(ReaperOptions{IdleTimeout: time.Minute})
	tick := make(chan time.Time)
	reaped := make(chan []string)
	r.tick, r.reaped = tick, reaped
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	pass := func() []string {
		t.Helper()
		select {
		case tick <- now:
		case <-time.After(30 * time.Second):
			t.Fatal("reaper did not take the tick")
		}
		select {
		case names := <-reaped:
			return names
		case <-time.After(30 * time.Second):
			t.Fatal("reaper did not finish its pass")
		}
		return nil
	}

	if got := pass(); len(got) != 0 {
		t.Errorf("first pass reaped %q, want nothing (not idle yet)", got)
	}
	advance(50 * time.Second)
	mustRun(t, busy, "true") // used: its idle time restarts
	advance(20 * time.Second)
	if got := pass(); !slices.Equal(got, []string{idleName}) {
		t.Errorf("pass after 70 s reaped %q, want only %q", got, idleName)
	}
	if b.exists(t, idleID) {
		t.Errorf("reaped container %s still exists", idleID)
	}
	if !b.exists(t, busy.ContainerID()) {
		t.Errorf("recently used container was reaped")
	}
	// A command in the reaped sandbox brings a new container, set up again.
	if got := mustRun(t, idle, "cat /tmp/setup"); got != "ran\n" {
		t.Errorf("after reaping: setup output %q, want it run in the new container", got)
	}
	if idle.ContainerID() == idleID {
		t.Errorf("no new container after reaping")
	}

	// A container running a command is never reaped.
	name := idle.ContainerName()
	idle.b.busy.Add(1) // as Exec does while a command runs
	advance(time.Hour)
	got := pass()
	idle.b.busy.Add(-1)
	if slices.Contains(got, name) {
		t.Errorf("reaper removed a container running a command")
	}
	if got := pass(); !slices.Contains(got, name) {
		t.Errorf("reaper kept %s once its command ended: reaped %q", name, got)
	}
	if err := r.Err(); err != nil {
		t.Errorf("Reaper.Err() = %v", err)
	}
}

func TestListRemovePrune(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	ws := t.TempDir()
	open := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "list-open", RunID: "r1", Workspace: ws})
	closed := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "list-closed", Workspace: t.TempDir()})
	closedID := closed.ContainerID()
	closed.Close()
	gone := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "list-rm", Workspace: t.TempDir()})

	all, err := b.m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(c Container) bool { return c.ID == open.ContainerID() })
	if i < 0 {
		t.Fatalf("List() = %+v, want %s", all, open.ContainerID())
	}
	c := all[i]
	if c.Name != open.ContainerName() || c.Session != "list-open" || c.Run != "r1" || c.Scope != "session" || c.Image != testImage ||
		c.State != "running" || c.Workspace != ws || !c.Mine || c.Orphan || c.Owner.PID != os.Getpid() || c.Created.IsZero() || c.LastUsed.Before(c.Created) {
		t.Errorf("List() entry = %+v", c)
	}

	if err := b.m.Remove(context.Background(), gone.ContainerName()); err != nil {
		t.Fatalf("Remove(%s) error = %v", gone.ContainerName(), err)
	}
	mustRun(t, gone, "true") // recreated on use

	other, err := b.cli.ContainerCreate(context.Background(), client.ContainerCreateOptions{Config: &container.Config{Image: testImage}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.m.removeContainer(context.Background(), other.ID)
	if err := b.m.Remove(context.Background(), other.ID); !errors.Is(err, errNotManaged) {
		t.Errorf("Remove(non-corral container) error = %v, want %v", err, errNotManaged)
	}

	pruned, err := b.m.Prune(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range pruned {
		ids = append(ids, c.ID)
	}
	if !slices.Contains(ids, closedID) || slices.Contains(ids, open.ContainerID()) || slices.Contains(ids, gone.ContainerID()) {
		t.Errorf("Prune() removed %q, want the closed session's %s and not the open ones", ids, closedID)
	}
	mustRun(t, open, "true")
}

func TestRemoveSession(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	doomed := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "rm-doomed", Workspace: t.TempDir()})
	idle := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "rm-doomed-idle", Workspace: t.TempDir()})
	kept := b.sandbox(t, Spec{Scope: ScopeSession, SessionID: "rm-kept", Workspace: t.TempDir()})
	doomedID, idleID := doomed.ContainerID(), idle.ContainerID()
	idle.Close()

	removed, err := b.m.RemoveSession(context.Background(), "rm-doomed")
	if err != nil {
		t.Fatalf("RemoveSession(rm-doomed) error = %v", err)
	}
	if len(removed) != 1 || removed[0].ID != doomedID {
		t.Errorf("RemoveSession(rm-doomed) = %+v, want only %s", removed, doomedID)
	}
	all, err := b.m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	listed := func(id string) bool { return slices.ContainsFunc(all, func(c Container) bool { return c.ID == id }) }
	if listed(doomedID) || !listed(idleID) || !listed(kept.ContainerID()) {
		t.Errorf("after RemoveSession(rm-doomed): List() = %+v, want %s gone and %s, %s kept", all, doomedID, idleID, kept.ContainerID())
	}
	mustRun(t, doomed, "true") // recreated on use
}

func TestClosedSandbox(t *testing.T) {
	t.Parallel()
	b := setup(t, Options{})
	sb := b.sandbox(t, Spec{})
	if err := b.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"}); !errors.Is(err, sandbox.ErrUnavailable) {
		t.Errorf("Exec after Manager.Close error = %v, want %v", err, sandbox.ErrUnavailable)
	}
	if _, err := b.m.Sandbox(context.Background(), Spec{Workspace: t.TempDir(), Config: testConfig()}); !errors.Is(err, sandbox.ErrUnavailable) {
		t.Errorf("Sandbox after Manager.Close error = %v, want %v", err, sandbox.ErrUnavailable)
	}
}

func TestContainerOwnerText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    Container
		want string
	}{
		{"mine", Container{Mine: true, Owner: Owner{PID: 7}}, "this process"},
		{"another live process", Container{Owner: Owner{PID: 7}}, "pid 7"},
		{"orphan", Container{Orphan: true, Owner: Owner{PID: 7}}, "orphan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.OwnerText(); got != tt.want {
				t.Errorf("OwnerText(%+v) = %q, want %q", tt.c, got, tt.want)
			}
		})
	}
}

func TestIsRemoteHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"", false},
		{"unix:///var/run/docker.sock", false},
		{"npipe:////./pipe/docker_engine", false},
		{"tcp://10.0.0.5:2376", true},
		{"tcp://127.0.0.1:2375", true},
		{"ssh://user@build-box", true},
	}
	for _, tt := range tests {
		if got := IsRemoteHost(tt.host); got != tt.want {
			t.Errorf("IsRemoteHost(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}

// TestSSHEngine reaches the engine through an ssh:// DOCKER_HOST, with a
// stand-in ssh that runs `docker system dial-stdio` here instead of on
// another machine. Not parallel: it sets DOCKER_HOST and PATH.
func TestSSHEngine(t *testing.T) {
	needEngine(t)
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("no docker CLI for dial-stdio")
	}
	real := os.Getenv("DOCKER_HOST")
	if real == "" {
		real = client.DefaultDockerHost
	}
	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %s\nDOCKER_HOST=%s exec %s system dial-stdio\n", argsFile, real, docker)
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DOCKER_HOST", "ssh://builder@build-box:2222")

	m, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	defer m.Close(context.Background())
	if !m.CopiesWorkspace() || m.Engine() != "ssh://builder@build-box:2222" {
		t.Errorf("CopiesWorkspace() = %v, Engine() = %q; want a copied workspace on the ssh engine", m.CopiesWorkspace(), m.Engine())
	}
	sb, err := m.Sandbox(context.Background(), Spec{Workspace: t.TempDir(), Config: testConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if err := sb.Files().WriteFile("in.txt", []byte("over ssh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, sb, "cat in.txt; echo back > out.txt"); got != "over ssh\n" {
		t.Errorf("cat in.txt = %q", got)
	}
	if data, err := sb.Files().ReadFile("out.txt"); err != nil || string(data) != "back\n" {
		t.Errorf("ReadFile(out.txt) = %q, %v", data, err)
	}
	args, _ := os.ReadFile(argsFile)
	if want := "-l builder -p 2222 -- build-box docker system dial-stdio"; !strings.Contains(string(args), want) {
		t.Errorf("ssh was run with %q, want %q", args, want)
	}
}
