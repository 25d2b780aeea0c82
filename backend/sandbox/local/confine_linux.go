package local

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	llsyscall "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// mode is how this machine confines local commands, chosen once by trying
// the strongest setup first (see detect).
type mode struct {
	launcher   bool    // commands start through the launcher
	path       string  // the launcher's binary (see launcherPaths)
	cloneflags uintptr // namespaces the launcher starts in
	userns     bool    // one of them is a user namespace
	spec       launchSpec
	abi        int    // Landlock ABI, 0 when absent
	why        string // why namespaces are missing, when they are
}

var detected = sync.OnceValue(detect)

// detect tries the launcher in new user, PID, mount and network namespaces
// (user namespaces are skipped only where they fail and Corral is root, who
// needs none), then with Landlock alone, and settles on the first that
// starts a command. Detection, not assumption: user namespaces may be
// restricted (Ubuntu's AppArmor, a container) and Landlock older or absent.
func detect() mode {
	var m mode
	exe, _ := os.Executable()
	for _, path := range launcherPaths(exe) {
		if m = detectWith(path); m.launcher {
			return m
		}
	}
	return m
}

// launcherPaths lists the binaries that can be the launcher, fastest first:
// the small static corral-sandbox-init installed with Corral, then Corral
// itself. exe is the running binary's path ("" when unknown).
func launcherPaths(exe string) []string {
	var paths []string
	if exe != "" {
		// Beside the binary (a build tree; /usr/lib/corral for corral-desktop), or in
		// ../lib/corral (/usr/bin/corral of the Debian package).
		dir := filepath.Dir(exe)
		for _, p := range []string{filepath.Join(dir, launcherName), filepath.Join(dir, "..", "lib", "corral", launcherName)} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				paths = append(paths, p)
				break
			}
		}
	}
	return append(paths, "/proc/self/exe")
}

// detectWith is detect for the launcher binary path.
func detectWith(path string) mode {
	abi, err := llsyscall.LandlockGetABIVersion()
	if err != nil {
		abi = 0
	}
	base := launchSpec{Version: launchProtocol, Proc: true, Loopback: true, Landlock: abi > 0, Writable: []string{os.TempDir()}}
	nsFlags := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET)
	candidates := []mode{{launcher: true, cloneflags: nsFlags | syscall.CLONE_NEWUSER, userns: true, spec: base, abi: abi}}
	if os.Geteuid() == 0 {
		candidates = append(candidates, mode{launcher: true, cloneflags: nsFlags, spec: base, abi: abi})
	}
	var whys []string
	for _, m := range candidates {
		m.path = path
		err := m.try()
		if err == nil {
			return m
		}
		whys = append(whys, err.Error())
	}
	why := strings.Join(whys, "; ")
	if abi > 0 {
		m := mode{launcher: true, path: path, spec: launchSpec{Version: launchProtocol, Landlock: true, DenyTCP: true, Writable: base.Writable}, abi: abi, why: why}
		if err := m.try(); err == nil {
			return m
		} else {
			why += "; " + err.Error()
		}
	}
	return mode{abi: abi, why: why}
}

// try runs "exit 0" confined by m.
func (m mode) try() error { return m.tryWith(m.spec) }

func (m mode) tryWith(spec launchSpec) error {
	cmd, status, err := m.command(spec, false, shellArgv("exit 0"))
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		status.abandon()
		return fmt.Errorf("start launcher: %w", err)
	}
	serr := status.check()
	werr := cmd.Wait()
	if serr != nil {
		return serr
	}
	return werr
}

// launchStatus is Exec's end of the launcher's status pipe.
type launchStatus struct{ r, w *os.File }

// abandon closes both ends after a failed start.
func (s *launchStatus) abandon() {
	if s != nil {
		s.w.Close()
		s.r.Close()
	}
}

// check waits for the launcher's report: nil once the command started (or
// when the launcher was killed before it could say), the launcher's reason
// otherwise.
func (s *launchStatus) check() error {
	if s == nil {
		return nil
	}
	s.w.Close()
	msg, err := io.ReadAll(io.LimitReader(s.r, 4096))
	s.r.Close()
	if err != nil {
		return fmt.Errorf("launcher status: %w", err)
	}
	if text, ok := strings.CutPrefix(string(msg), "error: "); ok {
		return fmt.Errorf("confine command: %s", text)
	}
	return nil
}

