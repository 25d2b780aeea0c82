package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// A session's container can outlive the process that made it (Spec.IdleTimeout > 0): its main process is a watchdog that exits once no command has
// run for the idle time, and the engine then removes the stopped container (AutoRemove), so
// it goes even when no Corral process runs any more. Any later Manager asking for the same
// session, workspace and config finds it by its labels and adopts it; the orphan sweep
// leaves it alone (its creator's death says nothing about the session), and
// RemoveIdleSessions removes those whose watchdog did not (a stopped engine, an older one).

// LabelIdle holds, in seconds, the idle time after which a container outliving its process
// removes itself; only such containers carry it.
const LabelIdle = "corral.idle"

// DefaultSessionIdle is how long a session's container may go without a command before it
// removes itself, when the agent and the settings name no other time.
const DefaultSessionIdle = 15 * time.Minute

// Files the wrapper and the watchdog share in the container's /tmp.
const (
	usedMarker = "/tmp/.corral-used" // made when a command ends; the watchdog removes it
	idleFile   = "/tmp/.corral-idle" // the seconds without a command, written by the watchdog
)

// watchdogScript is the main process of a container that outlives its process: every "$2"
// seconds it looks for a command running (the wrapper's .pid file) or one that ended since
// (the used marker), and exits when "$1" seconds passed without either. It writes the idle
// seconds to idleFile for IdleFor.
const watchdogScript = `idle=$1 tick=$2 n=0 u=` + usedMarker + `
trap 'exit 0' TERM
while :; do
  echo "$n" > ` + idleFile + `
  sleep "$tick" & wait $!
  busy=
  [ -e "$u" ] && busy=1
  for f in /tmp/.corral-*.pid; do [ -e "$f" ] && busy=1; done
  if [ -n "$busy" ]; then rm -f "$u"; n=0; else n=$((n+tick)); fi
  [ "$n" -ge "$idle" ] && exit 0
done`

// outlives reports whether b's container outlives this process.
func (b *box) outlives() bool {
	return b.spec.Scope == ScopeSession && b.spec.IdleTimeout > 0
}

// mode is how b's workspace reaches its container, as in LabelMode.
func (b *box) mode() string {
	if b.sync != nil {
		return "copy"
	}
	return "mount"
}

// idleSeconds is the watchdog's idle time, at least a second.
func (b *box) idleSeconds() int64 { return max(int64(b.spec.IdleTimeout/time.Second), 1) }

// watchdogArgs returns the container's entrypoint for a container that outlives its
// process: the watchdog, looking every tenth of the idle time (1 s to 30 s).
func (b *box) watchdogArgs() []string {
	idle := b.idleSeconds()
	tick := min(max(idle/10, 1), 30)
	return []string{"/bin/sh", "-c", mainScript(watchdogScript), "corral-watchdog", strconv.FormatInt(idle, 10), strconv.FormatInt(tick, 10)}
}

// adopt looks for a running container of b's session, made by any process, with b's
// workspace and config, and makes it b's; b.mu is held. Stopped ones and ones made with
// another workspace or config are removed: the session's sandbox changed. It reports
// whether it adopted one.
func (b *box) adopt(ctx context.Context) (bool, error) {
	list, err := b.m.sessionContainers(ctx, b.spec.SessionID)
	if err != nil {
		return false, err
	}
	adopted := false
	for _, s := range list {
		l := s.Labels
		fits := s.State == container.StateRunning && l[LabelConfig] == b.spec.Config.hash() &&
			l[LabelWorkspace] == b.spec.Workspace && l[LabelMode] == b.mode()
		if fits && !adopted {
			// A command marks it used: its watchdog starts counting again, and a container
			// that stopped a moment ago is found out here.
			code, _, err := b.run(ctx, s.ID, []string{"/bin/sh", "-c", ": > " + usedMarker})
			if err == nil && code == 0 && b.sync != nil {
				err = b.refill(ctx, s.ID)
			}
			if err == nil && code == 0 {
				b.id, b.created = s.ID, time.Unix(s.Created, 0)
				b.name = ""
				if len(s.Names) > 0 {
					b.name = strings.TrimPrefix(s.Names[0], "/")
				}
				adopted = true
				continue
			}
		}
		if err := b.m.removeContainer(ctx, s.ID); err != nil {
			return adopted, err
		}
	}
	return adopted, nil
}

