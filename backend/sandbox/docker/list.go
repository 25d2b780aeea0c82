package docker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/corral-dev/corral/backend/proc"
)

// Container describes one Corral container on the engine, for
// `corral sandbox ls`.
type Container struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image"`
	State   string    `json:"state"`  // "running", "exited", "created", ...
	Status  string    `json:"status"` // the engine's text, e.g. "Up 5 minutes"
	Session string    `json:"session"`
	Run     string    `json:"run"`
	Scope   string    `json:"scope"` // "run", "session", or "helper"
	Mode    string    `json:"mode"`  // "mount" or "copy"
	Created time.Time `json:"created"`
	// LastUsed is the last command's end as this process saw it; for
	// containers of other processes it is Created.
	LastUsed time.Time `json:"lastUsed"`
	// Size is the size of the container's writable layer in bytes (small:
	// the root filesystem is read-only).
	Size      int64  `json:"size"`
	Workspace string `json:"workspace"`
	Owner     Owner  `json:"owner"`
	// Mine reports a container of this Manager.
	Mine bool `json:"mine"`
	// Orphan reports a container whose owning process is gone.
	Orphan bool `json:"orphan"`
}

// OwnerText says whose a container is, as `corral sandbox ls` and the window
// show it: "this process", "orphan" or "pid N".
func (c Container) OwnerText() string {
	switch {
	case c.Orphan:
		return "orphan"
	case !c.Mine:
		return fmt.Sprintf("pid %d", c.Owner.PID)
	}
	return "this process"
}

// Owner is the process that made a container.
type Owner struct {
	PID      int    `json:"pid"`
	Instance string `json:"instance"`
	Host     string `json:"host"`
}

// errNotManaged is returned for a container Corral did not make.
var errNotManaged = errors.New("docker: not a corral container")

// List returns every Corral container on the engine, oldest first.
func (m *Manager) List(ctx context.Context) ([]Container, error) {
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	res, err := m.cli.ContainerList(opCtx, client.ContainerListOptions{
		All:     true,
		Size:    true,
		Filters: make(client.Filters).Add("label", LabelManaged+"=true"),
	})
	if err != nil {
		return nil, m.engineError(ctx, "list containers", err)
	}
	lastUsed := m.lastUses()
	out := make([]Container, 0, len(res.Items))
	for _, s := range res.Items {
		out = append(out, m.describe(s, lastUsed))
	}
	slices.SortFunc(out, func(a, b Container) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// lastUses maps this Manager's container ids to their last use.
func (m *Manager) lastUses() map[string]time.Time {
	out := map[string]time.Time{}
	for _, b := range m.boxList() {
		if id, _ := b.current(); id != "" {
			out[id] = b.lastUse()
		}
	}
	return out
}

// boxList returns the Manager's boxes. It holds m.mu only to copy them:
// a box's own lock may be held for a whole container creation.
func (m *Manager) boxList() []*box {
	m.mu.Lock()
	defer m.mu.Unlock()
	boxes := make([]*box, 0, len(m.boxes))
	for _, b := range m.boxes {
		boxes = append(boxes, b)
	}
	return boxes
}

func (m *Manager) describe(s container.Summary, lastUsed map[string]time.Time) Container {
	l := s.Labels
	pid, _ := strconv.Atoi(l[LabelPID])
	c := Container{
		ID:        s.ID,
		Image:     s.Image,
		State:     string(s.State),
		Status:    s.Status,
		Session:   l[LabelSession],
		Run:       l[LabelRun],
		Scope:     l[LabelScope],
		Mode:      l[LabelMode],
		Created:   time.Unix(s.Created, 0).UTC(),
		Size:      s.SizeRw,
		Workspace: l[LabelWorkspace],
		Owner:     Owner{PID: pid, Instance: l[LabelInstance], Host: l[LabelHost]},
		Mine:      l[LabelInstance] == m.instance,
	}
	if len(s.Names) > 0 {
		c.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	c.LastUsed = c.Created
	if t, ok := lastUsed[s.ID]; ok {
		c.LastUsed = t.UTC()
	}
	// A session's container that outlives its process is nobody's orphan: later processes
	// adopt it, and it removes itself when idle.
	c.Orphan = !c.Mine && l[LabelIdle] == "" && c.Owner.Host == m.hostname && !proc.Alive(pid, l[LabelPIDStart])
	return c
}

// Remove removes the Corral container idOrName (an id, a unique id prefix,
// or a name), whoever owns it. A sandbox of this Manager that used it gets
// a fresh container on its next command.
func (m *Manager) Remove(ctx context.Context, idOrName string) error {
	opCtx, cancel := m.opContext(ctx)
	defer cancel()
	res, err := m.cli.ContainerInspect(opCtx, idOrName, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("docker: no container %q: %w", idOrName, err)
		}
		return m.engineError(ctx, "inspect container "+idOrName, err)
	}
	if res.Container.Config == nil || res.Container.Config.Labels[LabelManaged] != "true" {
		return fmt.Errorf("%w: %s", errNotManaged, idOrName)
	}
	id := res.Container.ID
	if b := m.boxFor(id); b != nil {
		b.invalidate(id)
		return nil
	}
	return m.removeContainer(ctx, id)
}

// boxFor returns the box whose current container is id.
func (m *Manager) boxFor(id string) *box {
	for _, b := range m.boxList() {
		if cur, _ := b.current(); cur == id {
			return b
		}
	}
	return nil
}

// RemoveOrphans removes the containers whose owning process on this host is
// gone (a crash, a kill): call it at startup. Containers of live processes
// and of other hosts are left alone.
func (m *Manager) RemoveOrphans(ctx context.Context) ([]Container, error) {
	return m.removeWhere(ctx, func(c Container) bool { return c.Orphan })
}

// Prune removes the Corral containers nobody needs: orphans, and this
// Manager's containers that no open sandbox uses or that stopped (they are
// recreated when needed). Containers of other live processes are theirs to
// manage; Remove takes any one of them.
func (m *Manager) Prune(ctx context.Context) ([]Container, error) {
	idle := m.unusedIDs()
	return m.removeWhere(ctx, func(c Container) bool {
		return c.Orphan || idle[c.ID] || (c.Mine && c.State != "running" && c.State != "created")
	})
}

// RemoveSession removes the containers of session sessionID, whichever Corral
// process on this host or another made them: call it when the session is
// deleted. A sandbox of this Manager that used one gets a fresh container on
// its next command.
func (m *Manager) RemoveSession(ctx context.Context, sessionID string) ([]Container, error) {
	return m.removeWhere(ctx, func(c Container) bool { return c.Session == sessionID })
}

// unusedIDs returns the containers of boxes without open sandboxes.
func (m *Manager) unusedIDs() map[string]bool {
	m.mu.Lock()
	var unused []*box
	for _, b := range m.boxes {
		if b.users <= 0 {
			unused = append(unused, b)
		}
	}
	m.mu.Unlock()
	out := map[string]bool{}
	for _, b := range unused {
		if id, _ := b.current(); id != "" && b.busy.Load() == 0 {
			out[id] = true
		}
	}
	return out
}

func (m *Manager) removeWhere(ctx context.Context, match func(Container) bool) ([]Container, error) {
	all, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var removed []Container
	var errs []error
	for _, c := range all {
		if !match(c) {
			continue
		}
		if b := m.boxFor(c.ID); b != nil {
			b.invalidate(c.ID)
		} else if err := m.removeContainer(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, c)
	}
	return removed, errors.Join(errs...)
}
