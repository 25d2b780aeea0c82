package sandbox

import (
	"context"
	"io"
	"io/fs"
	"time"

	"github.com/corral-dev/corral/backend/egress"
)

// Sandbox runs commands and exposes files in one workspace. It is safe for
// concurrent use.
type Sandbox interface {
	// Exec runs req.Command with "sh -c" in the workspace, stdin empty. A
	// command that ran and failed (non-zero exit, killed on timeout) is a
	// result, not an error; an error means the sandbox could not run it
	// (ErrUnavailable; a bad Dir, as the fs errors of Files) or ctx ended
	// first, in which case the partial result comes with ctx's error.
	// Everything the command started is killed when its shell exits, on
	// timeout and when ctx ends: nothing outlives an Exec, and a background
	// process holding stdout open does not delay it.
	Exec(ctx context.Context, req ExecRequest) (ExecResult, error)
	// Files gives access to the workspace's files, rooted at the workspace:
	// no name reaches outside it.
	Files() Files
	// Info describes the sandbox for approval previews and path translation.
	Info() Info
	// Close releases the sandbox. It is idempotent.
	Close() error
}

// ExecRequest is one command to run.
type ExecRequest struct {
	// Command is a shell command line, run with "sh -c".
	Command string
	// Dir is the working directory, slash-separated and relative to the
	// workspace ("" or "." is the workspace itself). It is resolved with the
	// same rules as Files: a Dir outside the workspace is ErrOutsideWorkspace.
	Dir string
	// Env holds extra KEY=VALUE variables, added to (and overriding) the
	// sandbox's own minimal environment.
	Env []string
	// Timeout bounds the run; zero means no bound besides ctx. On timeout
	// the command and everything it started are killed and the result has
	// TimedOut set.
	Timeout time.Duration
	// MaxOutput is the number of bytes kept per stream (head and tail, see
	// LimitedBuffer); zero means DefaultMaxOutput.
	MaxOutput int
	// Output, when set, is called with the command's output as it comes,
	// before any limit applies, for live display; the result still holds
	// the captured streams. It may be called from several goroutines at
	// once, must return quickly and must not keep chunk.
	Output func(stream Stream, chunk []byte)
	// Egress, when set, is called with each connection the command's
	// sandbox saw end while the command ran (a sandbox behind the egress
	// proxy; others never call it), for live display; the result's Egress
	// still lists them all. It must return quickly.
	Egress func(egress.Event)
}

// Stream names one of a command's output streams.
type Stream string

// The output streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Tee returns w, or when req.Output is set a writer that passes what is
// written to w and to req.Output as stream.
func (req ExecRequest) Tee(stream Stream, w io.Writer) io.Writer {
	if req.Output == nil {
		return w
	}
	return teeWriter{w: w, stream: stream, out: req.Output}
}

type teeWriter struct {
	w      io.Writer
	stream Stream
	out    func(Stream, []byte)
}

func (t teeWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		t.out(t.stream, p)
	}
	return t.w.Write(p)
}

// DefaultMaxOutput is the per-stream capture limit when ExecRequest.MaxOutput
// is zero.
const DefaultMaxOutput = 1 << 20

// ExecResult is what a command did.
type ExecResult struct {
	// ExitCode is the shell's exit status, or 128+N when it was killed by
	// signal N as shells report it (137 after a kill on timeout).
	ExitCode int
	// Stdout and Stderr are the captured streams. When a stream exceeded
	// MaxOutput its middle is replaced by a one-line marker that says how
	// many bytes were dropped (see LimitedBuffer.String).
	Stdout, Stderr string
	// StdoutDropped and StderrDropped count the bytes left out of Stdout and
	// Stderr.
	StdoutDropped, StderrDropped int64
	// TimedOut reports that ExecRequest.Timeout expired and the command was
	// killed.
	TimedOut bool
	// Duration is the wall time from start to exit.
	Duration time.Duration
	// Egress lists the connections the command attempted through the egress
	// proxy, allowed and blocked, when the sandbox has one (see
	// backend/sandbox/proxied); nil otherwise.
	Egress []egress.Event
}

// Info describes a sandbox.
type Info struct {
	// Kind names the implementation: "local" or "docker".
	Kind string
	// Workspace is the workspace's directory on the host, as the user knows it.
	Workspace string
	// WorkDir is the workspace's directory as commands see it: the same as
	// Workspace for a local sandbox, the mount point (e.g. "/workspace")
	// inside a container. Absolute paths under either name refer to the
	// workspace.
	WorkDir string
	// Image is the container image; empty for a local sandbox.
	Image string
	// Network says what commands can reach: "host" for a local sandbox,
	// the container network mode ("none", "bridge", ...) otherwise.
	Network string
	// Isolated reports that commands cannot see the host's files outside
	// the workspace (true for a container, false for a local sandbox).
	Isolated bool
}

// Files is a workspace's file tree. Names are slash-separated and relative
// to the workspace, as fs.ValidPath requires; a name that is absolute,
// climbs above the workspace with "..", or resolves through a symbolic link
// to a place outside it fails with an error matching ErrOutsideWorkspace.
//
// Errors: fs.ErrNotExist and the other io/fs errors mean what they say;
// ErrOutsideWorkspace as above; ErrUnavailable means the sandbox itself
// failed (the engine is down) rather than the file operation.
type Files interface {
	fs.StatFS
	fs.ReadDirFS
	fs.ReadFileFS
	// WriteFile creates or overwrites the regular file name with data,
	// creating missing parent directories (mode 0755). perm is used only
	// when the file is created. It refuses to write through a file that has
	// more than one hard link, since another link may be outside the
	// workspace (an error matching ErrOutsideWorkspace).
	WriteFile(name string, data []byte, perm fs.FileMode) error
}

// SubtreeOpener is an optional capability of Files: OpenSubtree returns the
// directory name as Files of its own, rooted there. A tool reading many
// files of one directory (grep over a tree) uses it when present, so that
// each file is one open relative to its directory rather than a resolution
// from the workspace root. The same escape rules hold inside a subtree;
// symbolic links leading out of the subtree are refused even when they stay
// inside the workspace.
type SubtreeOpener interface {
	OpenSubtree(name string) (Subtree, error)
}

// Subtree is a directory's files, open until closed.
type Subtree interface {
	Files
	io.Closer
}
