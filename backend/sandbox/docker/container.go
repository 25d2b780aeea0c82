package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/sandbox"
)

// idleScript keeps a container running without doing anything; docker-init
// (HostConfig.Init) is PID 1 and reaps the zombies that killed commands
// leave behind.
const idleScript = `trap 'exit 0' TERM; while :; do sleep 86400 & wait $!; done`

// baseEnv is every container's environment before Config.Env; the image
// supplies PATH.
var baseEnv = []string{"HOME=/tmp", "TERM=dumb", "PAGER=cat", "GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0", "LANG=C.UTF-8"}

// box is one logical container: the spec it is made from and the engine
// container currently standing for it, created on first use and again
// after it died or was reaped.
type box struct {
	m    *Manager
	key  string
	spec Spec // defaults applied, absolute workspace, user resolved

	users int // open sandboxes; guarded by m.mu

	mu sync.Mutex // serializes creation and removal; guards the fields below
	id string     // "" until created, and after the container is gone
	// forwarding is the container whose egress forwarder was started.
	forwarding string
	name       string
	created    time.Time
	removed    bool // removed for good: no more recreation

	lastUsed atomic.Int64 // unix nanoseconds of m.now
	busy     atomic.Int32 // commands running

	sync *workspaceSync // WorkspaceCopy only

	// first is the attachment the container's first command may use (see first.go).
	first atomic.Pointer[firstConn]
}

func newBox(m *Manager, key string, spec Spec) *box {
	b := &box{m: m, key: key, spec: spec}
	if m.copyMode || spec.copy {
		b.sync = newWorkspaceSync(spec.Workspace)
	}
	b.touch()
	return b
}

func (b *box) touch() { b.lastUsed.Store(b.m.now().UnixNano()) }

func (b *box) lastUse() time.Time { return time.Unix(0, b.lastUsed.Load()) }

// current returns the container id and name, "" when there is none.
func (b *box) current() (id, name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.id, b.name
}

// ensure returns the running container, creating it if there is none.
func (b *box) ensure(ctx context.Context, progress func(Progress)) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.removed {
		return "", fmt.Errorf("docker: %w: sandbox container removed", sandbox.ErrUnavailable)
	}
	if b.id != "" {
		return b.id, nil
	}
	if b.outlives() {
		if ok, err := b.adopt(ctx); err != nil || ok {
			if err == nil {
				err = b.startForwarder(ctx, b.id)
			}
			return b.id, err
		}
	}
	if err := b.create(ctx, progress); err != nil {
		return "", err
	}
	if err := b.startForwarder(ctx, b.id); err != nil {
		return "", err
	}
	return b.id, nil
}

// invalidate forgets container id (it died or was removed behind our
// back) and removes whatever is left of it, so that the next use creates a
// fresh one.
func (b *box) invalidate(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.id != id {
		return
	}
	b.id, b.name = "", ""
	b.dropFirst()
	ctx, cancel := b.m.opContext(context.Background())
	defer cancel()
	_ = b.m.removeContainer(ctx, id)
}

// remove removes the container for good; a container that outlives its process is only
// let go of, for a later process to adopt.
func (b *box) remove(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removed = true
	id := b.id
	b.id, b.name = "", ""
	b.dropFirst()
	if id == "" || b.outlives() {
		return nil
	}
	return b.m.removeContainer(ctx, id)
}

// reapIfIdle removes the container if no command runs in it and it was last
// used before cutoff; the box stays and recreates it on next use. It
// returns the removed container's name, "" if nothing was removed.
func (b *box) reapIfIdle(ctx context.Context, cutoff time.Time) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.id == "" || b.outlives() || b.busy.Load() > 0 || b.lastUse().After(cutoff) {
		return "", nil
	}
	id, name := b.id, b.name
	b.id, b.name = "", ""
	b.dropFirst()
	return name, b.m.removeContainer(ctx, id)
}

func (m *Manager) removeContainer(ctx context.Context, id string) error {
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	_, err := m.cli.ContainerRemove(opCtx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) && !isRemovalInProgress(err) {
		return m.engineError(ctx, "remove container "+shortID(id), err)
	}
	return nil
}

// isRemovalInProgress reports the engine's answer to removing a container
// that another call is already removing.
func isRemovalInProgress(err error) bool {
	return cerrdefs.IsConflict(err) && containsFold(err.Error(), "already in progress")
}

