// Package docker is the sandbox that runs commands in Docker containers: a
// Manager hands out sandboxes for a run or a session, creates hardened
// containers for them (no capabilities, no new privileges, read-only root
// filesystem, pids/memory/CPU limits, no network unless allowed), runs
// commands through the Exec API (a container's first one through its
// attachment, see first.go), and removes containers when a run ends,
// when they sit idle (Reaper) or when the process that made them is gone.
//
// The workspace is the host directory the sandbox was made for. With a
// local engine it is bind-mounted at /workspace. With a remote engine
// (DOCKER_HOST naming another machine, or WorkspaceCopy) it is copied in
// when the container is created and kept in step with the archive API
// around every command: host changes are pushed before a command runs and
// the container's changes are pulled back after it ends. Either way Files
// is the host directory through sandbox.Dir, so file tools are fast and
// traversal-resistant, and the host copy is what the rest of Corral sees.
//
// Package docker must not know about tools, models, approvals or the
// journal: it runs what it is given and reports what happened.
package docker
