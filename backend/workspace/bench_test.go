package workspace_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/workspace"
)

// The 100k tree: 100,000 small files in 1,000 leaf directories (10 x 100),
// 1,011 directories with the root, generated once under os.TempDir() and
// reused. Its watcher needs 1,011 inotify watches, far below this machine's
// fs.inotify.max_user_watches (192,536).
const (
	treeVersion = "v1"
	treeDirs    = 1 + 10 + 10*100
	treeFiles   = 10 * 100 * 100
)

func tree100k(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "corral-workspace100k-"+treeVersion)
	done := filepath.Join(dir, ".complete")
	if _, err := os.Stat(done); err == nil {
		return dir
	}
	b.Logf("generating %d files under %s (once)", treeFiles, dir)
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	for i := range 10 {
		for j := range 100 {
			sub := filepath.Join(dir, fmt.Sprintf("pkg%02d", i), fmt.Sprintf("mod%03d", j))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			for k := range 100 {
				name := filepath.Join(sub, fmt.Sprintf("file%03d.go", k))
				if err := os.WriteFile(name, []byte("package mod\n"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := os.WriteFile(done, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkSnapshot100k lists the 100k tree (warm cache).
func BenchmarkSnapshot100k(b *testing.B) {
	root := tree100k(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		entries, err := workspace.Snapshot(context.Background(), root, workspace.Options{})
		if err != nil {
			b.Fatal(err)
		}
		n = len(entries)
	}
	if want := treeFiles + treeDirs - 1 + 1; n != want { // without the root, with .complete
		b.Fatalf("Snapshot() listed %d entries, want %d", n, want)
	}
	b.ReportMetric(float64(n), "entries")
}

// BenchmarkWatch100kMemory reports the heap a started watcher of the 100k
// tree holds (B/watcher), and in ns/op the time Start takes to list and
// watch it. Polling keeps the whole listing; notify keeps the directories.
func BenchmarkWatch100kMemory(b *testing.B) {
	root := tree100k(b)
	for _, poll := range []bool{false, true} {
		name := "Notify"
		if poll {
			name = "Polling"
		}
		b.Run(name, func(b *testing.B) {
			var total, n float64
			for b.Loop() {
				b.StopTimer()
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				w, err := workspace.New(root, workspace.Options{Poll: poll, PollInterval: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if got, want := w.Mode(), map[bool]workspace.Mode{false: workspace.ModeNotify, true: workspace.ModePolling}[poll]; got != want {
					b.Fatalf("Mode() = %q (%s), want %q", got, w.Warning(), want)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				total += float64(after.HeapInuse) - float64(before.HeapInuse)
				n++
				runtime.KeepAlive(w)
				w.Stop()
				b.StartTimer()
			}
			b.ReportMetric(total/n, "B/watcher")
			b.ReportMetric(treeDirs, "dirs")
			b.ReportMetric(treeFiles, "files")
		})
	}
}

// BenchmarkChangeLatency measures the time from a file written in the
// workspace to its appearance in a batch: the quiet period plus the
// pipeline.
func BenchmarkChangeLatency(b *testing.B) {
	for _, quiet := range []time.Duration{50 * time.Millisecond, time.Millisecond} {
		b.Run(fmt.Sprintf("Quiet=%v", quiet), func(b *testing.B) {
			root := b.TempDir()
			w, err := workspace.New(root, workspace.Options{Quiet: quiet})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			if err := w.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				name := fmt.Sprintf("f%d.txt", i)
				i++
				if err := os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644); err != nil {
					b.Fatal(err)
				}
				for found := false; !found; {
					select {
					case batch := <-w.Batches():
						found = slices.ContainsFunc(batch.Changes, func(c workspace.Change) bool { return c.Path == name })
					case <-time.After(waitTimeout):
						b.Fatalf("%s not reported within %v", name, waitTimeout)
					}
				}
			}
		})
	}
}
