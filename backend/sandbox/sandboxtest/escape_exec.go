package sandboxtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

// goneWithin bounds how long a process that must die with its command may
// take to disappear from /proc.
const goneWithin = 10 * time.Second

// testExecEscape is the escape corpus of commands: writes outside the
// workspace, network, the host's processes and their environment, signals
// to them, and processes left behind. Each is an attack an agent's command
// could make; none may succeed.
func testExecEscape(t *testing.T, newSandbox Factory) {
	t.Run("ExecWritesOutside", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		o := newOutside(t, b)
		token := randomToken(t)
		home, _ := os.UserHomeDir()
		hostTargets := []string{"/tmp/sandboxtest-exec-escape-" + token}
		if home != "" && home != "/" {
			hostTargets = append(hostTargets, filepath.Join(home, ".sandboxtest-exec-escape-"+token))
		}
		for _, p := range hostTargets {
			t.Cleanup(func() { os.Remove(p) })
		}
		parentBefore := b.hostParentEntries(t)
		rel := o.rel(t)
		tests := []struct{ name, command string }{
			{"AbsoluteTmp", "echo escaped > " + shellQuote(hostTargets[0])},
			{"Home", "echo escaped > " + shellQuote(hostTargets[len(hostTargets)-1])},
			{"OutsideDir", "echo escaped > " + shellQuote(o.dir+"/created")},
			{"OverwriteSentinel", "echo escaped > " + shellQuote(o.dir+"/"+sentinel)},
			{"DotDot", "echo escaped > ../sandboxtest-exec-escape-" + token},
			{"CdUp", "cd .. && mkdir escape-dir-" + token},
			{"SymlinkAbs", "ln -s " + shellQuote(o.dir) + " out && echo escaped > out/created"},
			{"SymlinkRel", "ln -s " + shellQuote(rel) + " outrel && echo escaped > outrel/" + sentinel},
			{"RenameOut", "echo x > inside && mv inside " + shellQuote(o.dir+"/moved")},
			{"RemoveOutside", "rm -f " + shellQuote(o.dir+"/"+sentinel)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b.exec(t, tt.command)
			})
		}
		o.check(t)
		b.checkHostParent(t, parentBefore)
		for _, p := range hostTargets {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s exists: a command wrote outside the workspace", p)
			}
		}
	})

	t.Run("ExecNetwork", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		tcp := listenTCP(t)
		udp := listenUDP(t)
		port, uport := fmt.Sprint(tcp.port()), fmt.Sprint(udp.port())
		// A DNS query for corral.test, as a resolver would send it.
		query := `\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x06corral\x04test\x00\x00\x01\x00\x01`
		tests := []struct{ name, command string }{
			{"BusyboxNC", "echo hi | busybox nc -w 2 127.0.0.1 " + port + " || echo hi | nc -w 2 127.0.0.1 " + port},
			{"Wget", "wget -q -T 2 -O - http://127.0.0.1:" + port + "/"},
			{"BashDevTCP", `bash -c 'echo hi > /dev/tcp/127.0.0.1/` + port + `'`},
			{"DNSQueryUDP", `bash -c "printf '` + query + `' > /dev/udp/127.0.0.1/` + uport + `"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b.execReq(t, sandbox.ExecRequest{Command: tt.command, Timeout: quick})
			})
		}
		if n := tcp.connections(t); n > 0 {
			t.Errorf("%d connections reached a listener on the host's 127.0.0.1:%s: the network is not off", n, port)
		}
		if n := udp.datagrams(t); n > 0 {
			t.Errorf("%d datagrams (DNS queries) reached the host's 127.0.0.1:%s: the network is not off", n, uport)
		}
	})

	t.Run("ExecHostProcessEnvironment", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		secret := "sandboxtest-host-secret-" + randomToken(t)
		startSleeper(t, "CORRAL_SANDBOXTEST_SECRET="+secret)
		tests := []struct{ name, command string }{
			{"ParentEnviron", `tr '\0' '\n' </proc/$PPID/environ`},
			{"InitEnviron", `tr '\0' '\n' </proc/1/environ`},
			{"ScanEnviron", `for f in /proc/[0-9]*/environ; do tr '\0' '\n' <"$f"; done 2>/dev/null`},
			{"PsE", `ps eww -A 2>/dev/null || ps e 2>/dev/null`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := b.exec(t, tt.command)
				if strings.Contains(res.Stdout, secret) {
					t.Errorf("Exec(%q) printed a host process's secret environment variable", tt.command)
				}
			})
		}
	})

	t.Run("ExecSignalsOutside", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		sleeper := startSleeper(t)
		pid := fmt.Sprint(sleeper.cmd.Process.Pid)
		tests := []struct{ name, command string }{
			{"Kill", "kill -9 " + pid},
			{"Term", "kill -TERM " + pid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b.exec(t, tt.command)
				if sleeper.exited() {
					t.Fatalf("Exec(%q) killed a process outside the run (pid %s)", tt.command, pid)
				}
			})
		}
	})

	t.Run("ExecLeavesNothingBehind", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		tests := []struct {
			name    string
			command func(marker string) string
			timeout time.Duration // ends the command while it runs
			cancel  bool          // by ending ctx (Ctrl+C) rather than the request's timeout
		}{
			{"SetsidF", func(m string) string { return "setsid -f sh -c 'sleep 300; : " + m + "'" }, 0, false},
			{"DoubleFork", func(m string) string { return "(sh -c 'sleep 300; : " + m + "' &)" }, 0, false},
			{"Nohup", func(m string) string { return "nohup sh -c 'sleep 300; : " + m + "' >/dev/null 2>&1 &" }, 0, false},
			{"SetsidOnTimeout", func(m string) string { return "setsid -f sh -c 'sleep 300; : " + m + "'; sleep 300" }, 500 * time.Millisecond, false},
			{"DoubleForkOnTimeout", func(m string) string { return "(setsid sh -c 'sleep 300; : " + m + "' &); sleep 300" }, 500 * time.Millisecond, false},
			{"SetsidOnCancel", func(m string) string { return "setsid -f sh -c 'sleep 300; : " + m + "'; sleep 300" }, 500 * time.Millisecond, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				marker := "sandboxtest-marker-" + randomToken(t)
				req := sandbox.ExecRequest{Command: tt.command(marker), Timeout: tt.timeout}
				if req.Timeout == 0 {
					req.Timeout = time.Minute
				}
				ctx := context.Background()
				if tt.cancel {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
					req.Timeout = time.Minute
				}
				res, err := b.sb.Exec(ctx, req)
				if tt.cancel {
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Exec(%q) after ctx ended: error = %v, want %v", req.Command, err, context.DeadlineExceeded)
					}
				} else if err != nil {
					t.Fatalf("Exec(%q) error = %v", req.Command, err)
				}
				if tt.timeout > 0 && !tt.cancel && !res.TimedOut {
					t.Errorf("Exec(%q).TimedOut = false, want true", req.Command)
				}
				if pids := b.waitGone(t, marker); len(pids) > 0 {
					t.Errorf("Exec(%q) left processes %v running after it ended", req.Command, pids)
					if b.shared {
						killHost(pids)
					}
				}
			})
		}
	})
}

// waitGone waits up to goneWithin for every live process whose command line
// holds marker to disappear, and returns those still there. It looks on the
// host when the sandbox shares its files (a local sandbox, a local engine),
// from inside the sandbox otherwise.
func (b *bundle) waitGone(t *testing.T, marker string) []string {
	t.Helper()
	deadline := time.Now().Add(goneWithin)
	for {
		var pids []string
		if b.shared {
			pids = HostProcesses(marker)
		} else {
			res := b.exec(t, `for f in /proc/[0-9]*; do grep -q `+shellQuote(marker)+` $f/cmdline 2>/dev/null && [ "$(cut -d' ' -f3 $f/stat)" != Z ] && echo ${f#/proc/}; done`)
			pids = strings.Fields(res.Stdout)
		}
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(50 * time.Millisecond) // polling /proc, bounded by deadline
	}
}

// HostProcesses returns the ids of the host's live (not zombie) processes
// whose command line contains marker.
func HostProcesses(marker string) []string {
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' || e.Name() == fmt.Sprint(os.Getpid()) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(marker)) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			continue
		}
		pids = append(pids, e.Name())
	}
	return pids
}