// refill makes the copied workspace of an adopted container the host's again: the host is
// the truth, and this process does not know what changed on either side since the last
// sync, so the container's copy is emptied and the whole workspace pushed.
func (b *box) refill(ctx context.Context, id string) error {
	owner, err := b.resolveIDs(ctx, id)
	if err != nil {
		return err
	}
	code, out, err := b.run(ctx, id, []string{"/bin/sh", "-c", "rm -rf " + WorkDir + "/* " + WorkDir + "/.[!.]* " + WorkDir + "/..?*"})
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("docker: empty the adopted container's workspace: exit %d: %s", code, out)
	}
	b.sync.reset(owner)
	return b.sync.push(ctx, b, id)
}

// sessionContainers lists the containers of a session ("": of every session) that outlive
// their processes.
func (m *Manager) sessionContainers(ctx context.Context, sessionID string) ([]container.Summary, error) {
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	f := make(client.Filters).Add("label", LabelManaged+"=true").
		Add("label", LabelScope+"="+string(ScopeSession)).
		Add("label", LabelIdle)
	if sessionID != "" {
		f = f.Add("label", LabelSession+"="+sessionID)
	}
	res, err := m.cli.ContainerList(opCtx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, m.engineError(ctx, "list session containers", err)
	}
	return res.Items, nil
}

// SessionStatus describes the container of a session that outlives its process.
type SessionStatus struct {
	// Container is the container as List describes it.
	Container Container
	// IdleFor is how long it has run no command, as its watchdog counts (to its tick).
	IdleFor time.Duration
	// IdleTimeout is the idle time after which it removes itself.
	IdleTimeout time.Duration
}

// SessionContainer returns the container of a session that outlives its process, if one
// runs.
func (m *Manager) SessionContainer(ctx context.Context, sessionID string) (SessionStatus, bool, error) {
	list, err := m.sessionContainers(ctx, sessionID)
	if err != nil {
		return SessionStatus{}, false, err
	}
	lastUsed := m.lastUses()
	for _, s := range list {
		if s.State != container.StateRunning {
			continue
		}
		st := SessionStatus{Container: m.describe(s, lastUsed), IdleTimeout: labelSeconds(s.Labels[LabelIdle])}
		st.IdleFor, err = m.IdleFor(ctx, s.ID)
		if err != nil {
			return st, true, err
		}
		return st, true, nil
	}
	return SessionStatus{}, false, nil
}

// IdleFor asks the watchdog of container id how long the container has run no command.
// Asking is not a use: the idle time goes on.
func (m *Manager) IdleFor(ctx context.Context, id string) (time.Duration, error) {
	code, out, err := (&box{m: m}).run(ctx, id, []string{"cat", idleFile})
	if err != nil {
		return 0, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if code != 0 || perr != nil {
		return 0, fmt.Errorf("docker: container %s has no idle count (%q, exit %d)", shortID(id), strings.TrimSpace(out), code)
	}
	return time.Duration(n) * time.Second, nil
}

// RemoveIdleSessions removes the containers outliving their processes that their watchdog
// should have removed: stopped ones (exited, dead), and running ones idle for their idle time or longer.
// Those this Manager has open sandboxes on are left alone. Call it at startup, with
// RemoveOrphans.
func (m *Manager) RemoveIdleSessions(ctx context.Context) ([]Container, error) {
	list, err := m.sessionContainers(ctx, "")
	if err != nil {
		return nil, err
	}
	inUse := m.usedIDs()
	lastUsed := m.lastUses()
	var removed []Container
	var errs []error
	for _, s := range list {
		timeout := labelSeconds(s.Labels[LabelIdle])
		if timeout == 0 || inUse[s.ID] {
			continue
		}
		switch s.State {
		case container.StateRunning:
			idle, err := m.IdleFor(ctx, s.ID)
			if err != nil || idle < timeout {
				continue // a watchdog that cannot say is left to itself
			}
		case container.StateExited, container.StateDead:
		default:
			continue // being made (created) or changing state: its maker's
		}
		if err := m.removeContainer(ctx, s.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, m.describe(s, lastUsed))
	}
	return removed, errors.Join(errs...)
}

// usedIDs returns the containers of boxes with open sandboxes.
func (m *Manager) usedIDs() map[string]bool {
	m.mu.Lock()
	var used []*box
	for _, b := range m.boxes {
		if b.users > 0 {
			used = append(used, b)
		}
	}
	m.mu.Unlock()
	out := map[string]bool{}
	for _, b := range used {
		if id, _ := b.current(); id != "" {
			out[id] = true
		}
	}
	return out
}

// labelSeconds reads a LabelIdle value; 0 when absent or bad.
func labelSeconds(v string) time.Duration {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
