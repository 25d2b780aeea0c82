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
// is then shown. Metrics: ms to ready, and the sum of RSS and of PSS (MiB) over the processes,
// each process's RSS logged.
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
			var ready, rss, pss []float64
			for b.Loop() {
				r, m, p := openWindow(b, bin, c.dataDir, c.nodes)
				ready, rss, pss = append(ready, r), append(rss, m), append(pss, p)
			}
			b.ReportMetric(quantile(ready, 0.5), "ms-to-ready")
			b.ReportMetric(quantile(rss, 0.5), "MiB-rss")
			b.ReportMetric(quantile(pss, 0.5), "MiB-pss")
		})
	}
}

// openWindow starts one window on dataDir (a fresh one when empty), waits for the ready
// report and, with nodes > 0, for the trace of nodes steps to be painted, and returns the ms
// to ready and the summed RSS and PSS of the window's processes.
func openWindow(b *testing.B, bin, dataDir string, nodes int) (readyMs, rss, pss float64) {
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
	waitLine(b, lines, 90*time.Second, "frontend ready report", contains(`msg="frontend ready"`))
	readyMs = float64(time.Since(begun).Microseconds()) / 1000
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
			rss += m.rss
			pss += m.pss
			parts = append(parts, fmt.Sprintf("%s %.0f/%.0f/%.0f", m.name, m.rss, m.pss, m.anon))
		}
	}
	b.Logf("ready %.0f ms; RSS/PSS/anonymous MiB: %s", readyMs, strings.Join(parts, ", "))
	return readyMs, rss, pss
}
