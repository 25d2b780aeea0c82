package tool

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/corral-dev/corral/backend/sandbox"
)

// resolvePath turns a path from the model into a Files name: relative to
// the workspace, or absolute under the workspace's host path or the path
// commands see it at. A path that lands outside yields a model-visible
// failure naming it.
func resolvePath(info sandbox.Info, p string) (string, *Result) {
	p = strings.TrimSpace(p)
	if p == "" {
		r := failure("path is empty; give a path relative to the workspace.")
		return "", &r
	}
	if name, ok := underRoot(info.WorkDir, p, path.IsAbs, path.Clean); ok {
		return name, nil
	}
	if name, ok := underRoot(info.Workspace, p, filepath.IsAbs, filepath.Clean); ok {
		return name, nil
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || strings.HasPrefix(p, "~") {
		r := outsideFailure(info, p)
		return "", &r
	}
	name := path.Clean(strings.ReplaceAll(p, `\`, "/"))
	if name == ".." || strings.HasPrefix(name, "../") {
		r := outsideFailure(info, p)
		return "", &r
	}
	return name, nil
}

// underRoot reports whether the absolute path p lies under root, in the
// path syntax isAbs and clean belong to, and returns it relative to root.
func underRoot(root, p string, isAbs func(string) bool, clean func(string) string) (string, bool) {
	if root == "" || !isAbs(p) {
		return "", false
	}
	root, p = clean(root), clean(p)
	if p == root {
		return ".", true
	}
	sep := "/"
	if clean("a/b") != "a/b" { // a Windows host path
		sep = `\`
	}
	prefix := strings.TrimSuffix(root, sep) + sep
	if !strings.HasPrefix(p, prefix) {
		return "", false
	}
	return strings.ReplaceAll(p[len(prefix):], `\`, "/"), true
}

func outsideFailure(info sandbox.Info, p string) Result {
	return failure("%s is outside the workspace; use a path relative to the workspace (%s).", p, info.WorkDir)
}

// where names a directory for the model: "the workspace" for its root.
func where(name string) string {
	if name == "." {
		return "the workspace"
	}
	return name
}
