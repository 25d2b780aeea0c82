package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// wrapperScript runs one command in a container: "$2" under sh -c in a new
// session (so that it and everything it starts form one process group),
// with CORRAL_EXEC set to the token "$1" (so that processes which leave the
// group can still be found), stdin at EOF. When the command exits, the group
// and every process carrying the token are killed: background children,
// setsid and double forks do not outlive it. The wrapper's own stdin is the
// exec's attached stdin, which Corral never writes to nor closes: when
// Corral dies the engine closes it, and a watcher that waits for that EOF
// kills the command the same way, so no command outlives the process that
// ran it. Then it prints a
// trailer on stdout: a NUL-framed marker with the token and the exit
// status, and with "$3" = 1 a listing of the workspace (ctime, raw mode,
// size, name) after the ctime of a stamp made just before the command
// started; the listing ends with "end" and find's status ("end none"
// without find and stat). Last it makes /tmp/.corral-used, which tells the watchdog of a
// container outliving its process that a command ran. The wrapper's own
// diagnostics go to /dev/null, so a killed job's "Killed" never shows.
//
// Exit status: the command's, 128+N when it was killed by signal N.
const wrapperScript = `tok=$1 cmd=$2 list=$3 st=/tmp/.corral-$1
exec 5<&0 3>&1 4>&2 >/dev/null 2>&1
: > "$st.t"
if command -v setsid >/dev/null 2>&1; then
  CORRAL_EXEC=$tok setsid /bin/sh -c "$cmd" </dev/null >&3 2>&4 3>&- 4>&- 5<&- &
  p=$! g=1
else
  CORRAL_EXEC=$tok /bin/sh -c "$cmd" </dev/null >&3 2>&4 3>&- 4>&- 5<&- &
  p=$! g=
fi
echo "$p" > "$st.pid"
stop() {
  [ -n "$g" ] && kill -9 -"$p"
  for d in /proc/[0-9]*; do case "$(cat "$d/environ")" in *"CORRAL_EXEC=$tok"*) kill -9 "${d#/proc/}";; esac; done
}
(while read -r _; do :; done; stop) <&5 &
w=$!
wait "$p"; s=$?
kill -9 "$w"
stop
printf '\0corral-%s\0%d\n' "$tok" "$s" >&3
if [ "$list" = 1 ]; then
  stat -c %z "$st.t" >&3 || echo nostamp >&3
  if command -v find >/dev/null 2>&1 && command -v stat >/dev/null 2>&1; then
    find /workspace -mindepth 1 -exec stat -c '%z|%f|%s|%n' {} + >&3
    echo "end $?" >&3
  else
    echo "end none" >&3
  fi
fi
: > /tmp/.corral-used
rm -f "$st.t" "$st.pid"
exit "$s"`

// killScript kills the command of wrapper token "$1": its process group and
// every process carrying its CORRAL_EXEC token.
const killScript = `tok=$1
p=$(cat "/tmp/.corral-$tok.pid" 2>/dev/null)
[ -n "$p" ] && kill -9 -"$p" 2>/dev/null
for d in /proc/[0-9]*; do
  case "$(cat "$d/environ" 2>/dev/null)" in *"CORRAL_EXEC=$tok"*) kill -9 "${d#/proc/}" 2>/dev/null;; esac
done
exit 0`

// Bounds on waiting for a command's output to end after it was killed.
const (
	killGrace   = 5 * time.Second // after a timeout
	cancelGrace = 2 * time.Second // after the caller's context ended
	killRetry   = 500 * time.Millisecond
	maxTrailer  = 64 << 20
)

// execIn runs req in container id with the working directory workdir,
// pushing the workspace before and pulling it after when it is copied.
func (b *box) execIn(ctx context.Context, id string, req sandbox.ExecRequest, workdir string) (sandbox.ExecResult, error) {
	if b.sync != nil {
		if err := b.sync.push(ctx, b, id); err != nil {
			if b.m.containerGone(context.WithoutCancel(ctx), id) {
				return sandbox.ExecResult{}, &goneError{id: id, beforeStart: true}
			}
			return sandbox.ExecResult{}, err
		}
	}
	res, tr, err := b.runExec(ctx, id, req, workdir, b.sync != nil)
	if b.sync == nil {
		return res, err
	}
	if _, gone := errors.AsType[*goneError](err); gone {
		b.sync.markDirty()
		return res, err
	}
	if tr == nil {
		tr = &trailer{} // no listing: pull everything
	}
	// Pull even when ctx ended: the command did run and changed files.
	pullCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.m.opts.OpTimeout)
	defer cancel()
	if perr := b.sync.pull(pullCtx, b, id, tr); perr != nil && err == nil {
		return res, perr
	}
	return res, err
}

