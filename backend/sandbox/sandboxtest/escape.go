package sandboxtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

func testEscape(t *testing.T, newSandbox Factory) {
	t.Run("Corpus", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		o := newOutside(t, b)
		parentBefore := b.hostParentEntries(t)
		rel := o.rel(t)
		// Links an agent could plant with exec. None of the write targets is
		// a system file: a broken sandbox must fail this test, not the host.
		b.mustExec(t, strings.Join([]string{
			"ln -s /etc/passwd etc-passwd",
			"ln -s /etc etc",
			"ln -s .. parent",
			"ln -s ../.. grandparent",
			"ln -s " + shellQuote(o.dir) + " out-abs",
			"ln -s " + shellQuote(rel) + " out-rel",
			"ln -s " + shellQuote(o.dir+"/"+sentinel) + " sentinel-abs",
			"ln -s " + shellQuote(rel+"/"+sentinel) + " sentinel-rel",
			"ln -s " + shellQuote(o.dir+"/dangling-target") + " dangling",
			"mkdir -p inner/deeper && ln -s ../../" + shellQuote(rel) + " inner/deeper/up",
			"ln -s parent chain",
			"ln -s inner/deeper/up chain2",
		}, " && "))

		reads := []string{
			"..", "../x", "../" + sentinel, "a/../../x", "/etc/passwd", "/", o.dir, o.dir + "/" + sentinel,
			"etc-passwd", "etc", "etc/passwd", "parent", "parent/x", "grandparent",
			"out-abs", "out-abs/" + sentinel, "out-rel", "out-rel/" + sentinel,
			"sentinel-abs", "sentinel-rel", "dangling", "inner/deeper/up", "inner/deeper/up/" + sentinel,
			"chain", "chain/x", "chain2/" + sentinel,
		}
		for _, name := range reads {
			t.Run("Read "+strings.ReplaceAll(name, o.dir, "$OUTSIDE"), func(t *testing.T) {
				ops := []struct {
					op  string
					err error
				}{
					{"ReadFile", errOf(b.files.ReadFile(name))},
					{"Stat", errOf(b.files.Stat(name))},
					{"Open", errOf(openClose(b.files, name))},
					{"ReadDir", errOf(b.files.ReadDir(name))},
				}
				for _, op := range ops {
					if !isOutside(op.err) {
						t.Errorf("%s(%q) error = %v, want %v", op.op, name, op.err, sandbox.ErrOutsideWorkspace)
					}
				}
			})
		}

		writes := []string{
			"../escape.txt", "a/../../escape.txt", "/tmp/sandboxtest-escape.txt", o.dir + "/" + sentinel, o.dir + "/created",
			"sentinel-abs", "sentinel-rel", "out-abs/" + sentinel, "out-rel/created", "out-abs/new/deep/file",
			"dangling", "parent/escape.txt", "inner/deeper/up/created", "chain/escape.txt", "chain2/" + sentinel,
		}
		for _, name := range writes {
			t.Run("Write "+strings.ReplaceAll(name, o.dir, "$OUTSIDE"), func(t *testing.T) {
				err := b.files.WriteFile(name, []byte("escaped!\n"), 0o644)
				if !isOutside(err) {
					t.Errorf("WriteFile(%q) error = %v, want %v", name, err, sandbox.ErrOutsideWorkspace)
				}
			})
		}
		o.check(t)
		b.checkHostParent(t, parentBefore)
		if _, err := os.Stat("/tmp/sandboxtest-escape.txt"); err == nil {
			t.Errorf("/tmp/sandboxtest-escape.txt exists: an absolute write escaped")
		}
	})

	t.Run("HardLinkMadeOnHost", func(t *testing.T) {
		t.Parallel()
		ws, out := t.TempDir(), t.TempDir()
		target := filepath.Join(out, "target")
		if err := os.WriteFile(target, []byte(sentinelContent), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(target, filepath.Join(ws, "hardlink")); err != nil {
			t.Skipf("cannot hard-link across the test's temp dirs: %v", err)
		}
		b := setupIn(t, newSandbox, ws)
		err := b.files.WriteFile("hardlink", []byte("escaped!\n"), 0o644)
		if b.shared && !isOutside(err) {
			t.Errorf("WriteFile(hardlink) error = %v, want %v", err, sandbox.ErrOutsideWorkspace)
		}
		if err != nil && !isOutside(err) {
			t.Errorf("WriteFile(hardlink) error = %v, want nil (a copy) or %v", err, sandbox.ErrOutsideWorkspace)
		}
		if data, err := os.ReadFile(target); err != nil || string(data) != sentinelContent {
			t.Errorf("outside file = %q, %v; want it unchanged %q", data, err, sentinelContent)
		}
	})

	t.Run("HardLinkMadeByExec", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		res := b.exec(t, `d=$(mktemp -d) && printf %s `+shellQuote(sentinelContent)+` > "$d/target" && printf %s "$d" && ln "$d/target" hardlink`)
		d := res.Stdout
		if d != "" {
			t.Cleanup(func() { b.exec(t, "rm -rf "+shellQuote(d)) })
		}
		if res.ExitCode != 0 {
			t.Skipf("exec cannot hard-link a file outside the workspace into it (%q): nothing to test", res.Stderr)
		}
		err := b.files.WriteFile("hardlink", []byte("escaped!\n"), 0o644)
		if err != nil && !isOutside(err) {
			t.Errorf("WriteFile(hardlink) error = %v, want %v (or a write that leaves the outside file alone)", err, sandbox.ErrOutsideWorkspace)
		}
		if got := b.mustExec(t, "cat "+shellQuote(d+"/target")); got != sentinelContent {
			t.Errorf("outside file = %q, want it unchanged %q", got, sentinelContent)
		}
	})

	t.Run("RenameRace", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		o := newOutside(t, b)
		parentBefore := b.hostParentEntries(t)
		if err := b.files.WriteFile("race/d/inside-marker", []byte("inside\n"), 0o644); err != nil {
			t.Fatal(err)
		}

		// The swapper turns race/d into a symbolic link to the outside
		// directory and back, as fast as it can, while the loop below reads
		// and writes through it. (A write may recreate race/d while it is
		// missing; the swapper then moves that one aside.)
		stop := make(chan struct{})
		var swapping sync.WaitGroup
		swaps := 0
		if b.shared {
			race := filepath.Join(b.workspace, "race")
			d, real := filepath.Join(race, "d"), filepath.Join(race, "d.real")
			swapping.Go(func() {
				for ; ; swaps++ {
					select {
					case <-stop:
						return
					default:
					}
					_ = os.Rename(d, real)
					_ = os.Symlink(o.dir, d)
					_ = os.Remove(d)
					if err := os.Rename(real, d); err != nil {
						_ = os.Rename(d, filepath.Join(race, fmt.Sprintf("recreated-%d", swaps)))
						_ = os.Rename(real, d)
					}
				}
			})
		} else {
			swapping.Go(func() {
				_, _ = b.sb.Exec(context.Background(), sandbox.ExecRequest{
					Command: `cd race && until [ -e stop ]; do mv d d.real; ln -s ` + shellQuote(o.dir) + ` d; rm d; mv d.real d || { mv d recreated-$$-$RANDOM; mv d.real d; }; done`,
					Timeout: time.Minute,
				})
			})
		}
		stopSwapper := sync.OnceFunc(func() {
			if b.shared {
				close(stop)
			} else {
				_ = b.files.WriteFile("race/stop", nil, 0o644)
			}
			swapping.Wait()
		})
		defer stopSwapper()

		const rounds = 3000
		for i := range rounds {
			if data, err := b.files.ReadFile("race/d/" + sentinel); err == nil && string(data) == sentinelContent {
				t.Fatalf("round %d: ReadFile(race/d/%s) read the outside sentinel", i, sentinel)
			}
			if err := b.files.WriteFile("race/d/"+sentinel, []byte("escaped!\n"), 0o644); errors.Is(err, sandbox.ErrUnavailable) {
				t.Fatal(err)
			}
			_ = b.files.WriteFile("race/d/created", []byte("escaped!\n"), 0o644)
			_ = b.files.WriteFile("race/d/new/deep/created", []byte("escaped!\n"), 0o644)
			_, _ = b.files.ReadDir("race/d")
			_, _ = b.files.Stat("race/d/" + sentinel)
		}
		stopSwapper()
		t.Logf("%d rounds against %d swaps (0: swapped by exec)", rounds, swaps)
		o.check(t)
		b.checkHostParent(t, parentBefore)
	})

	testExecEscape(t, newSandbox)
}

// hostParentEntries lists the host directory holding the workspace when the
// sandbox's files are the host's: a ".." escape would land there.
func (b *bundle) hostParentEntries(t *testing.T) []string {
	t.Helper()
	if !b.shared {
		return nil
	}
	entries, err := os.ReadDir(filepath.Dir(b.workspace))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func (b *bundle) checkHostParent(t *testing.T, before []string) {
	t.Helper()
	if !b.shared {
		return
	}
	after := b.hostParentEntries(t)
	for _, name := range after {
		if !slices.Contains(before, name) && strings.Contains(name, "escape") {
			t.Errorf("%s appeared next to the workspace: a write escaped", filepath.Join(filepath.Dir(b.workspace), name))
		}
	}
}

func errOf[T any](_ T, err error) error { return err }

func openClose(files sandbox.Files, name string) (struct{}, error) {
	f, err := files.Open(name)
	if err == nil {
		f.Close()
	}
	return struct{}{}, err
}
