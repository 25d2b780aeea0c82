// Package tool holds the agent's built-in tools: exec, read, write, edit,
// glob and grep. Each has a name, a description and a JSON schema for the
// model, limits on what it returns, and a Run that works on a
// sandbox.Sandbox: exec through Sandbox.Exec, the file tools through
// Sandbox.Files, so they need nothing installed inside a container.
//
// A failure the model should see and can act on (invalid input, a missing
// file, an edit that does not apply, a non-zero exit, a path outside the
// workspace) is a Result with IsError set; a Go error from Run means the
// infrastructure failed (the sandbox is unavailable, the context ended).
//
// Package tool must not know about models, journals or approvals: it does
// not decide whether a call may run, and it does not record what ran.
package tool
