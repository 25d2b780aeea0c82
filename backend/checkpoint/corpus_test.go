package checkpoint_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/checkpoint"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/docker"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/tool"
)

// corpusCase is a side effect run through the exec tool: setup prepares the workspace on
// the host, cmd is the command the agent would run.
type corpusCase struct {
	name  string
	setup string
	cmd   string
	// hostOnly cases need programs the test image lacks (git).
	hostOnly bool
	// git restores .git too.
	git bool
	// excluded are paths the checkpoint must leave out (and a restore leave alone).
	excluded []string
	// ignored are paths the workspace's ignore files hide from exec's change tracking.
	ignored []string
}

var corpus = []corpusCase{
	{name: "new file", cmd: "echo hi > a.txt"},
	{name: "append", setup: "echo one > a.txt", cmd: "echo two >> a.txt"},
	{name: "overwrite", setup: "echo one > a.txt", cmd: "echo replaced > a.txt"},
	{name: "delete file", setup: "echo one > a.txt; echo keep > b.txt", cmd: "rm a.txt"},
	{name: "rm -rf tree", setup: "mkdir -p src/a/b src/c; echo 1 > src/a/b/x.go; echo 2 > src/c/y.go; echo 3 > src/z.go", cmd: "rm -rf src"},
	{name: "rm -rf everything", setup: "mkdir -p d/e; echo 1 > d/e/f; echo 2 > g; ln -s g h", cmd: "rm -rf ./* ./.[!.]* 2>/dev/null; true"},
	{name: "install thousands of files", cmd: "for d in $(seq 1 40); do mkdir -p vendor/pkg$d/lib; for f in $(seq 1 60); do echo \"module $d $f\" > vendor/pkg$d/lib/m$f.js; done; done"},
	{name: "delete thousands of files", setup: "for d in $(seq 1 30); do mkdir -p gen/d$d; for f in $(seq 1 50); do echo $d.$f > gen/d$d/f$f; done; done", cmd: "rm -rf gen"},
	{name: "chmod +x", setup: "echo 'echo hi' > run.sh", cmd: "chmod +x run.sh"},
	{name: "chmod 000", setup: "echo secret > s", cmd: "chmod 000 s"},
	{name: "chmod 600 to 644", setup: "echo x > f; chmod 600 f", cmd: "chmod 644 f"},
	{name: "setuid and setgid", setup: "echo x > f; chmod 755 f", cmd: "chmod 6755 f"},
	{name: "sticky folder", setup: "mkdir shared", cmd: "chmod 1777 shared"},
	{name: "read-only folder", setup: "mkdir ro; echo x > ro/f", cmd: "chmod 555 ro"},
	{name: "change inside read-only folder", setup: "mkdir ro; echo x > ro/f; echo y > ro/g; chmod 555 ro", cmd: "chmod 755 ro && rm ro/f && echo z > ro/g && chmod 500 ro"},
	{name: "mode and content together", setup: "echo x > f; chmod 644 f", cmd: "echo y > f; chmod 700 f"},
	{name: "symlink created", setup: "echo x > target", cmd: "ln -s target link"},
	{name: "symlink retargeted", setup: "echo a > a; echo b > b; ln -s a l", cmd: "ln -sfn b l"},
	{name: "symlink replaced by file", setup: "echo a > a; ln -s a l", cmd: "rm l && echo file > l"},
	{name: "file replaced by symlink", setup: "echo a > a; echo f > f", cmd: "rm f && ln -s a f"},
	{name: "dangling symlink", cmd: "ln -s does/not/exist dangling"},
	{name: "symlink to folder, folder removed", setup: "mkdir d; echo x > d/f; ln -s d dl", cmd: "rm -rf d"},
	{name: "absolute symlink", cmd: "ln -s /etc/hostname abs"},
	{name: "folder replaced by symlink", setup: "mkdir d; echo x > d/f; mkdir e", cmd: "rm -rf d && ln -s e d"},
	{name: "hard link created", setup: "echo x > a", cmd: "ln a b"},
	{name: "hard link replaced", setup: "echo x > a; ln a b", cmd: "rm b && echo new > b"},
	{name: "hard link written through", setup: "echo x > a; ln a b", cmd: "echo more >> b"},
	{name: "rename file", setup: "echo x > a", cmd: "mv a b"},
	{name: "rename folder", setup: "mkdir d; echo x > d/f", cmd: "mv d e"},
	{name: "rename over existing", setup: "echo a > a; echo b > b", cmd: "mv -f a b"},
	{name: "swap two files", setup: "echo a > a; echo b > b", cmd: "mv a t && mv b a && mv t b"},
	{name: "binary file", cmd: "dd if=/dev/urandom of=bin bs=1024 count=64 2>/dev/null"},
	{name: "binary patched", setup: "dd if=/dev/urandom of=bin bs=1024 count=64 2>/dev/null", cmd: "dd if=/dev/zero of=bin bs=1 seek=1000 count=100 conv=notrunc 2>/dev/null"},
	{name: "binary truncated", setup: "dd if=/dev/urandom of=bin bs=1024 count=32 2>/dev/null", cmd: ": > bin"},
	{name: "large file", cmd: "dd if=/dev/urandom of=big bs=1048576 count=3 2>/dev/null"},
	{name: "large file appended", setup: "dd if=/dev/urandom of=big bs=1048576 count=2 2>/dev/null", cmd: "echo tail >> big"},
	{name: "file replaced by folder", setup: "echo x > f", cmd: "rm f && mkdir f && echo inner > f/inner"},
	{name: "folder replaced by file", setup: "mkdir d; echo x > d/f", cmd: "rm -rf d && echo now-a-file > d"},
	{name: "file to folder and back", setup: "echo first > f", cmd: "rm f && mkdir f && echo x > f/y && rm -rf f && echo second > f"},
	{name: "unicode names", cmd: "echo x > 'héllo wörld.txt' && mkdir 日本 && echo y > 日本/ファイル.txt && echo z > 'emoji 🦀.rs'"},
	{name: "unicode rename", setup: "echo x > 'naïve.txt'", cmd: "mv 'naïve.txt' 'наивный.txt'"},
	{name: "newline in name", cmd: "printf x > \"$(printf 'a\\nb')\""},
	{name: "leading dash and spaces", cmd: "echo x > ./-rf && echo y > '  spaced  '"},
	{name: "empty folder created", cmd: "mkdir -p empty/nested/deeper"},
	{name: "empty folder removed", setup: "mkdir -p e/f", cmd: "rmdir e/f e"},
	{name: "empty file", cmd: "touch empty"},
	{name: "deep nesting", cmd: "mkdir -p a/b/c/d/e/f/g/h/i/j && echo deep > a/b/c/d/e/f/g/h/i/j/k"},
	{name: "dotfiles", cmd: "echo SECRET=1 > .env && mkdir -p .config/app && echo '{}' > .config/app/c.json"},
	{name: "sed over many files", setup: "for i in $(seq 1 100); do echo \"old $i\" > f$i.txt; done", cmd: "sed -i 's/old/new/' f*.txt"},
	{name: "copy a tree", setup: "mkdir -p src/a; echo 1 > src/a/x; echo 2 > src/y; ln -s y src/l", cmd: "cp -a src dst"},
	{name: "tar extract", setup: "mkdir -p t/a; echo 1 > t/a/x; tar cf t.tar t; rm -rf t", cmd: "tar xf t.tar"},
	{name: "mtime only", setup: "echo x > f", cmd: "touch -d '2001-02-03 04:05:06' f"},
	{name: "read-only command", setup: "echo x > f", cmd: "ls -la; cat f"},
	{name: "gitignored file is captured", setup: "echo 'build/' > .gitignore", cmd: "mkdir build && echo artifact > build/out.o",
		ignored: []string{"build"}},
	{name: "script written and run", cmd: "printf '#!/bin/sh\\necho ran > ran.txt\\n' > s.sh && chmod 755 s.sh && ./s.sh"},
	{name: "node_modules left out", setup: "mkdir -p node_modules/a; echo 1 > node_modules/a/i.js", cmd: "echo 2 > node_modules/a/j.js && echo app > app.js",
		excluded: []string{"node_modules"}},
	{name: "git commit moves HEAD", hostOnly: true, git: true,
		setup: "git init -q -b main . && git config user.email t@example.test && git config user.name t && echo 1 > a && git add a && git commit -qm one",
		cmd:   "echo 2 > a && git commit -qam two"},
	{name: "git branch and checkout", hostOnly: true, git: true,
		setup: "git init -q -b main . && git config user.email t@example.test && git config user.name t && echo 1 > a && git add a && git commit -qm one",
		cmd:   "git checkout -qb feature && echo 2 > b && git add b && git commit -qm two"},
	{name: "git reset --hard", hostOnly: true, git: true,
		setup: "git init -q -b main . && git config user.email t@example.test && git config user.name t && echo 1 > a && git add a && git commit -qm one && echo 2 > a && git commit -qam two",
		cmd:   "git reset -q --hard HEAD~1"},
}

