package approval

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Workspace is where an action happens: the sandbox (whose Workspace and
// WorkDir name the workspace directory on the host and as commands see
// it), the command's working directory and the home directory ~ means.
type Workspace struct {
	Sandbox sandbox.Info
	// Cwd is the working directory of a command, slash-separated and
	// relative to the workspace ("" or "." for its root). Check sets it from
	// an exec call's cwd.
	Cwd string
	// Home is the directory ~ expands to in paths and path rules; empty
	// when unknown, in which case ~ paths are outside the workspace and
	// rules naming ~ match nothing.
	Home string
}

// NewWorkspace describes the workspace of info. For a sandbox that is not
// isolated ~ is the user's home directory; inside a container it is
// unknown.
func NewWorkspace(info sandbox.Info) Workspace {
	ws := Workspace{Sandbox: info}
	if !info.Isolated {
		ws.Home, _ = os.UserHomeDir()
	}
	return ws
}

// root is the workspace as commands see it.
func (ws Workspace) root() string {
	if ws.Sandbox.WorkDir != "" {
		return ws.Sandbox.WorkDir
	}
	return ws.Sandbox.Workspace
}

// resolved is a path from an action, placed relative to the workspace.
type resolved struct {
	given  string
	rel    string // slash-separated, relative to the workspace, when inside
	abs    string // absolute, as commands see it; "" when unknown
	inside bool
	why    string // why it is outside
}

// display names the path for a person: the absolute path if known.
func (r resolved) display() string {
	if r.abs != "" {
		return r.abs
	}
	return r.given
}

// resolve places p, relative to the directory base (itself relative to the
// workspace) unless absolute or starting with ~. It follows the rules of
// the file tools: an absolute path under either name of the workspace is
// inside it; anything else absolute, or climbing above it with .., is
// outside. Symbolic links are not followed here; the sandbox refuses those
// that lead out.
func (ws Workspace) resolve(p, base string) resolved {
	r := resolved{given: p}
	if strings.HasPrefix(p, "~") {
		name, rest, _ := strings.Cut(p, "/")
		if name != "~" || ws.Home == "" {
			r.why = "~ names a home directory"
			return r
		}
		p = path.Join(filepath.ToSlash(ws.Home), rest)
		r.why = "~ is the home directory " + ws.Home
	}
	for _, root := range []string{ws.Sandbox.WorkDir, ws.Sandbox.Workspace} {
		if rel, ok := under(root, p); ok {
			return resolved{given: r.given, rel: rel, abs: r.join(root, rel), inside: true}
		}
	}
	if path.IsAbs(p) || filepath.IsAbs(p) {
		r.abs = p
		if r.why == "" {
			r.why = "it is not under the workspace " + ws.root()
		}
		return r
	}
	rel := path.Clean(path.Join(base, strings.ReplaceAll(p, `\`, "/")))
	r.abs = path.Join(filepath.ToSlash(ws.root()), rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		r.why = "it climbs out of the workspace with .."
		if root := filepath.ToSlash(ws.root()); root != "" {
			if inRel, ok := under(root, r.abs); ok { // ../ws/x is back inside
				return resolved{given: r.given, rel: inRel, abs: r.abs, inside: true}
			}
		}
		return r
	}
	return resolved{given: r.given, rel: rel, abs: r.join(ws.root(), rel), inside: true}
}

func (resolved) join(root, rel string) string {
	if root == "" {
		return ""
	}
	if rel == "." {
		return root
	}
	return path.Join(filepath.ToSlash(root), rel)
}

// under reports whether the absolute path p lies under root (in slash or
// host syntax) and returns it relative to root, slash-separated.
func under(root, p string) (string, bool) {
	if root == "" {
		return "", false
	}
	for _, syn := range []struct {
		isAbs func(string) bool
		clean func(string) string
		sep   string
	}{{path.IsAbs, path.Clean, "/"}, {filepath.IsAbs, filepath.Clean, string(filepath.Separator)}} {
		if !syn.isAbs(p) || !syn.isAbs(root) {
			continue
		}
		r, q := syn.clean(root), syn.clean(p)
		if q == r {
			return ".", true
		}
		if prefix := strings.TrimSuffix(r, syn.sep) + syn.sep; strings.HasPrefix(q, prefix) {
			return strings.ReplaceAll(q[len(prefix):], `\`, "/"), true
		}
	}
	return "", false
}

// pathMatch reports whether the path pattern of a write or read rule
// matches r. A relative pattern is matched against the workspace-relative
// path; an absolute one (after ~ expansion) against the absolute path, or
// the relative one when the pattern lies under the workspace. ** matches
// any number of directories, as in doublestar.
func (ws Workspace) pathMatch(pattern string, r resolved) bool {
	pat := pattern
	if strings.HasPrefix(pat, "~") {
		name, rest, _ := strings.Cut(pat, "/")
		if name != "~" || ws.Home == "" {
			return false
		}
		pat = path.Join(filepath.ToSlash(ws.Home), rest)
	}
	abs := path.IsAbs(pat) || filepath.IsAbs(pat)
	if !abs {
		if c := path.Clean(pat); c == ".." || strings.HasPrefix(c, "../") {
			pat, abs = path.Join(filepath.ToSlash(ws.root()), pat), true
		}
	}
	if abs {
		for _, root := range []string{ws.Sandbox.WorkDir, ws.Sandbox.Workspace} {
			if rel, ok := under(root, pat); ok {
				pat, abs = rel, false
				break
			}
		}
	}
	var name string
	switch {
	case abs && r.abs != "":
		name = filepath.ToSlash(r.abs)
		pat = filepath.ToSlash(pat)
	case !abs && r.inside:
		name = r.rel
	default:
		return false
	}
	ok, err := doublestar.Match(pat, name)
	return err == nil && ok
}