// runExec runs req once through the Exec API. The trailer is nil when the
// wrapper did not finish (killed, container gone).
func (b *box) runExec(ctx context.Context, id string, req sandbox.ExecRequest, workdir string, list bool) (sandbox.ExecResult, *trailer, error) {
	m := b.m
	limit := req.MaxOutput
	if limit <= 0 {
		limit = sandbox.DefaultMaxOutput
	}
	stdout, stderr := sandbox.NewLimitedBuffer(limit), sandbox.NewLimitedBuffer(limit)
	tok := randomHex(8)
	split := newSplitter(req.Tee(sandbox.Stdout, stdout), []byte("\x00corral-"+tok+"\x00"))
	listArg := "0"
	if list {
		listArg = "1"
	}
	outW, errW := io.Writer(split), req.Tee(sandbox.Stderr, stderr)

	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	// The container's first command runs through its attachment if it can; the
	// exec's id is then "" and the exit status comes from the streams.
	var execID string
	var src io.Reader
	var closeSrc func()
	var end *firstEnd
	if fc := b.takeFirst(id); fc != nil {
		script, ok := firstScript(tok, req.Command, workdir, req.Env, list)
		if ok {
			_, err := fc.att.Conn.Write(script)
			ok = err == nil
		}
		if ok {
			defer fc.close()
			end = newFirstEnd(tok, outW, errW)
			outW, errW = end.writers()
			src, closeSrc = fc.att.Reader, fc.att.Close
		} else {
			fc.close()
		}
	}
	if src == nil {
		created, err := m.cli.ExecCreate(opCtx, id, client.ExecCreateOptions{
			User:         b.spec.Config.User,
			AttachStdin:  true, // held open, never written: its EOF tells the wrapper Corral died
			AttachStdout: true,
			AttachStderr: true,
			Env:          append([]string{"PWD=" + workdir}, req.Env...),
			WorkingDir:   workdir,
			Cmd:          []string{"/bin/sh", "-c", wrapperScript, "corral-exec", tok, req.Command, listArg},
		})
		if err != nil {
			return sandbox.ExecResult{}, nil, b.startError(ctx, id, "create exec", err)
		}
		att, err := m.cli.ExecAttach(opCtx, created.ID, client.ExecAttachOptions{})
		if err != nil {
			return sandbox.ExecResult{}, nil, b.startError(ctx, id, "start exec", err)
		}
		defer att.Close()
		execID, src, closeSrc = created.ID, att.Reader, att.Close
	}
	start := time.Now()

	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(outW, errW, src)
		if errors.Is(err, errFirstDone) {
			err = nil
		}
		copied <- err
	}()
	var timeout <-chan time.Time
	if req.Timeout > 0 {
		t := time.NewTimer(req.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	var copyErr error
	var timedOut, finished bool
	select {
	case copyErr = <-copied:
		finished = true
	case <-timeout:
		timedOut = true
		copyErr, finished = b.killAndWait(id, tok, copied, killGrace)
	case <-ctx.Done():
		copyErr, finished = b.killAndWait(id, tok, copied, cancelGrace)
	}
	if !finished {
		closeSrc()
		if err := <-copied; err != nil && copyErr == nil {
			copyErr = fmt.Errorf("output did not end after the kill: %w", err)
		}
	}
	duration := time.Since(start)
	split.flush()
	res := sandbox.ExecResult{
		Stdout:        stdout.String(),
		Stderr:        stderr.String(),
		StdoutDropped: stdout.Dropped(),
		StderrDropped: stderr.Dropped(),
		TimedOut:      timedOut,
		Duration:      duration,
	}
	tr := split.trailer(list)

	inspCtx, cancelInsp := m.opContext(context.WithoutCancel(ctx))
	defer cancelInsp()
	var code int
	var exited bool // the wrapper's exit status is known
	var inspErr error
	if execID != "" {
		var running bool
		code, running, inspErr = b.exitCode(inspCtx, execID)
		exited = inspErr == nil && !running
	} else {
		code, exited = end.wrapperStatus()
	}
	switch {
	case exited:
		res.ExitCode = code
	case tr != nil:
		res.ExitCode = tr.status
	}
	if err := ctx.Err(); err != nil {
		return res, tr, fmt.Errorf("exec: %w", err)
	}
	if tr == nil {
		// The wrapper did not finish: the container died, or something
		// killed the wrapper itself.
		if m.stopsSoon(inspCtx, id) {
			return res, nil, &goneError{id: id, beforeStart: end != nil && !end.started()}
		}
		if copyErr != nil {
			return res, nil, m.engineError(inspCtx, "read command output", fmt.Errorf("%w: %w", sandbox.ErrUnavailable, copyErr))
		}
		if inspErr != nil {
			return res, nil, m.engineError(inspCtx, "inspect exec", inspErr)
		}
	}
	return res, tr, nil
}

// startError explains a failure to start a command: a container found dead
// is a goneError that the caller may retry after recreating it.
func (b *box) startError(ctx context.Context, id, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("exec: %w", ctx.Err())
	}
	if b.m.containerGone(context.WithoutCancel(ctx), id) {
		return &goneError{id: id, beforeStart: true}
	}
	return b.m.engineError(ctx, op, err)
}

