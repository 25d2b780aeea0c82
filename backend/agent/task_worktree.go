package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/corral-dev/corral/backend/journal"
)

// errNoRepository is why a task asking for a worktree gets none: the workspace is not a
// git repository (or git is missing). The model is told, and may ask for a copy.
var errNoRepository = errors.New("not a git repository")

// git runs git in dir and returns its standard output; a failure says what git printed.
// Hooks, pagers and the person's external diff tools are left out: Corral reads the output.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir, "-c", "core.hooksPath=/dev/null", "-c", "core.pager=cat"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// addWorktree makes dst a git worktree of the repository at repo, detached at its HEAD,
// for an isolated subagent; one a crash left half made is replaced. Only committed work is
// in it: what the parent has not committed is not.
func addWorktree(ctx context.Context, repo, dst string) error {
	if _, err := exec.LookPath("git"); err != nil {
		return fmt.Errorf("%w: git is not installed", errNoRepository)
	}
	top, err := git(ctx, repo, "rev-parse", "--show-toplevel")
	if err != nil {
		return fmt.Errorf("%w: %s", errNoRepository, repo)
	}
	if _, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"); err != nil {
		return fmt.Errorf("%w: %s has no commit yet", errNoRepository, strings.TrimSpace(string(top)))
	}
	removeWorktree(ctx, repo, dst)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	// --force: a path git still lists from a worktree a crash left half made is taken again.
	_, err = git(ctx, repo, "worktree", "add", "--force", "--detach", "--quiet", dst, "HEAD")
	return err
}

// worktreeDiff is the diff of what the subagent changed in its worktree since it was made
// (everything against HEAD, new files included, .git left out), and how many files differ.
func worktreeDiff(ctx context.Context, dst string) (string, int, error) {
	// Staging in the worktree's own index lets new files show; the repository's branches,
	// and the parent's index, are untouched.
	if _, err := git(ctx, dst, "add", "--all"); err != nil {
		return "", 0, err
	}
	names, err := git(ctx, dst, "diff", "--cached", "--name-only", "-z", "HEAD")
	if err != nil {
		return "", 0, err
	}
	files := bytes.Count(names, []byte{0})
	if files == 0 {
		return "", 0, nil
	}
	out, err := git(ctx, dst, "diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv", "HEAD")
	if err != nil {
		return "", 0, err
	}
	text := string(out)
	if len(text) > maxTaskDiff {
		text = text[:maxTaskDiff] + fmt.Sprintf("\n[diff cut at %d bytes of %d]\n", maxTaskDiff, len(text))
	}
	return text, files, nil
}

// isWorktree reports whether dir is a linked git worktree (its .git is a file naming the
// repository's gitdir), as a subagent's worktree is.
func isWorktree(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ".git"))
	return err == nil && bytes.HasPrefix(b, []byte("gitdir: "))
}

// removeWorktree removes the worktree dst of the repository at repo, and whatever is left
// of it; it is best effort. Other worktrees of the repository, the person's, are left
// alone (no prune).
func removeWorktree(ctx context.Context, repo, dst string) {
	if isWorktree(dst) {
		_, _ = git(ctx, repo, "worktree", "remove", "--force", dst)
	}
	_ = os.RemoveAll(dst)
}

// removeChildWorktrees removes the worktrees of run's subagents once run has ended: their
// changes are in run's task results, and a repository is left as it was found.
func (r *Runner) removeChildWorktrees(ctx context.Context, run journal.Run) {
	kids, err := r.config.Journal.Children(ctx, run.ID)
	if err != nil {
		return
	}
	base := filepath.Join(r.config.DataDir, "subagents") + string(filepath.Separator)
	for _, k := range kids {
		if strings.HasPrefix(k.Workspace, base) && isWorktree(k.Workspace) {
			removeWorktree(ctx, run.Workspace, k.Workspace)
		}
	}
}
