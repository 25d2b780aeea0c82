package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"syscall"

	"github.com/corral-dev/corral/backend/egress"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Tool is one capability offered to the model.
type Tool interface {
	// Name is the name the model calls the tool by.
	Name() string
	// Description tells the model what the tool does and its limits.
	Description() string
	// Schema is the JSON Schema of the tool's input object.
	Schema() json.RawMessage
	// Idempotent reports whether running the same input twice leaves the
	// workspace as running it once does, so that a call interrupted before
	// its result was recorded may simply be run again.
	Idempotent() bool
	// Run runs the tool on input in sb. Failures the model should see are
	// returned as a Result with IsError; an error means the infrastructure
	// failed.
	Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error)
}

// Result is what a tool call produced.
type Result struct {
	// Content is the text the model sees.
	Content string `json:"content"`
	// IsError marks a failed call; Content says why.
	IsError bool `json:"is_error,omitempty"`
	// Meta holds structured facts for the UI; the model does not see it.
	Meta Meta `json:"meta,omitzero"`
}

// Meta holds the structured facts of a tool call for UI cards. Each tool
// fills the fields that apply to it.
type Meta struct {
	// Path is the workspace-relative file or directory the call was about.
	Path string `json:"path,omitempty"`
	// ExitCode is the command's exit status (exec).
	ExitCode *int `json:"exit_code,omitempty"`
	// TimedOut reports that the command was killed on timeout (exec).
	TimedOut bool `json:"timed_out,omitempty"`
	// DurationMS is the command's wall time in milliseconds (exec).
	DurationMS int64 `json:"duration_ms,omitempty"`
	// Bytes is the size read, written, or the file's size (read, write, edit).
	Bytes int64 `json:"bytes,omitempty"`
	// Lines is the number of lines shown or written (read, write).
	Lines int `json:"lines,omitempty"`
	// Created reports that write created the file.
	Created bool `json:"created,omitempty"`
	// Replacements is the number of occurrences replaced (edit).
	Replacements int `json:"replacements,omitempty"`
	// Added and Removed count changed lines (edit, write over a file).
	Added   int `json:"added,omitempty"`
	Removed int `json:"removed,omitempty"`
	// Diff is the unified diff of the change (edit, write over a file).
	Diff string `json:"diff,omitempty"`
	// Matches counts matching files (glob, grep's files_with_matches) or
	// matching lines (grep's content and count).
	Matches int `json:"matches,omitempty"`
	// Files counts files with a match (grep).
	Files int `json:"files,omitempty"`
	// Truncated reports that Content leaves something out.
	Truncated bool `json:"truncated,omitempty"`
	// Resolved says how Corral decided about this call when a crash had cut it off
	// (recorded as done, or run again), and why; empty for a call that ran once.
	Resolved string `json:"resolved,omitempty"`

	// Egress lists the connections the command attempted through the egress proxy, with
	// the policy's verdict, bytes and time (exec in a sandbox with a network policy).
	Egress []egress.Event `json:"egress,omitempty"`

	// ChangesTracked reports that exec listed the workspace's files before
	// and after the command, so Changed is complete (empty: nothing changed).
	// Only regular files inside the workspace that glob and grep would list
	// are tracked (not .git, ignored paths or symbolic links). A file counts
	// as modified when its size, mode, modification time, change time or
	// inode differ (change time and inode on Linux only); a file rewritten
	// in place with the same size within one timestamp tick, with its times
	// restored, would be missed. What a file held is not recorded.
	ChangesTracked bool `json:"changes_tracked,omitempty"`
	// Changed lists the files the command created, modified or deleted
	// (exec), sorted by path, at most 200.
	Changed []FileChange `json:"changed,omitempty"`
	// ChangedOmitted counts changed files left out of Changed.
	ChangedOmitted int `json:"changed_omitted,omitempty"`
	// Untracked says why exec did not track changed files (the workspace was
	// over the limit, listing it failed, tracking is off); Changed is then
	// empty and says nothing.
	Untracked string `json:"untracked,omitempty"`

	// MCP holds an MCP server tool's server, tool and non-text results.
	MCP *MCPMeta `json:"mcp,omitempty"`
}

// IsZero reports whether m holds no facts at all.
func (m Meta) IsZero() bool { return reflect.ValueOf(m).IsZero() }

// Builtin returns the six built-in tools with default limits:
// exec, read, write, edit, glob and grep.
func Builtin() []Tool {
	return []Tool{&Exec{}, &Read{}, &Write{}, &Edit{}, &Glob{}, &Grep{}}
}

// ByName returns the tool in tools called name.
func ByName(tools []Tool, name string) (Tool, bool) {
	for _, t := range tools {
		if t.Name() == name {
			return t, true
		}
	}
	return nil, false
}

// failure returns a model-visible error result.
func failure(format string, args ...any) Result {
	return Result{Content: fmt.Sprintf(format, args...), IsError: true}
}

// decode parses a tool's input strictly: unknown fields are reported to the
// model rather than silently ignored. An empty or null input is {}.
func decode(name string, input json.RawMessage, v any) (Result, bool) {
	input = bytes.TrimSpace(input)
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(input))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return failure("Invalid input for %s: %v. The input must be a JSON object matching the tool's schema.", name, err), false
	}
	if dec.More() {
		return failure("Invalid input for %s: unexpected data after the JSON object.", name), false
	}
	return Result{}, true
}

// fileFailure turns an error from Files into a model-visible result, or
// returns it as infrastructure failure.
func fileFailure(display string, err error) (Result, error) {
	var pe *fs.PathError
	switch {
	case errors.Is(err, sandbox.ErrUnavailable), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Result{}, err
	case errors.Is(err, sandbox.ErrOutsideWorkspace):
		return failure("%s is outside the workspace%s; only files inside it can be used.", display, outsideReason(err)), nil
	case errors.Is(err, fs.ErrNotExist):
		return failure("%s does not exist.", display), nil
	case errors.Is(err, fs.ErrPermission):
		return failure("Permission denied: %s.", display), nil
	case errors.Is(err, syscall.EISDIR):
		return failure("%s is a directory.", display), nil
	case errors.Is(err, syscall.ENOTDIR):
		return failure("%s: a parent of this path is a file, not a directory.", display), nil
	case errors.As(err, &pe):
		return failure("%s: %v.", display, pe.Err), nil
	default:
		return failure("%s: %v.", display, err), nil
	}
}

// outsideReason is the explanation an ErrOutsideWorkspace error carries,
// such as " (a symbolic link leads outside)", or "".
func outsideReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return strings.TrimPrefix(err.Error(), sandbox.ErrOutsideWorkspace.Error())
}

// plural returns "1 line" or "2 lines".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