// labels returns the labels of a new container for b.
func (b *box) labels() map[string]string {
	mode := "mount"
	if b.sync != nil {
		mode = "copy"
	}
	l := map[string]string{
		LabelManaged:   "true",
		LabelSession:   b.spec.SessionID,
		LabelRun:       b.spec.RunID,
		LabelScope:     string(b.spec.Scope),
		LabelPID:       strconv.Itoa(b.m.pid),
		LabelPIDStart:  b.m.pidStart,
		LabelInstance:  b.m.instance,
		LabelHost:      b.m.hostname,
		LabelWorkspace: b.spec.Workspace,
		LabelMode:      mode,
		LabelConfig:    b.spec.Config.hash(),
		LabelCreated:   b.m.now().UTC().Format(time.RFC3339),
	}
	if b.outlives() {
		l[LabelIdle] = strconv.FormatInt(b.idleSeconds(), 10)
	}
	return l
}

// create makes, starts and prepares a container for b; b.mu is held. On
// failure nothing is left behind.
func (b *box) create(ctx context.Context, progress func(Progress)) (err error) {
	cfg := b.spec.Config
	pids := cfg.PidsLimit
	init := true
	mounts := make([]mount.Mount, 0, 1+len(cfg.Mounts))
	if b.sync != nil {
		// An anonymous volume, removed with the container; NoCopy keeps the
		// image's own /workspace (if any) out of it.
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Target: WorkDir, VolumeOptions: &mount.VolumeOptions{NoCopy: true}})
	} else {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: b.spec.Workspace, Target: WorkDir})
	}
	for _, mt := range cfg.Mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: mt.Source, Target: mt.Target, ReadOnly: !mt.Writable})
	}
	name := containerName(b.spec)
	entrypoint := []string{"/bin/sh", "-c", mainScript(idleScript)}
	if b.outlives() {
		entrypoint = b.watchdogArgs()
	}
	env := append(append([]string(nil), baseEnv...), cfg.Env...)
	if cfg.Egress != nil {
		for _, mt := range cfg.Egress.mounts() {
			mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: mt.Source, Target: mt.Target, ReadOnly: true})
		}
		env = append(cfg.Egress.env(), env...)
	}
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	opts := client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image:      cfg.Image,
			User:       cfg.User,
			Env:        env,
			WorkingDir: WorkDir,
			Entrypoint: entrypoint,
			Labels:     b.labels(),
			// The first command's reader reads stdin, which the engine closes when
			// Corral's attachment goes (first.go).
			OpenStdin: true,
			StdinOnce: true,
		},
		HostConfig: &container.HostConfig{
			NetworkMode:    container.NetworkMode(cfg.Network),
			AutoRemove:     b.outlives(), // its watchdog exiting removes it
			Init:           &init,
			CapDrop:        []string{"ALL"},
			SecurityOpt:    []string{"no-new-privileges"},
			ReadonlyRootfs: true,
			Tmpfs:          map[string]string{"/tmp": fmt.Sprintf("rw,nosuid,nodev,size=%d,mode=1777", cfg.TmpSize)},
			Mounts:         mounts,
			LogConfig:      container.LogConfig{Type: "none"},
			Resources: container.Resources{
				Memory:     cfg.Memory,
				MemorySwap: cfg.Memory, // no swap on top
				NanoCPUs:   int64(cfg.CPUs * 1e9),
				PidsLimit:  &pids,
			},
		},
	}
	// Create first and pull only when the engine lacks the image, as `docker run` does: an
	// image inspection before every create is one more round trip on each cold start.
	created, err := b.m.cli.ContainerCreate(opCtx, opts)
	if cerrdefs.IsNotFound(err) {
		if err := b.m.ensureImage(ctx, cfg.Image, progress); err != nil {
			return err
		}
		created, err = b.m.cli.ContainerCreate(opCtx, opts)
	}
	if err != nil {
		return b.m.engineError(ctx, "create container from "+cfg.Image, err)
	}
	id := created.ID
	defer func() {
		if err != nil {
			rmCtx, cancel := b.m.opContext(context.Background())
			defer cancel()
			_ = b.m.removeContainer(rmCtx, id)
		}
	}()
	var chowned chan error
	if b.sync != nil {
		owner, err := b.resolveIDs(ctx, id)
		if err != nil {
			return err
		}
		if owner.uid != 0 || owner.gid != 0 {
			// The helper needs only the volume, which exists now: it runs while the
			// container starts, and is waited for before anything reaches the volume.
			chowned = make(chan error, 1)
			go func() { chowned <- b.chownWorkspace(ctx, id, owner) }()
		}
		b.sync.reset(owner)
	}
	// The reader waits for what is written to it, so attaching may go on while the
	// container starts.
	attached := make(chan *firstConn, 1)
	go func() { attached <- b.attachFirst(ctx, id) }()
	_, err = b.m.cli.ContainerStart(opCtx, id, client.ContainerStartOptions{})
	first := <-attached
	defer func() {
		if err != nil && first != nil {
			b.first.CompareAndSwap(first, nil)
			first.close()
		}
	}()
	if chowned != nil {
		if cerr := <-chowned; err == nil && cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return b.m.engineError(ctx, "start container "+name, err)
	}
	if first != nil {
		b.first.Store(first)
	}
	if cfg.Setup != "" {
		res, err := b.execIn(ctx, id, sandbox.ExecRequest{Command: cfg.Setup}, WorkDir)
		if err != nil {
			return fmt.Errorf("docker: setup command: %w", err)
		}
		if res.ExitCode != 0 {
			return fmt.Errorf("docker: setup command %q exited with %d: %s", cfg.Setup, res.ExitCode, lastLines(res.Stderr+res.Stdout, 5))
		}
	} else if b.sync != nil {
		if err := b.sync.push(ctx, b, id); err != nil {
			return err
		}
	}
	b.id, b.name, b.created = id, name, b.m.now()
	return nil
}

