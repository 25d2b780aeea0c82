package docker

import (
	"context"
	"testing"
	"time"
)

func TestSessionContainerOutlivesManager(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ws := t.TempDir()
	spec := Spec{Scope: ScopeSession, SessionID: "outlive-" + randomHex(4), Workspace: ws, Config: testConfig(), IdleTimeout: 3 * time.Second}

	first := setup(t, Options{})
	sb1, err := first.m.Sandbox(ctx, spec)
	if err != nil {
		t.Fatalf("Sandbox() = %v", err)
	}
	mustRun(t, sb1, "echo from-first > /tmp/note")
	id := sb1.ContainerID()
	if c := first.inspect(t, id); c.HostConfig == nil || !c.HostConfig.AutoRemove || c.Config.Labels[LabelIdle] != "3" {
		t.Fatalf("container %s: AutoRemove and %s=3 expected, got labels %v", shortID(id), LabelIdle, c.Config.Labels)
	}
	sb1.Close()
	if err := first.m.Close(ctx); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if !first.exists(t, id) {
		t.Fatalf("container %s removed with its Manager, want it kept for the session", shortID(id))
	}

	second := setup(t, Options{})
	sb2, err := second.m.Sandbox(ctx, spec)
	if err != nil {
		t.Fatalf("Sandbox() in a second Manager = %v", err)
	}
	if got := sb2.ContainerID(); got != id {
		t.Fatalf("second Manager's container = %s, want the session's %s adopted", shortID(got), shortID(id))
	}
	if got := mustRun(t, sb2, "cat /tmp/note"); got != "from-first\n" {
		t.Errorf("cat /tmp/note in the adopted container = %q, want %q", got, "from-first\n")
	}
	list, err := second.m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id && c.Orphan {
			t.Errorf("List() says the session's container is an orphan; it outlives its maker on purpose")
		}
	}
	// A command longer than the idle time keeps the container.
	if got := mustRun(t, sb2, "sleep 4; echo still"); got != "still\n" {
		t.Errorf("a command longer than the idle time = %q, want it to finish", got)
	}
	st, ok, err := second.m.SessionContainer(ctx, spec.SessionID)
	if err != nil || !ok || st.Container.ID != id || st.IdleTimeout != 3*time.Second || st.IdleFor >= 3*time.Second {
		t.Errorf("SessionContainer() = %+v, %v, %v, want %s idle under 3s of 3s", st, ok, err, shortID(id))
	}
	sb2.Close()
	if err := second.m.Close(ctx); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	// No Manager is left: the watchdog stops it and the engine removes it.
	deadline := time.Now().Add(30 * time.Second)
	for second.exists(t, id) {
		if time.Now().After(deadline) {
			t.Fatalf("container %s still there 30 s after its last use, want it gone after 3 s idle", shortID(id))
		}
		time.Sleep(200 * time.Millisecond) // polling the engine: no signal reaches this process
	}
}

func TestRemoveIdleSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, Options{})
	// A long idle time: the watchdog will not act in this test, the sweep must.
	spec := Spec{Scope: ScopeSession, SessionID: "sweep-" + randomHex(4), Workspace: t.TempDir(), Config: testConfig(), IdleTimeout: time.Hour}
	sb, err := b.m.Sandbox(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	id := sb.ContainerID()
	// (Other test processes' idle session containers on this engine may go: only this one
	// must stay.)
	if removed, err := b.m.RemoveIdleSessions(ctx); err != nil || containsID(removed, id) {
		t.Fatalf("RemoveIdleSessions() with the sandbox open = %v, %v, want it kept", removed, err)
	}
	sb.Close()
	other := setup(t, Options{})
	if removed, err := other.m.RemoveIdleSessions(ctx); err != nil || containsID(removed, id) {
		t.Fatalf("RemoveIdleSessions() of a container used a moment ago = %v, %v, want it kept", removed, err)
	}
	// The watchdog counts to an hour in 30 s ticks; make it say two hours, as one that
	// could not act would (an engine that was down, a clock that jumped).
	if code, out, err := (&box{m: b.m}).run(ctx, id, []string{"/bin/sh", "-c", "echo 7200 > " + idleFile}); err != nil || code != 0 {
		t.Fatalf("write the idle count = %d %q %v", code, out, err)
	}
	removed, err := other.m.RemoveIdleSessions(ctx)
	if err != nil || !containsID(removed, id) {
		t.Errorf("RemoveIdleSessions() of a container idle past its time = %v, %v, want %s removed", removed, err, shortID(id))
	}
	if b.exists(t, id) {
		t.Errorf("container %s still exists after the sweep", shortID(id))
	}
}

func containsID(list []Container, id string) bool {
	for _, c := range list {
		if c.ID == id {
			return true
		}
	}
	return false
}
