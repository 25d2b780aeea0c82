package journal_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := openT(t, filepath.Join(t.TempDir(), "corral.db"))

	for _, id := range []string{"a", "b", "c"} {
		s, err := j.CreateSession(ctx, journal.Session{ID: id, Title: "title " + id, Workspace: "/w/" + id})
		if err != nil {
			t.Fatalf("CreateSession(%q) = %v", id, err)
		}
		if s.CreatedAt.IsZero() || !s.CreatedAt.Equal(s.UpdatedAt) {
			t.Errorf("CreateSession(%q) times = %v, %v, want equal and set", id, s.CreatedAt, s.UpdatedAt)
		}
	}
	// A run makes its session the most recently active.
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "a", Status: journal.RunCompleted}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		op      func() error
		wantErr error
		wantIDs string // Sessions() afterwards, in order
	}{
		{"list is most recently active first", func() error { return nil }, nil, "a c b"},
		{"duplicate id", func() error {
			_, err := j.CreateSession(ctx, journal.Session{ID: "b"})
			return err
		}, journal.ErrExists, "a c b"},
		{"empty id", func() error {
			_, err := j.CreateSession(ctx, journal.Session{})
			return err
		}, errAny, "a c b"},
		{"rename keeps the order", func() error { return j.RenameSession(ctx, "b", "renamed") }, nil, "a c b"},
		{"rename missing", func() error { return j.RenameSession(ctx, "zz", "x") }, journal.ErrNotFound, "a c b"},
		{"delete cascades to runs", func() error { _, err := j.DeleteSession(ctx, "a"); return err }, nil, "c b"},
		{"delete missing", func() error { _, err := j.DeleteSession(ctx, "a"); return err }, journal.ErrNotFound, "c b"},
	}
	for _, tt := range tests { // in order: each case builds on the last
		err := tt.op()
		if (tt.wantErr == errAny && err == nil) || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) ||
			(tt.wantErr == nil && err != nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.wantErr)
		}
		sessions, err := j.Sessions(ctx)
		if err != nil {
			t.Fatalf("%s: Sessions() = %v", tt.name, err)
		}
		var ids []string
		for _, s := range sessions {
			ids = append(ids, s.ID)
		}
		if got := strings.Join(ids, " "); got != tt.wantIDs {
			t.Errorf("%s: Sessions() = %s, want %s", tt.name, got, tt.wantIDs)
		}
	}

	s, err := j.Session(ctx, "b")
	if err != nil || s.Title != "renamed" || s.Workspace != "/w/b" {
		t.Errorf("Session(%q) = %+v, %v, want title renamed, workspace /w/b", "b", s, err)
	}
	if _, err := j.Session(ctx, "a"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Session(%q) after delete = %v, want %v", "a", err, journal.ErrNotFound)
	}
	if _, err := j.Run(ctx, "r1"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Run(%q) after its session was deleted = %v, want %v", "r1", err, journal.ErrNotFound)
	}
}

// TestDeleteSessionRefusesLiveRuns: a session with a pending or running run stays, whole;
// runs that wait for a person are deleted with it.
func TestDeleteSessionRefusesLiveRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []journal.RunStatus
		wantBusy []string // run ids the error names; nil: deleted
	}{
		{"finished runs", []journal.RunStatus{journal.RunCompleted, journal.RunFailed, journal.RunCancelled}, nil},
		{"waiting runs hold no process", []journal.RunStatus{journal.RunAwaitingApproval, journal.RunInterrupted}, nil},
		{"running", []journal.RunStatus{journal.RunCompleted, journal.RunRunning}, []string{"r1"}},
		{"pending", []journal.RunStatus{journal.RunPending, journal.RunRunning}, []string{"r0", "r1"}},
		{"no runs", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			j := openT(t, filepath.Join(t.TempDir(), "corral.db"))
			if _, err := j.CreateSession(ctx, journal.Session{ID: "s"}); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i, st := range tt.statuses {
				id := fmt.Sprintf("r%d", i)
				ids = append(ids, id)
				run := journal.Run{ID: id, SessionID: "s", Status: st}
				if i > 0 {
					// Two runs in progress in one session, as an older release could leave
					// them: CreateRunWithStep now refuses the second.
					if _, err := j.CreateRun(ctx, run); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if _, err := j.CreateRunWithStep(ctx, run,
					journal.StepSpec{Name: "run.config", Kind: "config"}, journal.StepResult{Output: []byte(`{}`)}); err != nil {
					t.Fatal(err)
				}
			}
			deleted, err := j.DeleteSession(ctx, "s")
			if tt.wantBusy != nil {
				var busy *journal.SessionBusyError
				if !errors.As(err, &busy) || !errors.Is(err, journal.ErrBusy) {
					t.Fatalf("DeleteSession() = %v, want a *SessionBusyError", err)
				}
				var got []string
				for _, r := range busy.Runs {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, tt.wantBusy) || !strings.Contains(err.Error(), "cancel it first") {
					t.Errorf("DeleteSession() = %v (runs %v), want runs %v and advice to cancel", err, got, tt.wantBusy)
				}
				if runs, _ := j.Runs(ctx, journal.RunFilter{SessionID: "s"}); len(runs) != len(tt.statuses) {
					t.Errorf("after a refused delete: %d runs, want %d", len(runs), len(tt.statuses))
				}
				if steps, _ := j.Steps(ctx, "r0"); len(steps) != 1 {
					t.Errorf("after a refused delete: run r0 has %d steps, want 1", len(steps))
				}
				return
			}
			if err != nil {
				t.Fatalf("DeleteSession() = %v", err)
			}
			if !slices.Equal(deleted, ids) {
				t.Errorf("DeleteSession() deleted runs %v, want %v", deleted, ids)
			}
			if _, err := j.Session(ctx, "s"); !errors.Is(err, journal.ErrNotFound) {
				t.Errorf("Session after delete = %v, want ErrNotFound", err)
			}
			for _, id := range ids {
				if steps, err := j.Steps(ctx, id); err != nil || len(steps) != 0 {
					t.Errorf("Steps(%s) after delete = %d, %v, want none", id, len(steps), err)
				}
			}
		})
	}
}

