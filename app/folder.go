package app

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoFolderDialog means there is no OS folder dialog: the UI is in a browser (`corral
// serve`), where a path field with completion (Folders) takes its place.
var ErrNoFolderDialog = errors.New("app: no folder dialog outside the window")

// maxFolders bounds Folders' answer.
const maxFolders = 30

// setFolderDialog gives Workspace the window's folder dialog.
func (w *Workspace) setFolderDialog(pick func(title string) (string, error)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pickFolder = pick
}

// PickFolder asks the person for a folder to work in with the OS folder dialog (in the
// window only: ErrNoFolderDialog in a browser). It returns "" when they cancel.
func (w *Workspace) PickFolder() (string, error) {
	w.mu.Lock()
	pick := w.pickFolder
	w.mu.Unlock()
	if pick == nil {
		return "", ErrNoFolderDialog
	}
	return pick("Open a folder for the agent to work in")
}

// Folders completes a folder path typed in the browser's path field: the directories
// whose path starts with partial (a leading ~ is the home directory; the answers are
// absolute), sorted, at most
// maxFolders; hidden ones only when the typed name starts with a dot. A path that cannot
// be listed has no completions.
func (w *Workspace) Folders(partial string) ([]string, error) {
	partial = strings.TrimSpace(partial)
	if partial == "" {
		return []string{}, nil
	}
	if home, err := os.UserHomeDir(); err == nil && (partial == "~" || strings.HasPrefix(partial, "~/")) {
		partial = home + partial[1:]
		if partial == home {
			partial += string(filepath.Separator)
		}
	}
	if !filepath.IsAbs(partial) {
		return []string{}, nil
	}
	dir, base := filepath.Dir(partial), filepath.Base(partial)
	if strings.HasSuffix(partial, string(filepath.Separator)) {
		dir, base = filepath.Clean(partial), ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return []string{}, nil
	}
	out := []string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		if !e.IsDir() {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || !fi.IsDir() {
				continue
			}
		}
		out = append(out, filepath.Join(dir, name))
		if len(out) == maxFolders {
			break
		}
	}
	slices.Sort(out)
	return out, nil
}
