//go:build linux

package local

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestLauncherRefusesOtherProtocol(t *testing.T) {
	m := detected()
	if !m.launcher {
		t.Skipf("no launcher on this machine: %s", m.why)
	}
	tests := []struct {
		name    string
		version int
		wantErr string
	}{
		{"Current", launchProtocol, ""},
		{"Older", launchProtocol - 1, "spec version"},
		{"Newer", launchProtocol + 1, "spec version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := m.spec
			spec.Version = tt.version
			err := m.tryWith(spec)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("launch with spec version %d: error = %v, want %q", tt.version, err, tt.wantErr)
			}
		})
	}
}

// run runs line under m with spec and returns its output and exit code.
func (m mode) run(t *testing.T, spec launchSpec, dir, line string) (string, int) {
	t.Helper()
	cmd, status, err := m.command(spec, false, shellArgv(line))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
	if err := cmd.Start(); err != nil {
		status.abandon()
		t.Fatal(err)
	}
	if err := status.check(); err != nil {
		_ = cmd.Wait()
		t.Fatalf("launch %q: %v", line, err)
	}
	_ = cmd.Wait()
	return out.String(), cmd.ProcessState.ExitCode()
}

// TestWeakerModes runs the setups detect falls back to where the strongest
// is refused, and checks what README promises of each.
func TestWeakerModes(t *testing.T) {
	best := detected()
	if !best.launcher || best.abi == 0 {
		t.Skipf("no launcher with Landlock here: %s", best.why)
	}
	tests := []struct {
		name     string
		m        mode
		spec     launchSpec
		rootOnly bool
	}{
		{"RootWithoutUserNamespace", mode{launcher: true, path: best.path, cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET},
			launchSpec{Version: launchProtocol, Proc: true, Loopback: true, Landlock: true}, true},
		{"LandlockAlone", mode{launcher: true, path: best.path},
			launchSpec{Version: launchProtocol, Landlock: true, DenyTCP: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.rootOnly && os.Geteuid() != 0 {
				t.Skip("needs root")
			}
			ws, outside := t.TempDir(), t.TempDir()
			tt.spec.Writable = []string{ws}
			if out, code := tt.m.run(t, tt.spec, ws, "echo in > inside && echo out > "+outside+"/escaped"); code == 0 {
				t.Errorf("a write outside the workspace succeeded: %s", out)
			}
			if _, err := os.Stat(filepath.Join(ws, "inside")); err != nil {
				t.Errorf("the write inside the workspace failed: %v", err)
			}
			if _, err := os.Stat(filepath.Join(outside, "escaped")); err == nil {
				t.Errorf("%s/escaped exists: a write escaped", outside)
			}

			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
			// The same connection unconfined succeeds: the check below is not vacuous.
			if out, code := (mode{}).run(t, launchSpec{}, ws, "echo hi | busybox nc -w 2 127.0.0.1 "+port); code != 0 {
				t.Fatalf("unconfined TCP connection failed (%d %s): cannot tell", code, out)
			}
			if out, code := tt.m.run(t, tt.spec, ws, "echo hi | busybox nc -w 2 127.0.0.1 "+port); code == 0 {
				t.Errorf("a TCP connection to the host's 127.0.0.1:%s succeeded: %s", port, out)
			}

			if os.Geteuid() == 0 {
				out, _ := tt.m.run(t, tt.spec, ws, "grep CapEff /proc/self/status")
				if f := strings.Fields(out); len(f) != 2 || strings.Trim(f[1], "0") != "" {
					t.Errorf("root's command has capabilities: %q", out)
				}
			}
		})
	}
}

func TestLauncherPaths(t *testing.T) {
	withLauncher, withDir, without := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(withLauncher, "corral-sandbox-init"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(withDir, "corral-sandbox-init"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := t.TempDir()
	if err := os.WriteFile(filepath.Join(notExec, "corral-sandbox-init"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, exe string
		want      []string
	}{
		{"Sibling", filepath.Join(withLauncher, "corral"), []string{filepath.Join(withLauncher, "corral-sandbox-init"), "/proc/self/exe"}},
		{"NoSibling", filepath.Join(without, "corral"), []string{"/proc/self/exe"}},
		{"SiblingIsADirectory", filepath.Join(withDir, "corral"), []string{"/proc/self/exe"}},
		{"SiblingNotExecutable", filepath.Join(notExec, "corral"), []string{"/proc/self/exe"}},
		{"UnknownExecutable", "", []string{"/proc/self/exe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := launcherPaths(tt.exe); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("launcherPaths(%q) = %q, want %q", tt.exe, got, tt.want)
			}
		})
	}
}

func TestConfinementReport(t *testing.T) {
	ns := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET)
	landlockOnly := launchSpec{Landlock: true, DenyTCP: true}
	tests := []struct {
		name      string
		m         mode
		mechanism string
		missing   []string
	}{
		{"Full", mode{launcher: true, cloneflags: ns | syscall.CLONE_NEWUSER, userns: true, spec: launchSpec{Landlock: true}, abi: 7}, "namespaces+landlock", nil},
		{"RootWithoutUserNamespace", mode{launcher: true, cloneflags: ns, spec: launchSpec{Landlock: true}, abi: 7}, "namespaces+landlock", nil},
		{"NamespacesOldLandlock", mode{launcher: true, cloneflags: ns, spec: launchSpec{Landlock: true}, abi: 3}, "namespaces+landlock", nil},
		{"NamespacesNoLandlock", mode{launcher: true, cloneflags: ns}, "namespaces", []string{"filesystem writes"}},
		{"LandlockAlone", mode{launcher: true, spec: landlockOnly, abi: 7, why: "userns restricted"}, "landlock", []string{"process tree", "private /proc", "network off"}},
		{"LandlockAloneOld", mode{launcher: true, spec: landlockOnly, abi: 3, why: "userns restricted"}, "landlock", []string{"process tree", "private /proc", "network off", "signal scoping"}},
		{"Nothing", mode{why: "userns restricted"}, "none", []string{"process tree", "private /proc", "network off", "filesystem writes", "signal scoping"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.m.confinement()
			if c.Mechanism != tt.mechanism {
				t.Errorf("confinement().Mechanism = %q, want %q", c.Mechanism, tt.mechanism)
			}
			var missing []string
			for _, p := range c.Missing() {
				missing = append(missing, p.Name)
				if p.Detail == "" {
					t.Errorf("missing protection %q has no detail", p.Name)
				}
			}
			if strings.Join(missing, ",") != strings.Join(tt.missing, ",") {
				t.Errorf("confinement().Missing() = %q, want %q", missing, tt.missing)
			}
			if len(c.Protections) != 5 {
				t.Errorf("confinement() lists %d protections, want 5", len(c.Protections))
			}
		})
	}
}