// killHost kills the host processes pids, left behind by a failed test.
func killHost(pids []string) {
	for _, p := range pids {
		if pid, err := strconv.Atoi(p); err == nil {
			if proc, err := os.FindProcess(pid); err == nil {
				_ = proc.Kill()
			}
		}
	}
}

func randomToken(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// sleeper is a host process outside every sandbox.
type sleeper struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startSleeper(t *testing.T, env ...string) *sleeper {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &sleeper{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
	})
	return s
}

// exited reports whether the sleeper is gone; a kill sent before the call
// has been delivered by then, and the wait that follows is bounded.
func (s *sleeper) exited() bool {
	select {
	case <-s.done:
		return true
	case <-time.After(200 * time.Millisecond):
		return false
	}
}

// tcpListener counts the connections that reach a listener on 127.0.0.1.
type tcpListener struct {
	ln       *net.TCPListener
	accepted chan net.Conn
}

func listenTCP(t *testing.T) *tcpListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	l := &tcpListener{ln: ln, accepted: make(chan net.Conn, 64)}
	go func() {
		defer close(l.accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for c := range l.accepted {
			c.Close()
		}
	})
	return l
}

func (l *tcpListener) port() int { return l.ln.Addr().(*net.TCPAddr).Port }

// connections returns how many connections came before a marker connection
// the test makes itself: the listener accepts in arrival order.
func (l *tcpListener) connections(t *testing.T) int {
	t.Helper()
	marker, err := net.DialTCP("tcp4", nil, l.ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	timeout := time.After(quick)
	for n := 0; ; n++ {
		select {
		case c := <-l.accepted:
			if c.RemoteAddr().String() == marker.LocalAddr().String() {
				return n
			}
		case <-timeout:
			t.Fatal("marker connection never accepted")
		}
	}
}

// udpListener counts the datagrams that reach a socket on 127.0.0.1.
type udpListener struct{ conn *net.UDPConn }

func listenUDP(t *testing.T) *udpListener {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpListener{conn: c}
}

func (l *udpListener) port() int { return l.conn.LocalAddr().(*net.UDPAddr).Port }

// datagrams returns how many datagrams came before a marker the test sends
// itself.
func (l *udpListener) datagrams(t *testing.T) int {
	t.Helper()
	marker := []byte("sandboxtest-marker")
	s, err := net.DialUDP("udp4", nil, l.conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Write(marker); err != nil {
		t.Fatal(err)
	}
	if err := l.conn.SetReadDeadline(time.Now().Add(quick)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	for n := 0; ; n++ {
		m, err := l.conn.Read(buf)
		if err != nil {
			t.Fatalf("marker datagram never arrived: %v", err)
		}
		if bytes.Equal(buf[:m], marker) {
			return n
		}
	}
}
