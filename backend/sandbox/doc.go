// Package sandbox is the seam between the agent's tools and the place their
// commands and file operations happen: the Sandbox interface (run a command,
// reach the workspace's files, describe itself, close), the request and
// result types, the sentinel errors, Dir (workspace files through os.Root,
// traversal-resistant) and LimitedBuffer (head-and-tail output capture).
//
// The implementations live in subpackages named after what they run on
// (local, docker); sandboxtest is the conformance suite each of them must pass.
//
// Package sandbox must not know how a command is started, which engine or
// image runs it, or what a tool does with a result: it has no process, no
// Docker client and no model-facing text.
package sandbox
