//go:build e2e

// Package e2e drives the real corral binary as a person would: in headless Chromium through
// `corral serve`, and as a desktop window under Xvfb. `make test-e2e` builds the binary and
// runs these with CORRAL_BIN set; artifacts (screenshots) land in CORRAL_ARTIFACTS.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corralBin is the binary under test; the Makefile sets it.
func corralBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("CORRAL_BIN")
	if bin == "" {
		t.Fatal("CORRAL_BIN is not set: run these through `make test-e2e`, which builds the binary")
	}
	return bin
}

// artifact returns a path for a test artifact, in CORRAL_ARTIFACTS or the test's temp dir.
func artifact(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("CORRAL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// startCorral starts the binary with args and returns a channel of its output lines
// (stdout and stderr merged). The process is stopped with SIGTERM when the test ends.
func startCorral(t testing.TB, env []string, args ...string) <-chan string {
	t.Helper()
	cmd := exec.Command(corralBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start corral %v: %v", args, err)
	}
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			t.Logf("corral: %s", sc.Text())
			select {
			case lines <- sc.Text():
			default: // nobody is listening any more; keep draining
			}
		}
	}()
	waited := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(waited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	})
	return lines
}

// waitLine returns the first line for which match is true, or fails after timeout.
func waitLine(t testing.TB, lines <-chan string, timeout time.Duration, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("corral exited before %s", what)
			}
			if match(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("no %s within %s", what, timeout)
		}
	}
}

// assertPicture fails unless the PNG at path is an image with enough distinct colours to be
// a rendered UI rather than a blank or single-colour screen.
func assertPicture(t testing.TB, path string, minColours int) {
	t.Helper()
	n, err := colours(path)
	if err != nil {
		t.Fatal(err)
	}
	if n < minColours {
		t.Errorf("screenshot %s has %d colours, want at least %d (a blank window?)", path, n, minColours)
	}
}

// colours counts the distinct colours in (a sample of) the image at path.
func colours(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return 0, fmt.Errorf("decode screenshot %s: %w", path, err)
	}
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 0}] = true
		}
	}
	return len(seen), nil
}

func withTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func contains(sub string) func(string) bool {
	return func(l string) bool { return strings.Contains(l, sub) }
}
