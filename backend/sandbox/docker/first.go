package docker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/moby/client"
)

// A container's first command is not an exec: an exec is one more runc
// process and two more round trips on every cold start, which `docker run`
// does not pay. Instead the container's main process starts with a reader
// (firstReader) on the container's stdin, which Corral attaches to while it
// starts. The first command that fits (it runs in /workspace and its
// variables are shell names) is written there as a small shell script, which
// the reader runs: the same wrapper, as the same user, with the same
// environment as an exec, its stdin the attached stdin. So the command still
// dies with Corral: the container is made with StdinOnce, and the engine
// closes its stdin when Corral's attachment goes, which the wrapper's watcher
// reads as EOF. The container's output does not end with the command, so
// the reader marks its start on stdout (runMarker: before it, a container
// found dead never ran the command, which may then run in a new one) and,
// after the wrapper, the end of each stream with doneMarker and the
// wrapper's status. Hardening is the container's: same user, no
// capabilities, no network. Every later command, and a first one that does
// not fit, is an exec; an unused attachment is closed when the container is
// let go of, and the reader then ends.

// firstReader is the start of a container's main script: it reads the
// first command's script from stdin (fd 6 while it runs in the background,
// where a shell gives a job /dev/null): a line naming the end line, the
// script, the end line; and runs it, having written runMarker on stdout
// first. Then it writes the done marker, with the status, on stdout and
// stderr.
const firstReader = `exec 6<&0 </dev/null
{
  IFS= read -r end || exit 0
  s= n=
  while IFS= read -r l; do
    if [ "$l" = "$end" ]; then
      printf '\0corral-run-%s\0' "${end#corral-end-}"
      eval "$s"
      r=$?
      printf '\0corral-done-%s\0%d\n' "${end#corral-end-}" "$r"
      printf '\0corral-done-%s\0%d\n' "${end#corral-end-}" "$r" >&2
      exit 0
    fi
    s="$s$n$l" n='
'
  done
} <&6 6<&- &
exec 6<&-
`

// mainScript returns the container's main script: the first command's
// reader in the background, then loop (the idle loop or the watchdog).
func mainScript(loop string) string { return firstReader + loop }

// runMarker is the first thing on stdout: the reader got the script and
// runs it.
func runMarker(tok string) []byte { return []byte("\x00corral-run-" + tok + "\x00") }

// doneMarker starts the line the reader writes on both streams after the
// first command's wrapper ended.
func doneMarker(tok string) []byte { return []byte("\x00corral-done-" + tok + "\x00") }

// shellName is a variable name a POSIX shell can export.
var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// firstConn is the attachment to a new container's stdin and output, kept
// for its first command.
type firstConn struct {
	id  string
	att client.ContainerAttachResult
}

// attachFirst attaches to container id, created and not yet started; nil
// when the engine refused (the first command is then an exec).
func (b *box) attachFirst(ctx context.Context, id string) *firstConn {
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	att, err := b.m.cli.ContainerAttach(opCtx, id, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil
	}
	return &firstConn{id: id, att: att}
}

// takeFirst returns container id's unused first attachment, if it has one,
// and forgets it: only one command may use it.
func (b *box) takeFirst(id string) *firstConn {
	fc := b.first.Swap(nil)
	if fc != nil && fc.id != id {
		fc.close()
		return nil
	}
	return fc
}

// dropFirst closes the unused first attachment, if any: the engine closes
// the container's stdin and the reader ends.
func (b *box) dropFirst() {
	if fc := b.first.Swap(nil); fc != nil {
		fc.close()
	}
}

func (fc *firstConn) close() { fc.att.Close() }

// firstScript returns what to write to the reader for a command with
// token tok, or false when it must be an exec: another directory, a
// variable a shell cannot export, or bytes the attachment would take for
// itself (the engine's detach keys start with Ctrl-P) or cannot carry.
func firstScript(tok, command, workdir string, env []string, list bool) ([]byte, bool) {
	if workdir != WorkDir {
		return nil, false
	}
	end := "corral-end-" + tok
	var s strings.Builder
	s.WriteString(end + "\nexport " + quote("PWD="+WorkDir))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !shellName.MatchString(k) {
			return nil, false
		}
		s.WriteString(" " + quote(kv))
	}
	listArg := "0"
	if list {
		listArg = "1"
	}
	s.WriteString("\n/bin/sh -c " + quote(wrapperScript) + " corral-exec " + quote(tok) + " " + quote(command) + " " + listArg + "\n")
	s.WriteString(end + "\n")
	script := s.String()
	if strings.ContainsAny(script, "\x00\x10") || strings.Count(script, "\n"+end+"\n") != 1 {
		return nil, false
	}
	return []byte(script), true
}

// quote quotes s for a POSIX shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// errFirstDone ends the copy of a first command's output: both streams
// reached the done marker.
var errFirstDone = errors.New("first command done")

// firstEnd finds the done marker on a first command's two streams: what
// comes before it passes on, the rest is kept.
type firstEnd struct {
	out, err *splitter
	run      []byte // what is left to see of runMarker
}

func newFirstEnd(tok string, stdout, stderr io.Writer) *firstEnd {
	return &firstEnd{out: newSplitter(stdout, doneMarker(tok)), err: newSplitter(stderr, doneMarker(tok)), run: runMarker(tok)}
}

// writers returns the streams to copy the attachment's output into; a
// write returns errFirstDone once both markers and their lines arrived.
func (e *firstEnd) writers() (io.Writer, io.Writer) {
	return runWriter{e}, endWriter{e, e.err}
}

// started reports whether the reader said it runs the command: until then
// the command did not start, and may run in a new container.
func (e *firstEnd) started() bool { return len(e.run) == 0 }

// runWriter takes runMarker off the start of stdout.
type runWriter struct{ e *firstEnd }

func (w runWriter) Write(p []byte) (int, error) {
	n := len(p)
	if k := min(len(w.e.run), len(p)); k > 0 {
		if !bytes.Equal(p[:k], w.e.run[:k]) {
			return 0, errors.New("first command: no run marker")
		}
		w.e.run, p = w.e.run[k:], p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	_, err := endWriter{w.e, w.e.out}.Write(p)
	return n, err
}

func (e *firstEnd) done() bool {
	return e.out.found && e.err.found && bytes.IndexByte(e.out.after.Bytes(), '\n') >= 0 && bytes.IndexByte(e.err.after.Bytes(), '\n') >= 0
}

// wrapperStatus returns the status the reader wrote after the wrapper.
func (e *firstEnd) wrapperStatus() (int, bool) {
	line, _, _ := strings.Cut(e.err.after.String(), "\n")
	n, err := strconv.Atoi(line)
	return n, err == nil
}

type endWriter struct {
	e *firstEnd
	s *splitter
}

func (w endWriter) Write(p []byte) (int, error) {
	n, _ := w.s.Write(p)
	if w.e.done() {
		return n, errFirstDone
	}
	return n, nil
}
