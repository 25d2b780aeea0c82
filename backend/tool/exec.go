package tool

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"time"

	"github.com/corral-dev/corral/backend/egress"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Exec runs a shell command in the sandbox. The zero value uses the
// defaults.
type Exec struct {
	// DefaultTimeout applies when the model gives none (default 120 s).
	DefaultTimeout time.Duration
	// MaxTimeout caps the timeout the model may ask for (default 10 min).
	MaxTimeout time.Duration
	// MaxOutput is the number of bytes kept of each of stdout and stderr,
	// half from the start and half from the end (default 20,000).
	MaxOutput int
	// MaxTrackedFiles bounds the workspace files listed before and after the
	// command to tell which files it changed (Meta.Changed); a larger
	// workspace is not tracked, and Meta.Untracked says so (default 200,000).
	// Negative turns tracking off.
	MaxTrackedFiles int
}

const (
	defaultExecTimeout = 120 * time.Second
	defaultExecMax     = 10 * time.Minute
	defaultExecOutput  = 20000
)

func (e *Exec) limits() (def, maxTimeout time.Duration, output int) {
	def, maxTimeout, output = e.DefaultTimeout, e.MaxTimeout, e.MaxOutput
	if maxTimeout <= 0 {
		maxTimeout = defaultExecMax
	}
	if def <= 0 {
		def = min(defaultExecTimeout, maxTimeout)
	}
	if output <= 0 {
		output = defaultExecOutput
	}
	return def, maxTimeout, output
}

// Name returns "exec".
func (e *Exec) Name() string { return "exec" }

// Description tells the model how exec behaves.
func (e *Exec) Description() string {
	def, maxTimeout, output := e.limits()
	return fmt.Sprintf(`Run a shell command with sh -c in the workspace and return its exit code, stdout and stderr.

- The working directory is the workspace root unless cwd names a directory inside it. Each call starts a new shell: cd, exported variables and background processes do not carry over to the next call, and anything the command leaves running in the background is killed when it exits.
- stdin is empty; commands that wait for input (editors, pagers, interactive prompts) will not work. Pass flags such as --yes or --no-pager instead.
- The default timeout is %s; timeout_seconds may raise it up to %s. On timeout the command and everything it started are killed and the output so far is returned.
- stdout and stderr are each capped at %d bytes: longer output keeps the first and last %d bytes and says how many bytes were omitted in between. Filter output (grep, head, tail, wc) when you expect a lot.
- A non-zero exit code is reported as an error result, with the output.
- Files in the workspace the command created, changed or deleted are listed after the output (the first few by name).
- Prefer the read, write, edit, glob and grep tools over cat, sed, find and grep for working with files.`, seconds(def), seconds(maxTimeout), output, output/2)
}

// Schema describes the input {command, timeout_seconds?, cwd?}.
func (e *Exec) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "command": {"type": "string", "description": "The shell command line to run with sh -c."},
    "timeout_seconds": {"type": "integer", "minimum": 1, "description": "Seconds before the command is killed. Defaults to the tool's default timeout."},
    "cwd": {"type": "string", "description": "Working directory, relative to the workspace root (default: the root)."}
  },
  "required": ["command"],
  "additionalProperties": false
}`)
}

// Idempotent is false: a command may do anything.
func (e *Exec) Idempotent() bool { return false }

type execInput struct {
	Command        string  `json:"command"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
	Cwd            string  `json:"cwd"`
}

