package sandbox

import (
	"context"
	"io"
)

// Starter is an optional capability of a Sandbox: Start runs a long-lived
// program (an MCP server speaking over its standard streams) in the
// sandbox, with the same environment and confinement as Exec's commands,
// and hands back its streams. The process lives until Stop, or until the
// sandbox closes.
type Starter interface {
	Start(ctx context.Context, req StartRequest) (*Process, error)
}

// StartRequest is a program to start: argv[0] is looked up in the
// sandbox's PATH; Env adds KEY=VALUE variables to the sandbox's own
// minimal environment. The working directory is the workspace.
type StartRequest struct {
	Argv []string
	Env  []string
}

// Process is a program started by a Starter. Reading Stdout and Stderr to
// their end, and closing them, is the caller's job (they stay readable
// after the program exited until drained); Stop ends the program and
// everything it started and waits for it.
type Process struct {
	Stdin  io.WriteCloser
	Stdout io.ReadCloser
	Stderr io.ReadCloser
	// Done is closed once the program has exited.
	Done <-chan struct{}
	// Stop closes Stdin, gives the program a moment to exit, then kills it
	// and everything it started. It is idempotent.
	Stop func() error
}
