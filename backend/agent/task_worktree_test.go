package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAddWorktreeAfterCrash: a worktree a crash left registered but gone (or half made) is
// made again at the same path, and the person's own stale worktree stays listed (nothing
// of theirs is pruned).
func TestAddWorktreeAfterCrash(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx := t.Context()
	repo := t.TempDir()
	run := newRepo(t, repo, "a.txt", "a\n")
	theirs := filepath.Join(t.TempDir(), "theirs")
	run("worktree", "add", "--detach", "--quiet", theirs, "HEAD")
	if err := os.RemoveAll(theirs); err != nil { // the person deleted it by hand
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "subagents", "run_x-t3")
	for i, crash := range []func(){
		func() { _ = os.RemoveAll(dst) },                                    // registered, directory gone
		func() { _ = os.Remove(filepath.Join(dst, "a.txt")) },               // half made
		func() { _ = os.WriteFile(filepath.Join(dst, "junk"), nil, 0o644) }, // left with extra files
	} {
		if err := addWorktree(ctx, repo, dst); err != nil {
			t.Fatalf("round %d: addWorktree = %v", i, err)
		}
		crash()
	}
	if err := addWorktree(ctx, repo, dst); err != nil {
		t.Fatalf("addWorktree after the crashes = %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "a.txt")); err != nil || string(b) != "a\n" {
		t.Errorf("a.txt in the worktree = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "junk")); !os.IsNotExist(err) {
		t.Errorf("junk from the crashed worktree: %v, want it gone", err)
	}
	list := run("worktree", "list", "--porcelain")
	if !strings.Contains(list, theirs) || strings.Count(list, "worktree ") != 3 {
		t.Errorf("worktree list:\n%s\nwant the repository, theirs (stale, kept) and the subagent's", list)
	}
	removeWorktree(ctx, repo, dst)
	if list := run("worktree", "list", "--porcelain"); strings.Contains(list, dst) || !strings.Contains(list, theirs) {
		t.Errorf("worktree list after removeWorktree:\n%s\nwant the subagent's gone and theirs kept", list)
	}
}

// newRepo makes dir a git repository whose one commit holds the file name with text, and
// returns a function running git there.
func newRepo(t *testing.T, dir, name, text string) func(args ...string) string {
	t.Helper()
	run := func(args ...string) string {
		t.Helper()
		out, err := git(t.Context(), dir, args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	run("init", "--quiet")
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", name)
	run("-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "--quiet", "-m", "one")
	return run
}
