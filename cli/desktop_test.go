package cli

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestWindowHandsOverToDesktop: the headless corral opens no window itself; with no command
// it becomes corral-desktop, with the same arguments, or says plainly that it is missing.
func TestWindowHandsOverToDesktop(t *testing.T) {
	t.Parallel()
	if hasWindow {
		t.Skip("built with the desktop tag: this binary opens the window itself")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "corral-desktop")
	script := "#!/bin/sh\necho \"desktop pid $$ args: $*\"\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := corral(t, []string{desktopEnv + "=" + fake}, "--data-dir", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("corral --data-dir DIR = %v\n%s", err, out)
	}
	want := "args: --data-dir " + dir
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "desktop pid ") {
		t.Errorf("corral with no command printed %q, want corral-desktop run with %q", out, want)
	}
	// The same process: corral replaced itself (its pid is the one the window has).
	if !strings.Contains(string(out), "desktop pid "+strconv.Itoa(cmd.Process.Pid)+" ") {
		t.Errorf("corral-desktop ran as another process: %q, want pid %d", out, cmd.Process.Pid)
	}

	out, err = corral(t, []string{desktopEnv + "=" + filepath.Join(dir, "missing")}, "window", "--data-dir", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "missing") {
		t.Errorf("corral window with a missing desktop binary = %v, %q; want an error naming it", err, out)
	}
	if _, err := desktopBinary(func(string) string { return "" }); err == nil {
		t.Error("desktopBinary() found a corral-desktop beside the test binary; want errNoDesktop")
	}
}

// gcPercent reads the GC target (SetGCPercent sets one and returns the last).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestWindowGC(t *testing.T) {
	// Not parallel: the GC target is the process's.
	orig := gcPercent()
	t.Cleanup(func() { debug.SetGCPercent(orig) })
	for _, tc := range []struct {
		name, gogc string
		want       int
	}{
		{"GOGC unset: the window's target", "", windowGCPercent},
		{"GOGC set: left as the runtime read it", "200", 77},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(77)
			windowGC(func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			})
			if got := gcPercent(); got != tc.want {
				t.Errorf("windowGC(GOGC=%q): GC percent = %d, want %d", tc.gogc, got, tc.want)
			}
		})
	}
}