// TestCorpusLocal runs the corpus through the exec tool in the local sandbox.
func TestCorpusLocal(t *testing.T) {
	runCorpus(t, func(t *testing.T, ws string) sandbox.Sandbox {
		sb, err := local.New(ws, local.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sb.Close() })
		return sb
	}, true)
}

// TestCorpusDocker runs the corpus through the exec tool in the Docker sandbox (the
// workspace bind-mounted at /workspace).
func TestCorpusDocker(t *testing.T) {
	if testing.Short() {
		t.Skip("docker corpus in -short")
	}
	m, err := docker.New(t.Context(), docker.Options{})
	if err != nil {
		if os.Getenv("CORRAL_SKIP_DOCKER") == "1" {
			t.Skipf("Docker engine unusable: %v", err)
		}
		t.Fatalf("Docker engine unusable: %v (set CORRAL_SKIP_DOCKER=1 to skip)", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		m.Close(ctx)
	})
	runCorpus(t, func(t *testing.T, ws string) sandbox.Sandbox {
		sb, err := m.Sandbox(t.Context(), docker.Spec{Workspace: ws, Config: docker.Config{Image: "corral-test/busybox:latest", PidsLimit: 128}})
		if err != nil {
			t.Fatalf("docker sandbox: %v", err)
		}
		t.Cleanup(func() { sb.Close() })
		return sb
	}, false)
}