// chownWorkspace gives the workspace volume of container id to the user
// commands run as. The volume's root belongs to root and the container has
// no capabilities, so a short-lived helper container sharing the volume
// does it with CAP_CHOWN alone.
func (b *box) chownWorkspace(ctx context.Context, id string, owner ids) error {
	cfg := b.spec.Config
	opCtx, cancel := b.m.opContext(ctx)
	defer cancel()
	labels := b.labels()
	labels[LabelScope] = "helper"
	helper, err := b.m.cli.ContainerCreate(opCtx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:      cfg.Image,
			User:       "0:0",
			Entrypoint: []string{"chown", fmt.Sprintf("%d:%d", owner.uid, owner.gid), WorkDir},
			Labels:     labels,
		},
		HostConfig: &container.HostConfig{
			AutoRemove:     true, // the engine removes it when it exits: no call waits for that
			VolumesFrom:    []string{id},
			NetworkMode:    "none",
			CapDrop:        []string{"ALL"},
			CapAdd:         []string{"CHOWN"},
			SecurityOpt:    []string{"no-new-privileges"},
			ReadonlyRootfs: true,
			LogConfig:      container.LogConfig{Type: "none"},
		},
	})
	if err != nil {
		return b.m.engineError(ctx, "create workspace helper", err)
	}
	wait := b.m.cli.ContainerWait(opCtx, helper.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := b.m.cli.ContainerStart(opCtx, helper.ID, client.ContainerStartOptions{}); err != nil {
		// Never started, so never removed by the engine.
		rmCtx, cancel := b.m.opContext(context.Background())
		defer cancel()
		_ = b.m.removeContainer(rmCtx, helper.ID)
		return b.m.engineError(ctx, "start workspace helper", err)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 0 {
			return fmt.Errorf("docker: chown %d:%d %s in %s exited with %d (does the image have chown?); Config.User \"0:0\" needs none", owner.uid, owner.gid, WorkDir, cfg.Image, res.StatusCode)
		}
		return nil
	case err := <-wait.Error:
		return b.m.engineError(ctx, "wait for workspace helper", err)
	}
}

// containerGone reports whether container id is missing or not running.
func (m *Manager) containerGone(ctx context.Context, id string) bool {
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	res, err := m.cli.ContainerInspect(opCtx, id, client.ContainerInspectOptions{})
	if err != nil {
		return cerrdefs.IsNotFound(err)
	}
	st := res.Container.State
	return st == nil || !st.Running || st.Restarting || st.Dead
}

// stopsSoon reports whether container id is gone or stops within a second:
// the engine may update its state only after a command's output ended.
func (m *Manager) stopsSoon(ctx context.Context, id string) bool {
	if m.containerGone(ctx, id) {
		return true
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	wait := m.cli.ContainerWait(waitCtx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case <-wait.Result:
		return true
	case err := <-wait.Error:
		return cerrdefs.IsNotFound(err)
	}
}

// errGone is the cause for a container that stopped or disappeared.
var errGone = errors.New("container is not running")

// goneError is a container found dead while running a command.
type goneError struct {
	id          string
	beforeStart bool // the command never started: safe to retry
}

func (e *goneError) Error() string {
	if e.beforeStart {
		return fmt.Sprintf("docker: container %s is gone: %v", shortID(e.id), sandbox.ErrUnavailable)
	}
	return fmt.Sprintf("docker: container %s stopped while the command ran: %v", shortID(e.id), sandbox.ErrUnavailable)
}

func (e *goneError) Unwrap() []error { return []error{sandbox.ErrUnavailable, errGone} }

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
