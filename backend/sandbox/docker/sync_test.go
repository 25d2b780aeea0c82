package docker

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

// copySandbox returns a sandbox with a copied workspace on a fresh host
// directory, and that directory.
func copySandbox(t *testing.T) (*Sandbox, string) {
	t.Helper()
	b := setup(t, Options{Workspace: WorkspaceCopy})
	ws := t.TempDir()
	return b.sandbox(t, Spec{Workspace: ws}), ws
}

// hostTree lists the host workspace as sorted "name mode [content|-> target]"
// lines, with modes as ls shows them.
func hostTree(t *testing.T, ws string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == ws {
			return err
		}
		rel, _ := filepath.Rel(ws, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode().String()
		line := filepath.ToSlash(rel) + " "
		switch {
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += mode + " " + strings.TrimSpace(string(data))
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			line += "l" + mode[1:] + " -> " + target
		case fi.Mode()&fs.ModeNamedPipe != 0:
			line += "p" + mode[1:]
		default:
			line += mode
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// containerTree lists the container's workspace the same way.
func containerTree(t *testing.T, sb *Sandbox) []string {
	t.Helper()
	out := mustRun(t, sb, `cd /workspace && find . -mindepth 1 | while read -r p; do
		n=${p#./} m=$(stat -c %A "$p")
		if [ -L "$p" ]; then echo "$n $m -> $(readlink "$p")"
		elif [ -f "$p" ]; then echo "$n $m $(cat "$p")"
		else echo "$n $m"; fi
	done`)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return lines
}

// checkInStep fails t unless host and container workspaces agree. (The
// listing runs as a command: it syncs first, which is the point.)
func checkInStep(t *testing.T, sb *Sandbox, ws string) {
	t.Helper()
	ctr := containerTree(t, sb)
	host := hostTree(t, ws)
	if !slices.Equal(host, ctr) {
		t.Errorf("workspaces differ:\nhost:\n  %s\ncontainer:\n  %s", strings.Join(host, "\n  "), strings.Join(ctr, "\n  "))
	}
}

func TestCopyPullsContainerChanges(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	for _, f := range []string{"keep.txt", "gone.txt", "dir/a", "dir/sub/b", "moved/c", "retype", "mode.sh"} {
		if err := sb.Files().WriteFile(f, []byte("host "+f+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, sb, "true")
	checkInStep(t, sb, ws)

	mustRun(t, sb, strings.Join([]string{
		"rm gone.txt",
		"rm -r dir/sub",
		"mv moved renamed",
		"rm retype && mkdir retype && echo inside > retype/f",
		"chmod 755 mode.sh",
		"echo new > 'with space ü.txt'",
		"ln -s keep.txt link",
		"mkfifo pipe",
		// Content changed, mtime set back: only ctime tells.
		"echo sneaky > keep.txt && touch -d '2001-01-01 00:00:00' keep.txt",
	}, " && "))
	checkInStep(t, sb, ws)
	if fi, err := os.Stat(filepath.Join(ws, "keep.txt")); err != nil || fi.ModTime().Year() != 2001 {
		t.Errorf("keep.txt mtime on the host = %v, %v; want 2001 as in the container", fi.ModTime(), err)
	}

	// A second round on what the first one left.
	mustRun(t, sb, "rm -r renamed link && echo again > keep.txt && chmod 700 retype")
	checkInStep(t, sb, ws)
}

func TestCopyPushesHostChanges(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	mustRun(t, sb, "mkdir -p a/b && echo 1 > a/b/f && echo 2 > top && ln -s top l")
	// The user edits the host copy between commands.
	for _, err := range []error{
		os.RemoveAll(filepath.Join(ws, "a")),
		os.Remove(filepath.Join(ws, "l")),
		os.WriteFile(filepath.Join(ws, "top"), []byte("edited on host\n"), 0o600),
		os.Mkdir(filepath.Join(ws, "new"), 0o750),
		os.WriteFile(filepath.Join(ws, "new", "x"), []byte("x\n"), 0o644),
		os.Symlink("new/x", filepath.Join(ws, "l2")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkInStep(t, sb, ws)
	if got := mustRun(t, sb, "ls /workspace"); got != "l2\nnew\ntop\n" {
		t.Errorf("ls after host changes = %q", got)
	}
}

func TestCopyManyChanges(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	mustRun(t, sb, "mkdir -p d1 d2/deep && for i in $(seq 1 40); do echo $i > d1/f$i; done && echo x > d2/deep/y && echo top > t")
	mustRun(t, sb, "for i in $(seq 1 40); do echo changed $i > d1/f$i; done; echo changed > d2/deep/y")
	checkInStep(t, sb, ws)
}

func TestCopyHostWinsWhenBothChange(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	mustRun(t, sb, "echo base > f")
	done := make(chan error, 1)
	go func() {
		_, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "while [ ! -e /tmp/go ]; do sleep 0.02; done; rm f", Timeout: time.Minute})
		done <- err
	}()
	// Once the command runs (its push is over), the host edits f; then the
	// command deletes it in the container.
	eventually(t, "the command to start", func() bool {
		code, _, err := sb.b.run(context.Background(), sb.ContainerID(), []string{"sh", "-c", "ls /tmp/.corral-*.pid"})
		return err == nil && code == 0
	})
	if err := os.WriteFile(filepath.Join(ws, "f"), []byte("host edit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := sb.b.run(context.Background(), sb.ContainerID(), []string{"touch", "/tmp/go"}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "f")); err != nil || string(data) != "host edit\n" {
		t.Errorf("host f after the container deleted it = %q, %v; want the host's edit kept", data, err)
	}
	checkInStep(t, sb, ws) // and the next command brings it back into the container
}

func TestCopyDoesNotWriteThroughHostLinks(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(ws, "hard")); err != nil {
		t.Skipf("hard link: %v", err)
	}
	mustRun(t, sb, "echo changed > hard && ln -s /etc/passwd pw && ln -s "+outside+" out")
	if data, _ := os.ReadFile(outside); string(data) != "outside\n" {
		t.Errorf("outside file = %q: the pull wrote through a hard link", data)
	}
	if data, _ := os.ReadFile(filepath.Join(ws, "hard")); string(data) != "changed\n" {
		t.Errorf("workspace file = %q, want the container's", data)
	}
	if _, err := sb.Files().ReadFile("out"); err == nil {
		t.Errorf("ReadFile(out) through a pulled link to outside succeeded")
	}
}

func TestCopyFallsBackToFullPull(t *testing.T) {
	t.Parallel()
	sb, ws := copySandbox(t)
	tests := []struct {
		name    string
		env     []string
		command string
		file    string
		want    string
	}{
		// A name with a newline breaks the line-based listing.
		{"NewlineInName", nil, "printf 'x\\n' > \"$(printf 'a\\nb')\"", "a\nb", "x\n"},
		// The wrapper itself killed: no trailer at all.
		{"WrapperKilled", nil, "echo 2 > two; kill -9 $PPID", "two", "2\n"},
		// No find or stat (and no setsid) on PATH.
		{"NoListingTools", []string{"PATH=/tmp/bin"}, "echo 3 > three", "three", "3\n"},
	}
	mustRun(t, sb, "mkdir -p /tmp/bin && for a in sh echo cat rm kill sleep; do ln -sf /bin/busybox /tmp/bin/$a; done")
	for _, tt := range tests {
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: tt.command, Env: tt.env, Timeout: time.Minute})
		if err != nil {
			t.Fatalf("%s: Exec error = %v", tt.name, err)
		}
		if data, err := sb.Files().ReadFile(tt.file); err != nil || string(data) != tt.want {
			t.Errorf("%s: exit %d; ReadFile(%q) = %q, %v; want %q", tt.name, res.ExitCode, tt.file, data, err, tt.want)
		}
	}
	mustRun(t, sb, "rm a*")
	checkInStep(t, sb, ws)
}

func TestNoSetsidFallbackKillsChildren(t *testing.T) {
	t.Parallel()
	modes(t, func(t *testing.T, mode WorkspaceMode) {
		b := setup(t, Options{Workspace: mode})
		sb := b.sandbox(t, Spec{})
		mustRun(t, sb, "mkdir -p /tmp/bin && for a in sh echo cat sleep cut find stat; do ln -sf /bin/busybox /tmp/bin/$a; done")
		env := []string{"PATH=/tmp/bin"}
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "sleep 30 & echo $! > bg.pid; echo hi", Env: env, Timeout: time.Minute})
		if err != nil || res.Stdout != "hi\n" || res.Duration > 10*time.Second {
			t.Fatalf("Exec = %+v, %v; want hi, quickly", res, err)
		}
		res, err = sb.Exec(context.Background(), sandbox.ExecRequest{Command: "sleep 30 & echo $! > bg2.pid; sleep 30", Env: env, Timeout: 300 * time.Millisecond})
		if err != nil || !res.TimedOut {
			t.Fatalf("Exec with timeout = %+v, %v; want timed out", res, err)
		}
		for _, f := range []string{"bg.pid", "bg2.pid"} {
			check := `p=$(cat ` + f + `); i=0; while [ $i -lt 50 ]; do s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); if [ -z "$s" ] || [ "$s" = Z ]; then exit 0; fi; sleep 0.1; i=$((i+1)); done; exit 1`
			if res := run(t, sb, check); res.ExitCode != 0 {
				t.Errorf("background child from %s survived without setsid", f)
			}
		}
	})
}

func TestSplitter(t *testing.T) {
	t.Parallel()
	marker := []byte("\x00corral-abc\x00")
	tests := []struct {
		name   string
		writes []string
		out    string
		after  string
	}{
		{"NoMarker", []string{"hello", " world"}, "hello world", ""},
		{"MarkerWhole", []string{"out\x00corral-abc\x000\n"}, "out", "0\n"},
		{"MarkerSplit", []string{"out\x00cor", "ral-a", "bc\x00", "0\nrest"}, "out", "0\nrest"},
		{"NearMiss", []string{"\x00corral-abd\x00", "x"}, "\x00corral-abd\x00x", ""},
		{"ByteByByte", strings.Split("ab\x00corral-abc\x007\n", ""), "ab", "7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := sandbox.NewLimitedBuffer(1 << 10)
			s := newSplitter(buf, marker)
			for _, w := range tt.writes {
				if n, err := s.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			s.flush()
			if got := buf.String(); got != tt.out {
				t.Errorf("output = %q, want %q", got, tt.out)
			}
			if got := s.after.String(); got != tt.after {
				t.Errorf("after marker = %q, want %q", got, tt.after)
			}
		})
	}
}

func TestParseTrailer(t *testing.T) {
	t.Parallel()
	const stamp = "2026-11-23 11:01:16.360436758 +0000"
	tests := []struct {
		name    string
		after   string
		listed  bool
		partial bool
		entries int
	}{
		{"Complete", "0\n" + stamp + "\n" + stamp + "|81a4|3|/workspace/a b|c\n" + stamp + "|41ed|4096|/workspace/d\nend 0\n", true, false, 2},
		{"Partial", "0\n" + stamp + "\nend 1\n", true, true, 0},
		{"NoTools", "0\n" + stamp + "\nend none\n", false, false, 0},
		{"NoStamp", "0\nnostamp\nend 0\n", false, false, 0},
		{"CutShort", "0\n" + stamp + "\n" + stamp + "|81a4|3|/workspace/a\n", false, false, 0},
		{"Newline", "0\n" + stamp + "\n" + stamp + "|81a4|3|/workspace/a\nb\nend 0\n", false, false, 0},
		{"Outside", "0\n" + stamp + "\n" + stamp + "|81a4|3|/etc/passwd\nend 0\n", false, false, 0},
		{"DotDot", "0\n" + stamp + "\n" + stamp + "|81a4|3|/workspace/../x\nend 0\n", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &splitter{found: true}
			s.after.WriteString(tt.after)
			tr := s.trailer(true)
			if tr == nil {
				t.Fatal("trailer() = nil")
			}
			if tr.listed != tt.listed || tr.partial != tt.partial || len(tr.entries) != tt.entries {
				t.Errorf("trailer() = listed %v partial %v %d entries, want %v %v %d", tr.listed, tr.partial, len(tr.entries), tt.listed, tt.partial, tt.entries)
			}
		})
	}
}