// runCorpus checks each case: checkpoint, run, checkpoint; restore to before must give the
// tree as it was, byte and mode for mode; restoring the undo checkpoint gives the tree as
// the command left it.
func runCorpus(t *testing.T, open func(*testing.T, string) sandbox.Sandbox, host bool) {
	if len(corpus) < 50 {
		t.Fatalf("corpus has %d cases, want at least 50", len(corpus))
	}
	b := setup(t, checkpoint.Options{})
	exec := &tool.Exec{}
	for _, tc := range corpus {
		t.Run(tc.name, func(t *testing.T) {
			if tc.hostOnly && !host {
				t.Skip("needs git, which the test image lacks")
			}
			run := b.newRun()
			sh(t, run.Workspace, tc.setup)
			sb := open(t, run.Workspace)
			skip := tc.excluded
			if !tc.git {
				skip = append(skip, ".git")
			}
			before := state(t, run.Workspace, skip...)
			first := b.take(run, 2, journal.PhaseBefore)
			in, _ := json.Marshal(map[string]string{"command": tc.cmd})
			// Exec learns what the command changed from the checkpoints, as under the agent.
			tr := &storeTracker{b: b, run: run, before: first}
			res, err := exec.Run(tool.WithTracker(t.Context(), tr), sb, in)
			if err != nil || res.IsError {
				t.Fatalf("exec %q = %+v, %v", tc.cmd, res, err)
			}
			after := state(t, run.Workspace, skip...)
			if !tr.taken {
				t.Fatalf("exec %q did not ask the tracker what changed (Meta.Untracked %q)", tc.cmd, res.Meta.Untracked)
			}
			checkTracked(t, res.Meta, before, after, append(skip, tc.ignored...))

			target, err := b.store.At(t.Context(), run, 2, false)
			if err != nil {
				t.Fatalf("At(2, before) = %v", err)
			}
			got, err := b.store.Restore(t.Context(), target, checkpoint.RestoreOptions{Git: tc.git})
			if err != nil {
				t.Fatalf("Restore(before) = %v", err)
			}
			if d := stateDiff(state(t, run.Workspace, skip...), before); d != "" {
				t.Fatalf("after Restore(before), the tree differs from before the command:\n%s", d)
			}
			for _, x := range tc.excluded {
				if !strings.Contains(string(target.Excluded), `"`+x+`"`) {
					t.Errorf("checkpoint excluded = %s, want %s listed", target.Excluded, x)
				}
				if _, err := os.Lstat(run.Workspace + "/" + x); err != nil {
					t.Errorf("restore touched excluded %s: %v", x, err)
				}
			}
			if _, err := b.store.Restore(t.Context(), got.Undo, checkpoint.RestoreOptions{Git: tc.git}); err != nil {
				t.Fatalf("Restore(undo) = %v", err)
			}
			if d := stateDiff(state(t, run.Workspace, skip...), after); d != "" {
				t.Fatalf("after undoing the restore, the tree differs from after the command:\n%s", d)
			}
		})
	}
}

