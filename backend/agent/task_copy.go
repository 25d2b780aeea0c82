package agent

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/diff"
)

// maxTaskDiff bounds the diff a task call's result carries; a longer one is cut, saying so.
const maxTaskDiff = 64 << 10

// copyWorkspace makes dst a fresh copy of the workspace src for an isolated subagent:
// directories, regular files (with their modes) and symbolic links, .git left out. What a
// copy cut short by a crash left in dst is replaced.
func copyWorkspace(src, dst string) error {
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() && rel == ".git" {
			return filepath.SkipDir
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(to, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			return copyWorkspaceFile(path, to, info.Mode().Perm())
		}
		return nil // sockets, devices and pipes are not a workspace's content
	})
}

func copyWorkspaceFile(from, to string, perm fs.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// workspaceDiff is the unified diff from the workspace before to its copy after, over
// their regular files (.git left out), and how many files differ.
func workspaceDiff(before, after string) (string, int, error) {
	a, err := workspaceFiles(before)
	if err != nil {
		return "", 0, err
	}
	b, err := workspaceFiles(after)
	if err != nil {
		return "", 0, err
	}
	paths := append(slices.Clone(a), b...)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var out strings.Builder
	files := 0
	for _, rel := range paths {
		old, oldOK, err := readIf(before, rel, a)
		if err != nil {
			return "", 0, err
		}
		cur, curOK, err := readIf(after, rel, b)
		if err != nil {
			return "", 0, err
		}
		if oldOK == curOK && bytes.Equal(old, cur) {
			continue
		}
		files++
		oldName, newName := "a/"+rel, "b/"+rel
		if !oldOK {
			oldName = "/dev/null"
		}
		if !curOK {
			newName = "/dev/null"
		}
		if why := diff.Binary(old) + diff.Binary(cur); why != "" {
			fmt.Fprintf(&out, "Binary file %s changed (%s)\n", rel, why)
			continue
		}
		out.WriteString(diff.Lines(string(old), string(cur), diff.DefaultContext).Unified(oldName, newName))
	}
	text := out.String()
	if len(text) > maxTaskDiff {
		text = text[:maxTaskDiff] + fmt.Sprintf("\n[diff cut at %d bytes of %d]\n", maxTaskDiff, len(text))
	}
	return text, files, nil
}

// workspaceFiles lists the regular files under root, slash-separated and relative.
func workspaceFiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() && rel == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out) // for readIf's binary search: walk order is not string order
	return out, err
}

// readIf reads rel under root when it is one of files.
func readIf(root, rel string, files []string) ([]byte, bool, error) {
	if _, found := slices.BinarySearch(files, rel); !found {
		return nil, false, nil
	}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	return b, err == nil, err
}