// command makes the process that runs argv (argv[0] a path) under m,
// with spec's writable paths and network choice.
func (m mode) command(spec launchSpec, network bool, argv []string) (*exec.Cmd, *launchStatus, error) {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if !m.launcher {
		return &exec.Cmd{Path: argv[0], Args: argv, SysProcAttr: attr}, nil, nil
	}
	attr.Cloneflags = m.cloneflags
	if network {
		attr.Cloneflags &^= syscall.CLONE_NEWNET
		spec.Loopback, spec.DenyTCP = false, false
	}
	if m.userns {
		// Root inside, as unshare -r does: a user that is not keeps no
		// capability across the launcher's exec, and the launcher needs
		// them to mount /proc. The launcher gives them up for good before
		// it starts the shell (see dropCapabilities).
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	// The launcher itself runs with an empty environment: the command's
	// travels in the spec, so that nothing in it (LD_PRELOAD, GODEBUG)
	// acts on the launcher before it has confined itself.
	cmd := &exec.Cmd{
		Env:         []string{},
		Path:        m.path,
		Args:        append([]string{launcherName, string(raw)}, argv...),
		ExtraFiles:  []*os.File{w},
		SysProcAttr: attr,
	}
	return cmd, &launchStatus{r: r, w: w}, nil
}

// command makes the process that runs argv (argv[0] a path) with env for
// s, confined as Probe reports: Exec's shell and Start's programs alike.
func (s *Sandbox) command(argv, env []string) (*exec.Cmd, *launchStatus, error) {
	m := detected()
	spec := m.spec
	spec.Writable = s.writable
	spec.Env = env
	if s.egress != "" {
		if !m.launcher || m.cloneflags&syscall.CLONE_NEWNET == 0 {
			return nil, nil, fmt.Errorf("the egress proxy needs network namespaces, which this machine does not give (%s)", m.why)
		}
		spec.ProxySocket, spec.ProxyPort = s.egress, s.egressPort
	}
	cmd, status, err := m.command(spec, s.network, argv)
	if err != nil {
		return nil, nil, err
	}
	if !m.launcher {
		cmd.Env = env
	}
	return cmd, status, nil
}

// networkOff reports whether commands of a sandbox that does not allow the
// network are cut off from it.
func networkOff() bool {
	m := detected()
	return m.cloneflags&syscall.CLONE_NEWNET != 0 || m.spec.DenyTCP
}

func probe() Confinement { return detected().confinement() }

// confinement describes what m enforces.
func (m mode) confinement() Confinement {
	c := Confinement{LandlockABI: m.abi, Mechanism: "none", Launcher: m.path}
	ns := m.cloneflags&syscall.CLONE_NEWPID != 0
	switch {
	case ns && m.spec.Landlock:
		c.Mechanism = "namespaces+landlock"
	case ns:
		c.Mechanism = "namespaces"
	case m.launcher:
		c.Mechanism = "landlock"
	}
	nsDetail := func(what string) string {
		if !ns {
			return "no namespaces: " + m.why
		}
		if m.userns {
			return what + " (in a user namespace)"
		}
		return what + " (as root, no user namespace)"
	}
	llDetail := func(minABI int, what string) (bool, string) {
		switch {
		case m.abi == 0:
			return false, "Landlock is not enabled in this kernel"
		case m.abi < minABI:
			return false, "Landlock ABI " + strconv.Itoa(m.abi) + " lacks it (needs " + strconv.Itoa(minABI) + ")"
		case !m.launcher:
			return false, "the launcher could not start: " + m.why
		}
		return true, what + " (Landlock ABI " + strconv.Itoa(m.abi) + ")"
	}
	fsOK, fsDetail := llDetail(1, "writes only in the workspace, its temp dir, HOME and added paths")
	sigOK, sigDetail := llDetail(6, "signals and abstract sockets only within the run")
	// Landlock alone refuses TCP only: reported missing, with what it does.
	netOK := ns
	netDetail := nsDetail("own network namespace, loopback only; with a network policy (allowlist, open) the egress proxy is its only way out")
	if !ns && m.spec.DenyTCP && m.abi >= 4 {
		netDetail = "only partly: TCP bind and connect refused (Landlock ABI " + strconv.Itoa(m.abi) + "), but UDP, DNS and Multipath TCP still reach the network"
	}
	c.Protections = []Protection{
		{Name: "process tree", Active: ns, Detail: nsDetail("own PID namespace: every process of a command dies with it and with Corral")},
		{Name: "private /proc", Active: ns, Detail: nsDetail("fresh /proc: Corral's process and environment out of sight")},
		{Name: "network off", Active: netOK, Detail: netDetail},
		{Name: "filesystem writes", Active: fsOK, Detail: fsDetail},
		{Name: "signal scoping", Active: sigOK || ns, Detail: sigDetail},
	}
	if !sigOK && ns {
		c.Protections[4].Detail = nsDetail("own PID namespace: no process outside the run can be named")
	}
	return c
}

// Forwarder returns a static Linux binary that runs as the egress forwarder
// under the name ForwarderName (see the Docker sandbox's Config.Egress): the
// corral-sandbox-init installed beside Corral, else Corral's own binary when
// it is not dynamically linked (the `corral` build is CGO-free; the desktop
// build is not, and needs the launcher beside it).
func Forwarder() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("egress forwarder: %w", err)
	}
	if paths := launcherPaths(exe); len(paths) > 1 {
		return paths[0], nil
	}
	if static, err := isStatic(exe); err != nil || !static {
		return "", fmt.Errorf("egress forwarder: no %s beside %s, and it is not a static binary", launcherName, exe)
	}
	return exe, nil
}

// isStatic reports whether the ELF file path has no program interpreter.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}