// storeTracker is the agent's tracker: the checkpoint after the step, compared with the one
// before.
type storeTracker struct {
	b      *bundle
	run    journal.Run
	before journal.Checkpoint
	taken  bool
}

func (s *storeTracker) Changed(ctx context.Context) ([]tool.FileChange, error) {
	s.taken = true
	after := s.b.take(s.run, 2, journal.PhaseAfter)
	diff, err := s.b.store.Compare(ctx, s.before, after)
	if err != nil {
		return nil, err
	}
	out := make([]tool.FileChange, len(diff))
	for i, c := range diff {
		out[i] = tool.FileChange{Path: c.Path, Op: c.Op, Bytes: c.Size}
	}
	return out, nil
}

// checkTracked checks that every regular file whose content, mode or existence the command
// changed (outside .git and what the case leaves out) is in exec's Meta.Changed with the
// right operation; a file whose stat alone changed may be listed too.
func checkTracked(t *testing.T, meta tool.Meta, before, after map[string]string, skip []string) {
	t.Helper()
	if !meta.ChangesTracked {
		t.Fatalf("Meta.ChangesTracked = false (%q)", meta.Untracked)
	}
	if meta.ChangedOmitted > 0 {
		return // only the first ones are listed
	}
	listed := map[string]string{}
	for _, c := range meta.Changed {
		listed[c.Path] = c.Op
	}
	isFile := func(s string) bool { return strings.HasPrefix(s, "file ") }
	for _, p := range slices.Sorted(maps.Keys(merged(before, after))) {
		if strings.HasPrefix(p, ".git/") || slices.ContainsFunc(skip, func(s string) bool { return p == s || strings.HasPrefix(p, s+"/") }) {
			continue
		}
		b, a := before[p], after[p]
		want := ""
		switch {
		case isFile(a) && !isFile(b):
			want = tool.OpCreated
		case isFile(b) && !isFile(a):
			want = tool.OpDeleted
		case isFile(a) && a != b:
			want = tool.OpModified
		}
		if want != "" && listed[p] != want {
			t.Errorf("Meta.Changed has %s as %q, want %q (Changed = %+v)", p, listed[p], want, meta.Changed)
		}
	}
}

func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