// exitCode asks the engine for the exit code of an exec, waiting briefly
// for the engine to notice the process ended (the output can end first).
func (b *box) exitCode(ctx context.Context, execID string) (code int, running bool, err error) {
	for i := 0; ; i++ {
		res, err := b.m.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		if err != nil {
			return 0, false, err
		}
		if !res.Running || i >= 100 {
			return res.ExitCode, res.Running, nil
		}
		t := time.NewTimer(time.Duration(min(i+1, 20)) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, true, ctx.Err()
		case <-t.C:
		}
	}
}

// killAndWait kills the command of wrapper token tok, again every
// killRetry (its group may not exist yet when it has only just started),
// until its output ends or grace passes.
func (b *box) killAndWait(id, tok string, copied <-chan error, grace time.Duration) (error, bool) {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for {
		b.kill(id, tok)
		retry := time.NewTimer(killRetry)
		select {
		case err := <-copied:
			retry.Stop()
			return err, true
		case <-deadline.C:
			retry.Stop()
			return nil, false
		case <-retry.C:
		}
	}
}

// kill runs killScript in container id for token tok and waits for it.
func (b *box) kill(id, tok string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	created, err := b.m.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		User:         b.spec.Config.User,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          []string{"/bin/sh", "-c", killScript, "corral-kill", tok},
	})
	if err != nil {
		return
	}
	att, err := b.m.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return
	}
	defer att.Close()
	_, _ = io.Copy(io.Discard, att.Reader)
}

// run runs argv (no shell) in container id and returns its exit code and
// output; for the workspace sync's own commands.
func (b *box) run(ctx context.Context, id string, argv []string) (int, string, error) {
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	created, err := b.m.cli.ExecCreate(opCtx, id, client.ExecCreateOptions{
		User:         b.spec.Config.User,
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          argv,
	})
	if err != nil {
		return 0, "", b.m.engineError(ctx, "create exec", err)
	}
	att, err := b.m.cli.ExecAttach(opCtx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return 0, "", b.m.engineError(ctx, "start exec", err)
	}
	defer att.Close()
	out := sandbox.NewLimitedBuffer(4096)
	if _, err := stdcopy.StdCopy(out, out, att.Reader); err != nil {
		return 0, out.String(), b.m.engineError(ctx, "read exec output", err)
	}
	code, _, err := b.exitCode(opCtx, created.ID)
	if err != nil {
		return 0, out.String(), b.m.engineError(ctx, "inspect exec", err)
	}
	return code, out.String(), nil
}

// splitter passes a command's stdout through to out until the wrapper's
// trailer marker, and keeps what follows it. It holds back the last
// len(marker)-1 bytes, which might be the start of the marker.
type splitter struct {
	out     io.Writer
	marker  []byte
	pending []byte
	found   bool
	after   bytes.Buffer
	tooLong bool
}

func newSplitter(out io.Writer, marker []byte) *splitter {
	return &splitter{out: out, marker: marker}
}