// Run runs the command.
func (e *Exec) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in execInput
	if r, ok := decode(e.Name(), input, &in); !ok {
		return r, nil
	}
	if strings.TrimSpace(in.Command) == "" {
		return failure("command is empty."), nil
	}
	def, maxTimeout, output := e.limits()
	timeout, note := def, ""
	switch {
	case in.TimeoutSeconds < 0:
		return failure("timeout_seconds must be positive, got %v.", in.TimeoutSeconds), nil
	case in.TimeoutSeconds > 0:
		timeout = time.Duration(in.TimeoutSeconds * float64(time.Second))
		if timeout > maxTimeout {
			timeout, note = maxTimeout, fmt.Sprintf("(timeout_seconds lowered to the maximum, %s)\n", seconds(maxTimeout))
		}
	}
	dir := ""
	if in.Cwd != "" {
		name, r := resolvePath(sb.Info(), in.Cwd)
		if r != nil {
			return *r, nil
		}
		dir = name
	}
	limit := cmp.Or(e.MaxTrackedFiles, defaultMaxTracked)
	var before map[string]fileSig
	untracked := "tracking changed files is turned off"
	tracker := trackerFrom(ctx)
	if limit <= 0 {
		tracker = nil
	}
	if limit > 0 && tracker == nil {
		var err error
		if before, err = snapshot(ctx, sb.Files(), limit); err != nil {
			untracked = untrackedReason(err, limit)
		}
	}
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Command: in.Command, Dir: dir, Timeout: timeout, MaxOutput: output})
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, sandbox.ErrUnavailable):
		case errors.Is(err, syscall.ENOTDIR):
			return failure("cwd %s is not a directory.", in.Cwd), nil
		case errors.As(err, &pe):
			return fileFailure("cwd "+in.Cwd, err)
		}
		return Result{}, err
	}

	var b strings.Builder
	b.WriteString(note)
	if res.TimedOut {
		fmt.Fprintf(&b, "Timed out after %s: the command and everything it started were killed.\n", seconds(timeout))
	}
	fmt.Fprintf(&b, "Exit code: %d\n", res.ExitCode)
	stdout, stderr := strings.ToValidUTF8(res.Stdout, "\uFFFD"), strings.ToValidUTF8(res.Stderr, "\uFFFD")
	if stdout != "" {
		b.WriteString("--- stdout ---\n")
		b.WriteString(stdout)
		if !strings.HasSuffix(stdout, "\n") {
			b.WriteString("\n")
		}
	}
	if stderr != "" {
		b.WriteString("--- stderr ---\n")
		b.WriteString(stderr)
		if !strings.HasSuffix(stderr, "\n") {
			b.WriteString("\n")
		}
	}
	if stdout == "" && stderr == "" {
		b.WriteString("(no output)\n")
	}
	b.WriteString(egressLines(res.Egress))
	code := res.ExitCode
	meta := Meta{
		ExitCode:   &code,
		TimedOut:   res.TimedOut,
		DurationMS: res.Duration.Milliseconds(),
		Truncated:  res.StdoutDropped > 0 || res.StderrDropped > 0,
		Path:       dir,
		Egress:     res.Egress,
	}
	if before != nil || tracker != nil {
		// The command has ended (or was killed): what it changed is settled.
		var changed []FileChange
		var err error
		if tracker != nil {
			if changed, err = tracker.Changed(ctx); err == nil {
				changed = tracked(sb.Files(), changed)
			}
		} else {
			var after map[string]fileSig
			if after, err = snapshot(ctx, sb.Files(), limit); err == nil {
				changed = compareSnapshots(sb.Files(), before, after)
			}
		}
		if err != nil {
			untracked = untrackedReason(err, limit)
		} else {
			meta.ChangesTracked = true
			meta.Changed = changed[:min(len(changed), maxChangedListed)]
			meta.ChangedOmitted = len(changed) - len(meta.Changed)
			if len(changed) > 0 {
				b.WriteString(changedLine(changed))
			}
		}
	}
	if !meta.ChangesTracked {
		meta.Untracked = untracked
	}
	return Result{
		Content: strings.TrimSuffix(b.String(), "\n"),
		IsError: res.ExitCode != 0 || res.TimedOut,
		Meta:    meta,
	}, nil
}

// seconds formats d for the model: "120 s", "1.5 s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%g s", d.Seconds())
}

// egressLines tells the model which connections the command attempted and which the
// network policy blocked (a person can allow a blocked host; the model cannot).
func egressLines(evs []egress.Event) string {
	if len(evs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("--- network ---\n")
	for _, ev := range evs {
		b.WriteString(egress.Describe(ev))
		b.WriteString("\n")
	}
	return b.String()
}