func TestSessionOrigin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := openT(t, filepath.Join(t.TempDir(), "corral.db"))
	if _, err := j.CreateSession(ctx, journal.Session{ID: "local"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateSession(ctx, journal.Session{ID: "odd", Origin: "elsewhere"}); err == nil {
		t.Errorf("CreateSession(origin %q) = nil, want an error", "elsewhere")
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// ImportRun records an imported session whatever origin it is handed.
	if err := j.ImportRun(ctx, journal.Session{ID: "imp_x", Title: "t", ImportedFrom: "bug.json", ImportedAt: at},
		journal.Run{ID: "imp_r", SessionID: "imp_x", Status: journal.RunCompleted}, nil, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id           string
		wantOrigin   journal.Origin
		wantFrom     string
		wantAt       time.Time
		wantImported bool
	}{
		{"local", journal.OriginLocal, "", time.Time{}, false},
		{"imp_x", journal.OriginImported, "bug.json", at, true},
	}
	for _, tt := range tests {
		s, err := j.Session(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if s.Origin != tt.wantOrigin || s.ImportedFrom != tt.wantFrom || !s.ImportedAt.Equal(tt.wantAt) || s.Imported() != tt.wantImported {
			t.Errorf("Session(%q) = origin %q from %q at %v, want %q from %q at %v", tt.id, s.Origin, s.ImportedFrom, s.ImportedAt,
				tt.wantOrigin, tt.wantFrom, tt.wantAt)
		}
	}
}

// errAny stands for "some error" in tables.
var errAny = errors.New("any error")

func TestRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, j := b.ctx, b.j
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s2"}); err != nil {
		t.Fatal(err)
	}
	in := journal.Run{ID: "r2", SessionID: "s1", Agent: "coder", Prompt: "fix the build", Workspace: "/w", Sandbox: "docker"}
	created, err := j.CreateRun(ctx, in)
	if err != nil {
		t.Fatalf("CreateRun() = %v", err)
	}
	if created.Status != journal.RunPending || created.CreatedAt.IsZero() {
		t.Errorf("CreateRun() = %+v, want pending with times set", created)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r3", SessionID: "s2", Status: journal.RunRunning}); err != nil {
		t.Fatal(err)
	}

	// Steps of r2: two completed with usage, one failed, one started.
	steps := []struct {
		seq   int
		usage journal.Usage
		cost  float64
		err   error
	}{
		{1, journal.Usage{InputTokens: 100, OutputTokens: 10, CacheReadTokens: 1000, CacheWriteTokens: 5}, 0.25, nil},
		{2, journal.Usage{InputTokens: 50, OutputTokens: 5}, 0.125, nil},
		{3, journal.Usage{}, 0, errBoom},
	}
	for _, s := range steps {
		j.Step(ctx, "r2", s.seq, journal.StepSpec{Name: "claude", Kind: "llm"}, func(context.Context) (journal.StepResult, error) {
			return journal.StepResult{Usage: s.usage, CostUSD: s.cost}, s.err
		})
	}
	leaveStarted(t, j, "r2", 4, journal.StepSpec{Name: "exec", Kind: "tool"})

	got, err := j.Run(ctx, "r2")
	if err != nil {
		t.Fatalf("Run(%q) = %v", "r2", err)
	}
	wantUsage := journal.Usage{InputTokens: 150, OutputTokens: 15, CacheReadTokens: 1000, CacheWriteTokens: 5}
	if got.Steps != 4 || got.Usage != wantUsage || got.CostUSD != 0.375 ||
		got.Agent != in.Agent || got.Prompt != in.Prompt || got.Workspace != in.Workspace || got.Sandbox != in.Sandbox {
		t.Errorf("Run(%q) = %+v, want 4 steps, usage %+v, cost 0.375 and the created fields", "r2", got, wantUsage)
	}

	if err := j.SetRunStatus(ctx, "r2", journal.RunFailed, "model said no"); err != nil {
		t.Fatalf("SetRunStatus() = %v", err)
	}
	if got, _ := j.Run(ctx, "r2"); got.Status != journal.RunFailed || got.Error != "model said no" || !got.UpdatedAt.After(got.CreatedAt) {
		t.Errorf("Run(%q) after SetRunStatus = %+v, want failed with error text and a later UpdatedAt", "r2", got)
	}

	listTests := []struct {
		name string
		list func() ([]journal.Run, error)
		want []string
	}{
		{"all", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{}) }, []string{"r1", "r2", "r3"}},
		{"session s1", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{SessionID: "s1"}) }, []string{"r1", "r2"}},
		{"session without runs", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{SessionID: "none"}) }, nil},
		{"newest two", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{Limit: 2}) }, []string{"r2", "r3"}},
		{"newest of s1", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{SessionID: "s1", Limit: 1}) }, []string{"r2"}},
		{"limit above count", func() ([]journal.Run, error) { return j.Runs(ctx, journal.RunFilter{Limit: 10}) }, []string{"r1", "r2", "r3"}},
		{"running or pending", func() ([]journal.Run, error) {
			return j.RunsWithStatus(ctx, journal.RunRunning, journal.RunPending)
		}, []string{"r1", "r3"}},
		{"failed", func() ([]journal.Run, error) { return j.RunsWithStatus(ctx, journal.RunFailed) }, []string{"r2"}},
		{"no statuses", func() ([]journal.Run, error) { return j.RunsWithStatus(ctx) }, nil},
	}
	for _, tt := range listTests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := tt.list()
			if err != nil {
				t.Fatalf("list = %v", err)
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("list = %v, want %v", ids, tt.want)
			}
		})
	}

	errTests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"duplicate run", func() error { _, err := j.CreateRun(ctx, journal.Run{ID: "r2", SessionID: "s1"}); return err }, journal.ErrExists},
		{"run in missing session", func() error { _, err := j.CreateRun(ctx, journal.Run{ID: "r9", SessionID: "nope"}); return err }, journal.ErrNotFound},
		{"missing run", func() error { _, err := j.Run(ctx, "nope"); return err }, journal.ErrNotFound},
		{"status of missing run", func() error { return j.SetRunStatus(ctx, "nope", journal.RunCompleted, "") }, journal.ErrNotFound},
		{"unknown status", func() error { return j.SetRunStatus(ctx, "r2", "snoozed", "") }, errAny},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
				t.Errorf("%s = %v, want %v", tt.name, err, tt.wantErr)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := journal.NewID("run")
		if !strings.HasPrefix(id, "run_") || len(id) != len("run_")+16 {
			t.Fatalf("NewID(%q) = %q, want run_ and 16 characters", "run", id)
		}
		if seen[id] {
			t.Fatalf("NewID(%q) = %q twice", "run", id)
		}
		seen[id] = true
		// Ids sort by time to the millisecond (the first 10 characters hold
		// 48 bits of milliseconds plus 2 random bits, so compare 9).
		if id[:4+9] < prev {
			t.Fatalf("NewID(%q) = %q sorts before the earlier %q", "run", id, prev)
		}
		prev = id[:4+9]
	}
}

func TestCreateRunWithStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: "/w"}); err != nil {
		t.Fatal(err)
	}
	spec := journal.StepSpec{Name: "run.config", Kind: "config", Idempotent: true}
	run, err := j.CreateRunWithStep(ctx, journal.Run{ID: "r1", SessionID: "s1"}, spec, journal.StepResult{Output: []byte(`{"a":1}`)})
	if err != nil || run.Steps != 1 {
		t.Fatalf("CreateRunWithStep() = %+v, %v; want a run with one step", run, err)
	}
	st, err := j.GetStep(ctx, "r1", 1)
	if err != nil || st.Status != journal.StepCompleted || string(st.Output) != `{"a":1}` || st.Name != "run.config" {
		t.Errorf("GetStep(r1, 1) = %+v, %v; want the completed first step", st, err)
	}
	// Both or neither: a run that cannot be created leaves no step behind.
	if _, err := j.CreateRunWithStep(ctx, journal.Run{ID: "r2", SessionID: "missing"}, spec, journal.StepResult{}); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("CreateRunWithStep(unknown session) = %v, want ErrNotFound", err)
	}
	if steps, err := j.Steps(ctx, "r2"); err != nil || len(steps) != 0 {
		t.Errorf("Steps(r2) = %d, %v; want none", len(steps), err)
	}
}

