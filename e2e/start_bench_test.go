//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCLIStart measures what a headless command costs to start (issue 21): wall time
// and peak resident memory of `corral version` and `corral runs` on an empty data
// directory, beside the baselines of the same run: `true`, a static Go hello, and the
// desktop binary (GTK and WebKit linked) answering `version`. Metrics: ms and MiB (maximum
// resident set size) per start, the median of b.N starts. The peak is GNU time's (%M, of a
// child it forks): the rusage of a child this process starts itself counts this process's
// own memory, which the child shared until its exec (Go starts children with CLONE_VM).
func BenchmarkCLIStart(b *testing.B) {
	bin := corralBin(b)
	dir := b.TempDir()
	hello := filepath.Join(dir, "hello")
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", hello, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build the hello baseline: %v\n%s", err, out)
	}
	trueBin, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	timeBin, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		b.Skip("GNU time is not installed (make test-deps)")
	}
	peakFile := filepath.Join(dir, "peak")
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(bin, "runs", "--data-dir", data).CombinedOutput(); err != nil {
		b.Fatalf("corral runs (creating the journal): %v\n%s", err, out)
	}
	cases := []struct {
		name string
		argv []string
	}{
		{"true", []string{trueBin}},
		{"go-hello", []string{hello}},
		{"corral-version", []string{bin, "version"}},
		{"corral-runs", []string{bin, "runs", "--data-dir", data}},
		{"desktop-version", []string{filepath.Join(filepath.Dir(bin), "corral-desktop"), "version"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if _, err := os.Stat(c.argv[0]); err != nil {
				b.Skipf("%s: %v", c.argv[0], err)
			}
			var walls, rss []float64
			for b.Loop() {
				cmd := exec.Command(c.argv[0], c.argv[1:]...)
				begun := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %v\n%s", c.argv, err, out)
				}
				walls = append(walls, float64(time.Since(begun).Microseconds())/1000)
				b.StopTimer()
				peak := exec.Command(timeBin, append([]string{"-f", "%M", "-o", peakFile}, c.argv...)...)
				if out, err := peak.CombinedOutput(); err != nil {
					b.Fatalf("time %v: %v\n%s", c.argv, err, out)
				}
				text, err := os.ReadFile(peakFile)
				if err != nil {
					b.Fatal(err)
				}
				kib, err := strconv.ParseFloat(strings.TrimSpace(string(text)), 64)
				if err != nil {
					b.Fatalf("GNU time wrote %q: %v", text, err)
				}
				rss = append(rss, kib/1024)
				b.StartTimer()
			}
			b.ReportMetric(quantile(walls, 0.5), "ms/start")
			b.ReportMetric(quantile(rss, 0.5), "MiB-rss")
		})
	}
}
