//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// windowSteps is the size of the finished run the window has open (issue 21: ready in under
// 1 s, at most 300 MiB for all its processes).
const windowSteps = 1_000

// procTree returns pid and every process descending from it (the desktop's WebKit web and
// network processes), from /proc.
func procTree(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 {
			if pp, err := strconv.Atoi(f[1]); err == nil {
				children[pp] = append(children[pp], p)
			}
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// procMemory is one process's name and its resident and proportional set sizes in MiB (PSS
// shares each shared page among the processes that map it, so PSS adds up across them).
type procMemory struct {
	name           string
	rss, pss, anon float64
}

// procRole names a process of the window's tree for the per-process metrics.
func procRole(comm string) string {
	switch {
	case strings.HasPrefix(comm, "corral"):
		return "go"
	case strings.HasPrefix(comm, "WebKitWebProc"):
		return "web"
	case strings.HasPrefix(comm, "WebKitNetwork"):
		return "net"
	}
	return "other"
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU times (100 on every
// Linux that Go supports).
const clockTicks = 100

// procCPUMs is the CPU time (user and system) pid has used so far, in ms; 0 when it is gone.
func procCPUMs(pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// After "pid (comm)": state is field 3, utime and stime fields 14 and 15.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseFloat(f[11], 64)
	sys, _ := strconv.ParseFloat(f[12], 64)
	return (user + sys) * 1000 / clockTicks
}

func readProcMemory(pid int) (procMemory, bool) {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return procMemory{}, false
	}
	m := procMemory{name: strings.TrimSpace(string(comm))}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return procMemory{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "Rss:":
			m.rss = kb / 1024
		case "Pss:":
			m.pss = kb / 1024
		case "Anonymous:":
			m.anon = kb / 1024
		}
	}
	return m, true
}

// BenchmarkWindow launches the real window under Xvfb (`corral`, which becomes
// corral-desktop) and measures the time from launch to the frontend's ready report, then the
// memory of all its processes (Go and WebKit) once the latest run's trace is painted. Two
// data directories in the same run: empty (the baseline: the window alone) and one holding a
// finished 1,000-step run, which the window opens at start (its console) and whose trace tab
// is then shown. Metrics: ms to ready; the CPU time the processes had used by then (steadier
// than wall time on a busy machine); the sum of RSS and of PSS (MiB) over the processes, and
// the PSS of each (go: corral-desktop, web: WebKitWebProcess, net: WebKitNetworkProcess).
// Each window's RSS, PSS and anonymous memory per process, and the page's own start times,
// are logged.
func BenchmarkWindow(b *testing.B) {
	bin := corralBin(b)
	if _, err := exec.LookPath("Xvfb"); err != nil {
		b.Skip("no Xvfb")
	}
	full := b.TempDir()
	seedRun(b, full, "ses_window", "run_window", "a finished run", windowSteps, time.Now())
	for _, c := range []struct {
		name, dataDir string
		nodes         int
	}{{"empty", "", 0}, {fmt.Sprintf("run-%d", windowSteps), full, windowSteps}} {
		b.Run(c.name, func(b *testing.B) {
			var ready, cpu, rss, pss []float64
			byRole := map[string][]float64{}
			for b.Loop() {
				w := openWindow(b, bin, c.dataDir, c.nodes)
				ready, cpu = append(ready, w.readyMs), append(cpu, w.cpuMs)
				rss, pss = append(rss, w.rss), append(pss, w.pss)
				for _, role := range []string{"go", "web", "net"} {
					byRole[role] = append(byRole[role], w.rolePSS[role])
				}
			}
			b.ReportMetric(quantile(ready, 0.5), "ms-to-ready")
			b.ReportMetric(quantile(cpu, 0.5), "cpu-ms-to-ready")
			b.ReportMetric(quantile(rss, 0.5), "MiB-rss")
			b.ReportMetric(quantile(pss, 0.5), "MiB-pss")
			for role, v := range byRole {
				b.ReportMetric(quantile(v, 0.5), "MiB-pss-"+role)
			}
		})
	}
}

// windowFigures are one window's measurements.
type windowFigures struct {
	readyMs, cpuMs float64 // wall and CPU time (all its processes) from launch to ready
	rss, pss       float64 // MiB, summed over its processes
	rolePSS        map[string]float64
}

// openWindow starts one window on dataDir (a fresh one when empty), waits for the ready
// report and, with nodes > 0, for the trace of nodes steps to be painted, and returns its
// figures.
func openWindow(b *testing.B, bin, dataDir string, nodes int) windowFigures {
	b.Helper()
	display := startXvfb(b)
	if dataDir == "" {
		dataDir = b.TempDir()
	}
	cmd := exec.Command(bin, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "DOCKER_HOST=unix:///nonexistent.sock")
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	begun := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	readyLine := waitLine(b, lines, 90*time.Second, "frontend ready report", contains(`msg="frontend ready"`))
	w := windowFigures{readyMs: float64(time.Since(begun).Microseconds()) / 1000, rolePSS: map[string]float64{}}
	for _, pid := range procTree(cmd.Process.Pid) {
		w.cpuMs += procCPUMs(pid)
	}
	if nodes > 0 {
		xdo := func(args ...string) string {
			c := exec.Command("xdotool", args...)
			c.Env = append(os.Environ(), "DISPLAY="+display)
			out, err := c.CombinedOutput()
			if err != nil {
				b.Fatalf("xdotool %v: %v: %s", args, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		win := strings.Fields(xdo("search", "--sync", "--onlyvisible", "--name", "^Corral$"))
		if len(win) == 0 {
			b.Fatal("no Corral window on the display")
		}
		xdo("windowfocus", "--sync", win[0])
		xdo("key", "--clearmodifiers", "alt+2")
		waitLine(b, lines, 60*time.Second, "trace painted report", contains(fmt.Sprintf("nodes=%d ", nodes)))
	}
	var parts []string
	for _, pid := range procTree(cmd.Process.Pid) {
		if m, ok := readProcMemory(pid); ok {
			w.rss += m.rss
			w.pss += m.pss
			w.rolePSS[procRole(m.name)] += m.pss
			parts = append(parts, fmt.Sprintf("%s %.0f/%.0f/%.0f", m.name, m.rss, m.pss, m.anon))
		}
	}
	page := ""
	if i := strings.Index(readyLine, "since_start_ms="); i >= 0 {
		page = " (" + readyLine[i:] + ")"
	}
	b.Logf("ready %.0f ms, %.0f ms CPU%s; RSS/PSS/anonymous MiB: %s", w.readyMs, w.cpuMs, page, strings.Join(parts, ", "))
	return w
}