func (s *splitter) Write(p []byte) (int, error) {
	n := len(p)
	if s.found {
		if s.after.Len()+len(p) > maxTrailer {
			s.tooLong = true
			return n, nil
		}
		s.after.Write(p)
		return n, nil
	}
	s.pending = append(s.pending, p...)
	if i := bytes.Index(s.pending, s.marker); i >= 0 {
		_, _ = s.out.Write(s.pending[:i])
		s.found = true
		s.after.Write(s.pending[i+len(s.marker):])
		s.pending = nil
		return n, nil
	}
	// Hold back only what may be the start of the marker, so live output
	// is not delayed by the marker's length.
	if keep := s.markerPrefix(); len(s.pending) > keep {
		cut := len(s.pending) - keep
		_, _ = s.out.Write(s.pending[:cut])
		s.pending = append(s.pending[:0], s.pending[cut:]...)
	}
	return n, nil
}

// markerPrefix returns the length of the longest end of pending that is a
// proper prefix of the marker.
func (s *splitter) markerPrefix() int {
	for k := min(len(s.marker)-1, len(s.pending)); k > 0; k-- {
		if bytes.Equal(s.pending[len(s.pending)-k:], s.marker[:k]) {
			return k
		}
	}
	return 0
}

// flush passes on what was held back when no marker came.
func (s *splitter) flush() {
	if !s.found && len(s.pending) > 0 {
		_, _ = s.out.Write(s.pending)
		s.pending = nil
	}
}

// trailer is what the wrapper reported after the command ended.
type trailer struct {
	status int
	// listed reports a complete, well-formed workspace listing.
	listed bool
	// partial reports that find met errors (unreadable directories):
	// missing entries may exist.
	partial bool
	stamp   time.Time
	entries map[string]listEntry
}

// listEntry is one line of the workspace listing.
type listEntry struct {
	ctime time.Time
	mode  modeBits
	size  int64
}

// modeBits is a raw st_mode.
type modeBits uint32

const (
	modeType = 0o170000
	modeDir  = 0o040000
	modeReg  = 0o100000
	modeLink = 0o120000
	modeFifo = 0o010000
)

func (m modeBits) typ() uint32  { return uint32(m) & modeType }
func (m modeBits) perm() uint32 { return uint32(m) & 0o7777 }
func (m modeBits) syncable() bool {
	switch m.typ() {
	case modeDir, modeReg, modeLink, modeFifo:
		return true
	}
	return false
}

// statTime is the layout of stat's %z.
const statTime = "2006-01-02 15:04:05.999999999 -0700"

// trailer parses what followed the marker; nil if there was none.
func (s *splitter) trailer(list bool) *trailer {
	if !s.found {
		return nil
	}
	data := s.after.String()
	line, rest, _ := strings.Cut(data, "\n")
	status, err := strconv.Atoi(line)
	if err != nil {
		return nil
	}
	tr := &trailer{status: status}
	if !list || s.tooLong {
		return tr
	}
	stampLine, rest, ok := strings.Cut(rest, "\n")
	if !ok {
		return tr
	}
	stamp, err := time.Parse(statTime, stampLine)
	if err != nil {
		return tr
	}
	entries := map[string]listEntry{}
	for {
		line, more, ok := strings.Cut(rest, "\n")
		if !ok {
			return tr // no "end" line: cut short
		}
		rest = more
		if code, isEnd := strings.CutPrefix(line, "end "); isEnd {
			// find exits 1 when it met errors (an unreadable directory);
			// anything else means there was no usable listing.
			if rest != "" || (code != "0" && code != "1") {
				return tr
			}
			tr.listed, tr.partial = true, code == "1"
			tr.stamp, tr.entries = stamp, entries
			return tr
		}
		e, name, ok := parseListLine(line)
		if !ok {
			return tr
		}
		entries[name] = e
	}
}

// parseListLine parses "ctime|rawmode|size|/workspace/name".
func parseListLine(line string) (listEntry, string, bool) {
	f := strings.SplitN(line, "|", 4)
	if len(f) != 4 {
		return listEntry{}, "", false
	}
	ctime, err := time.Parse(statTime, f[0])
	if err != nil {
		return listEntry{}, "", false
	}
	mode, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil {
		return listEntry{}, "", false
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return listEntry{}, "", false
	}
	name, ok := strings.CutPrefix(f[3], WorkDir+"/")
	if !ok || !validName(name) {
		return listEntry{}, "", false
	}
	return listEntry{ctime: ctime, mode: modeBits(mode), size: size}, name, true
}