// TestBegin records a step that waits for an outside decision, then completes it with Record.
func TestBegin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "corral.db")
	j, err := journal.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: "/w"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	spec := journal.StepSpec{Name: "exec", Kind: "approval", Input: []byte(`{"q":1}`)}
	st, err := j.Begin(ctx, "r1", 1, spec)
	if err != nil || st.Status != journal.StepStarted || st.Replayed {
		t.Fatalf("Begin() = %+v, %v; want a new started step", st, err)
	}
	j.Close()
	j, err = journal.Open(ctx, path) // it is on disk
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if st, err := j.Begin(ctx, "r1", 1, spec); err != nil || !st.Replayed || string(st.Input) != `{"q":1}` {
		t.Errorf("Begin(again) = %+v, %v; want the existing step, replayed", st, err)
	}
	if _, err := j.Begin(ctx, "r1", 1, journal.StepSpec{Name: "exec", Kind: "tool"}); !errors.Is(err, journal.ErrNondeterminism) {
		t.Errorf("Begin(other kind) = %v, want ErrNondeterminism", err)
	}
	first, err := j.Record(ctx, "r1", 1, spec, journal.StepResult{Output: []byte(`"yes"`)})
	if err != nil || first.Status != journal.StepCompleted {
		t.Fatalf("Record(answer) = %+v, %v", first, err)
	}
	second, err := j.Record(ctx, "r1", 1, spec, journal.StepResult{Output: []byte(`"no"`)})
	if err != nil || !second.Replayed || string(second.Output) != `"yes"` {
		t.Errorf("Record(second answer) = %+v, %v; want the first answer kept", second, err)
	}
}

// TestBeginRecordLazy: the lazy Begin and Record (committed without their own fsync) behave
// as Begin and Record do: visible at once to another connection, the first answer kept, a
// different kind refused.
func TestBeginRecordLazy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "corral.db")
	j, err := journal.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.CreateSession(ctx, journal.Session{ID: "s1", Workspace: "/w"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.CreateRun(ctx, journal.Run{ID: "r1", SessionID: "s1"}); err != nil {
		t.Fatal(err)
	}
	spec := journal.StepSpec{Name: "exec", Kind: "approval", Idempotent: true, Input: []byte(`{"q":1}`)}
	if st, err := j.BeginLazy(ctx, "r1", 1, spec); err != nil || st.Status != journal.StepStarted || st.Replayed {
		t.Fatalf("BeginLazy() = %+v, %v; want a new started step", st, err)
	}
	reader, err := journal.OpenWith(ctx, path, journal.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if steps, err := reader.Steps(ctx, "r1"); err != nil || len(steps) != 1 || steps[0].Status != journal.StepStarted {
		t.Errorf("Steps() from another connection = %+v, %v; want the started step", steps, err)
	}
	if _, err := j.BeginLazy(ctx, "r1", 1, journal.StepSpec{Name: "exec", Kind: "tool"}); !errors.Is(err, journal.ErrNondeterminism) {
		t.Errorf("BeginLazy(other kind) = %v, want ErrNondeterminism", err)
	}
	first, err := j.RecordLazy(ctx, "r1", 1, spec, journal.StepResult{Output: []byte(`"yes"`)})
	if err != nil || first.Status != journal.StepCompleted {
		t.Fatalf("RecordLazy(answer) = %+v, %v", first, err)
	}
	second, err := j.RecordLazy(ctx, "r1", 1, spec, journal.StepResult{Output: []byte(`"no"`)})
	if err != nil || !second.Replayed || string(second.Output) != `"yes"` {
		t.Errorf("RecordLazy(second answer) = %+v, %v; want the first answer kept", second, err)
	}
	if st, err := j.RecordLazy(ctx, "r1", 2, spec, journal.StepResult{Output: []byte(`"new"`)}); err != nil || st.Status != journal.StepCompleted || st.Replayed {
		t.Errorf("RecordLazy(absent step) = %+v, %v; want it inserted completed", st, err)
	}
}
