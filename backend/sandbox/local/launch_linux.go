package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsyscall "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// launcherName is argv[0] of a process that Exec starts as its launcher: the
// binary itself (/proc/self/exe), re-executed. Every binary that links this
// package (Corral, its test binaries) enters the launcher from init, before
// main and before any other package's work, the way moby's reexec does.
const launcherName = "corral-sandbox-init"

// statusFD is the launcher's pipe back to Exec: it carries "ok" once the
// command started, or the reason the launcher could not confine it.
const statusFD = 3

// launchProtocol versions launchSpec: a launcher refuses a spec of another
// version, so that a stale corral-sandbox-init never confines less than the
// Corral that starts it asks.
const launchProtocol = 3

// launchSpec is what the launcher must set up before it starts the shell.
// Every field that is set must succeed, or the command does not run.
type launchSpec struct {
	Version int `json:"v"`
	// Proc mounts a fresh /proc (the launcher is PID 1 of a new PID and
	// mount namespace): the command sees only its own processes.
	Proc bool `json:"proc,omitempty"`
	// Loopback brings up "lo" in the command's new network namespace.
	Loopback bool `json:"loopback,omitempty"`
	// Landlock restricts writes to Writable and scopes signals and
	// abstract sockets to the run; with DenyTCP, TCP bind and connect too.
	Landlock bool     `json:"landlock,omitempty"`
	Writable []string `json:"writable,omitempty"`
	DenyTCP  bool     `json:"denyTCP,omitempty"`
	// Env is the shell's environment; the launcher's own is empty.
	Env []string `json:"env,omitempty"`
	// ProxySocket, with Loopback, makes 127.0.0.1:ProxyPort inside the
	// network namespace forward each connection to this Unix socket (the
	// egress proxy's, outside): the only way out of the namespace.
	ProxySocket string `json:"proxySocket,omitempty"`
	ProxyPort   int    `json:"proxyPort,omitempty"`
}

// ForwarderName is the name (argv[0]'s base) under which the launcher's
// binary is the egress forwarder instead: "corral-egress-forward PORT
// SOCKET" listens on 127.0.0.1:PORT, hands the listener to a copy of
// itself that relays every connection to the Unix socket SOCKET, and exits
// 0 once it listens (also when something already listens there: an earlier
// forwarder). The Docker sandbox runs it in containers without a network.
const ForwarderName = "corral-egress-forward"

func init() {
	if len(os.Args) >= 3 && os.Args[0] == launcherName {
		os.Exit(launch(os.Args[1], os.Args[2:]))
	}
	if len(os.Args) == 3 && filepath.Base(os.Args[0]) == ForwarderName {
		os.Exit(forwarder(os.Args[1], os.Args[2]))
	}
}

