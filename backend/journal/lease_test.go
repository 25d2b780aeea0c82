package journal

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/proc"
)

// leaseFixture opens two journals on one file (two owners, as two processes would be) with a
// run in it.
func leaseFixture(t *testing.T, opts Options) (a, b *Journal) {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "corral.db")
	open := func() *Journal {
		j, err := OpenWith(ctx, path, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	a, b = open(), open()
	if _, err := a.CreateSession(ctx, Session{ID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateRun(ctx, Run{ID: "r", SessionID: "s"}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestClaimRunOneDriver(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := leaseFixture(t, Options{})
	la, _, err := claim(t, a, "r", nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun(a) = %v", err)
	}
	defer la.Release()
	// The holder may claim again (a resume in the same process).
	again, _, err := claim(t, a, "r", nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun(a) again = %v, want the holder to keep it", err)
	}
	again.Release()

	var leased *LeasedError
	if _, _, err := claim(t, b, "r", &Resume{Reason: "interrupted"}, nil); !errors.As(err, &leased) || leased.Owner.ID != a.Owner().ID {
		t.Fatalf("ClaimRun(b) while a drives = %v, want a *LeasedError naming a", err)
	}
	if got, _ := b.Resumes(ctx, "r"); len(got) != 0 {
		t.Errorf("Resumes after a refused claim = %v, want none recorded", got)
	}
	if o, elsewhere, err := b.DrivenElsewhere(ctx, "r"); err != nil || !elsewhere || o.ID != a.Owner().ID {
		t.Errorf("b.DrivenElsewhere(r) = %v, %v, %v, want a's owner", o, elsewhere, err)
	}
	if _, elsewhere, _ := a.DrivenElsewhere(ctx, "r"); elsewhere {
		t.Error("a.DrivenElsewhere(r) = true for the run a drives")
	}
	if run, _ := b.Run(ctx, "r"); !run.Elsewhere || run.Driver.PID != os.Getpid() {
		t.Errorf("b.Run(r) = elsewhere %v, driver %+v; want driven elsewhere by this pid", run.Elsewhere, run.Driver)
	}
	if run, _ := a.Run(ctx, "r"); run.Elsewhere || run.Driver != (Owner{}) {
		t.Errorf("a.Run(r) = elsewhere %v, driver %+v; want its own run not elsewhere", run.Elsewhere, run.Driver)
	}
	// A step cut off in a run another process drives is not the person's to resolve.
	if _, err := a.Begin(ctx, "r", 1, StepSpec{Name: "exec", Kind: "tool"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resolve(ctx, "r", 1, Resolution{Action: ActionRerun}); !errors.Is(err, ErrLeased) {
		t.Errorf("b.Resolve(r) while a drives = %v, want %v", err, ErrLeased)
	}

	// Any status but running gives the run up.
	if err := a.SetRunStatus(ctx, "r", RunInterrupted, "cut off"); err != nil {
		t.Fatal(err)
	}
	lb, _, err := claim(t, b, "r", &Resume{Reason: "interrupted"}, nil)
	if err != nil {
		t.Fatalf("ClaimRun(b) after a gave the run up = %v", err)
	}
	lb.Release()
	if err := a.SetRunStatus(ctx, "r", RunRunning, ""); err == nil {
		t.Error("SetRunStatus(running) = nil, want it refused: only ClaimRun marks a run running")
	}
}

// TestClaimRunDeadOwner: a closed journal of this process, and a process that has exited,
// hold nothing.
func TestClaimRunDeadOwner(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, b := leaseFixture(t, Options{})
	la, _, err := claim(t, a, "r", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	la.Release()
	a.Close() // the driver is gone without giving the run up, as a killed process would be
	lb, _, err := claim(t, b, "r", &Resume{Reason: "interrupted"}, nil)
	if err != nil {
		t.Fatalf("ClaimRun after the holder closed = %v", err)
	}
	lb.Release()

	// Another process that has exited: its pid is gone (or reused by a later process).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := b.Owner()
	dead.ID, dead.PID, dead.Start = "own_dead", cmd.Process.Pid, ""
	if _, err := b.exec(ctx, b.db, `UPDATE runs SET owner = ?, owner_pid = ?, owner_start = ?, heartbeat = ? WHERE id = 'r'`,
		dead.ID, dead.PID, dead.Start, b.stamp()); err != nil {
		t.Fatal(err)
	}
	if alive, known := processAlive(dead); alive || !known {
		t.Fatalf("processAlive(exited pid %d) = %v, %v, want dead and known", dead.PID, alive, known)
	}
	lb, _, err = claim(t, b, "r", nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun after the holder's process exited = %v", err)
	}
	lb.Release()

	// A live process of this machine (pid 1, with its real start) holds the run.
	live := Owner{ID: "own_init", PID: 1, Start: proc.Start(1), Host: b.Owner().Host}
	if _, err := b.exec(ctx, b.db, `UPDATE runs SET owner = ?, owner_pid = ?, owner_start = ?, owner_host = ?, heartbeat = 1 WHERE id = 'r'`,
		live.ID, live.PID, live.Start, live.Host); err != nil {
		t.Fatal(err)
	}
	if _, _, err := claim(t, b, "r", nil, nil); !errors.Is(err, ErrLeased) {
		t.Errorf("ClaimRun held by a live process with an old heartbeat = %v, want %v (a live owner on this machine is never taken)", err, ErrLeased)
	}
}

// TestLeaseHeartbeat: a holder on another machine is taken only when its heartbeat is older
// than the time to live; a lease taken from under its holder is reported lost.
func TestLeaseHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// Each heartbeat that refreshed the lease reports on beats and then waits for resume,
	// so the test decides when a's next beat may run.
	beats, resume := make(chan struct{}), make(chan struct{})
	a, b := leaseFixture(t, Options{heartbeat: time.Millisecond, leaseTTL: time.Hour, onBeat: func() {
		beats <- struct{}{}
		<-resume
	}})
	lost := make(chan struct{})
	la, _, err := claim(t, a, "r", nil, func() { close(lost) })
	if err != nil {
		t.Fatal(err)
	}
	defer la.Release()
	// Pretend a is on another machine, so only its heartbeat speaks for it.
	if _, err := a.exec(ctx, a.db, `UPDATE runs SET owner_host = 'elsewhere.test' WHERE id = 'r'`); err != nil {
		t.Fatal(err)
	}
	_, first, _ := readOwner(ctx, a.db, "r")
	select {
	case <-beats:
	case <-time.After(5 * time.Second):
		t.Fatal("the heartbeat did not refresh the lease within 5 s")
	}
	if _, beat, _ := readOwner(ctx, a.db, "r"); beat <= first {
		t.Fatalf("heartbeat after a beat = %d, want later than %d", beat, first)
	}
	// a's heartbeat is paused after that beat: nothing changes the lease under b's claims.
	if _, _, err := claim(t, b, "r", nil, nil); !errors.Is(err, ErrLeased) {
		t.Fatalf("ClaimRun of a fresh remote lease = %v, want %v", err, ErrLeased)
	}
	b.leaseTTL = time.Nanosecond // the remote holder has now been silent too long
	lb, _, err := claim(t, b, "r", nil, nil)
	if err != nil {
		t.Fatalf("ClaimRun of an expired remote lease = %v", err)
	}
	defer lb.Release()
	close(resume) // a's next heartbeat finds the run taken
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the first holder was not told it lost the run")
	}
}

// claim claims run id from the status it has now, as Drive does after reading it.
func claim(t *testing.T, j *Journal, id string, resume *Resume, onLost func()) (*Lease, Resume, error) {
	t.Helper()
	run, err := j.Run(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.ClaimRun(t.Context(), id, run.Status, resume, onLost)
}

// TestClaimRunChanged: a run whose status moved on since the caller read it is not claimed.
func TestClaimRunChanged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, _ := leaseFixture(t, Options{})
	if err := a.SetRunStatus(ctx, "r", RunCompleted, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.ClaimRun(ctx, "r", RunPending, nil, nil); !errors.Is(err, ErrRunChanged) {
		t.Errorf("ClaimRun(from pending) of a completed run = %v, want %v", err, ErrRunChanged)
	}
	if run, _ := a.Run(ctx, "r"); run.Status != RunCompleted {
		t.Errorf("status after a refused claim = %s, want completed", run.Status)
	}
}