// forwarder is the egress forwarder's main (see ForwarderName).
func forwarder(port, sock string) int {
	if port == "serve" {
		l, err := net.FileListener(os.NewFile(3, "listener"))
		if err != nil {
			return 1
		}
		serveRelay(l, sock)
		return 0
	}
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", port))
	if errors.Is(err, syscall.EADDRINUSE) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = os.StartProcess("/proc/self/exe", []string{ForwarderName, "serve", sock}, &os.ProcAttr{
		Env: []string{}, Files: []*os.File{null, null, null, f}, Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// launch is the launcher's main: confine, start argv, report, then reap
// every process of the run until argv's process exits, and exit with its
// status. As PID 1 of the namespace its exit makes the kernel kill every
// process left in it.
func launch(rawSpec string, argv []string) int {
	// Capabilities and securebits belong to a thread: the one that drops
	// them must be the one that starts the shell. Never unlocked; the
	// launcher exits.
	runtime.LockOSThread()
	status := os.NewFile(statusFD, "status")
	syscall.CloseOnExec(statusFD)
	fail := func(err error) int {
		fmt.Fprintf(status, "error: %v", err)
		return 126
	}
	var spec launchSpec
	if err := json.Unmarshal([]byte(rawSpec), &spec); err != nil {
		return fail(fmt.Errorf("spec: %w", err))
	}
	if spec.Version != launchProtocol {
		return fail(fmt.Errorf("spec version %d, this launcher speaks %d", spec.Version, launchProtocol))
	}
	if err := confine(spec); err != nil {
		return fail(err)
	}
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Env: spec.Env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		return fail(fmt.Errorf("start: %w", err))
	}
	fmt.Fprint(status, "ok")
	status.Close()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 126
		}
		if pid != p.Pid {
			continue
		}
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}

// confine applies spec to the launcher, and so to everything it starts.
func confine(spec launchSpec) error {
	if spec.Proc {
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make mounts private: %w", err)
		}
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("mount /proc: %w", err)
		}
	}
	if spec.Loopback {
		if err := loopbackUp(); err != nil {
			return fmt.Errorf("loopback: %w", err)
		}
	}
	if spec.ProxySocket != "" {
		if !spec.Loopback {
			return fmt.Errorf("egress proxy: needs a network namespace of its own")
		}
		if err := forwardProxy(spec.ProxyPort, spec.ProxySocket); err != nil {
			return fmt.Errorf("egress proxy: %w", err)
		}
	}
	if spec.Proc || os.Geteuid() == 0 {
		if err := dropCapabilities(); err != nil {
			return err
		}
	}
	if !spec.Landlock {
		return nil
	}
	rules := []landlock.Rule{
		landlock.RODirs("/"),
		landlock.RWDirs(spec.Writable...).WithRefer().IgnoreIfMissing(),
		landlock.RWFiles("/dev/null", "/dev/zero", "/dev/full", "/dev/tty").IgnoreIfMissing(),
	}
	cfg := landlock.V7.BestEffort()
	if !spec.DenyTCP {
		// With DenyTCP the ruleset handles TCP with no net rules: every
		// bind and connect is refused. Without it, TCP is not handled.
		cfg.HandledAccessNet = 0
	}
	return wrapLandlock(restrictThread(cfg, rules...))
}

// restrictThread enforces cfg on the calling thread only, which launch
// has locked and from which it starts the shell: the shell inherits the
// domain. Enforcing on every thread (Config.Restrict, through psx) costs
// about 1.5 ms per command and protects nothing more, since the launcher's
// other threads run only the Go runtime.
func restrictThread(cfg landlock.Config, rules ...landlock.Rule) error {
	fd, flags, err := cfg.NewRulesetFD(rules...)
	if err != nil || fd < 0 {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	return llsyscall.LandlockRestrictSelf(fd, flags)
}

// dropCapabilities makes uid 0 powerless for the launcher's children: no
// capabilities regained at exec (SECBIT_NOROOT), and none to raise later.
// In a user namespace those capabilities reached only the namespace; as
// root without one they would reach the host (load a module, remount).
func dropCapabilities() error {
	const (
		secbitNoRoot             = 1 << 0 // linux/securebits.h
		secbitNoRootLocked       = 1 << 1
		secbitNoSetuidFixup      = 1 << 2
		secbitNoSetuidFixupLockd = 1 << 3
	)
	bits := secbitNoRoot | secbitNoRootLocked | secbitNoSetuidFixup | secbitNoSetuidFixupLockd
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, uintptr(bits), 0, 0, 0); err != nil {
		return fmt.Errorf("securebits: %w", err)
	}
	for c := 0; c <= unix.CAP_LAST_CAP; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && err != unix.EINVAL {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	return nil
}

func wrapLandlock(err error) error {
	if err != nil {
		return fmt.Errorf("landlock: %w", err)
	}
	return nil
}

// loopbackUp sets the "lo" interface of the new network namespace up, so
// that a command can still serve and reach itself on 127.0.0.1.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	req, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, req); err != nil {
		return err
	}
	req.SetUint16(req.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, req)
}

// forwardProxy listens on 127.0.0.1:port of the namespace and relays every
// connection to the Unix socket sock, from goroutines of the launcher that
// live as long as it does. The socket is reached by path, which no network
// namespace hides; nothing else of the host's network is reachable.
func forwardProxy(port int, sock string) error {
	l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	go serveRelay(l, sock)
	return nil
}

// serveRelay relays every connection l accepts to the Unix socket sock.
func serveRelay(l net.Listener, sock string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go relay(c, sock)
	}
}

// relay copies c to and from a new connection to the Unix socket sock.
func relay(c net.Conn, sock string) {
	defer c.Close()
	up, err := net.Dial("unix", sock)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		_ = up.(*net.UnixConn).CloseWrite()
		close(done)
	}()
	_, _ = io.Copy(c, up)
	_ = c.(*net.TCPConn).CloseWrite()
	<-done
}
