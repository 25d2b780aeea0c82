package journal_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/journal"
)

func TestClaimRunResume(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := openT(t, filepath.Join(t.TempDir(), "corral.db"))
	// One session each: a session's runs are claimed one at a time.
	for _, id := range []string{"r1", "r2"} {
		if _, err := j.CreateSession(ctx, journal.Session{ID: "s" + id}); err != nil {
			t.Fatal(err)
		}
		if _, err := j.CreateRun(ctx, journal.Run{ID: id, SessionID: "s" + id, Status: journal.RunInterrupted, Error: "step 3 was cut off"}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := j.Resumes(ctx, "r1"); err != nil || len(got) != 0 {
		t.Fatalf("Resumes(r1) before any = %v, %v, want none", got, err)
	}

	at := time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)
	claim := func(r journal.Resume) (journal.Resume, error) {
		run, _ := j.Run(ctx, r.RunID)
		l, got, err := j.ClaimRun(ctx, r.RunID, run.Status, &r, nil)
		l.Release()
		return got, err
	}
	first, err := claim(journal.Resume{RunID: "r1", At: at, AfterSeq: 2, Reason: "interrupted"})
	if err != nil {
		t.Fatalf("ClaimRun() = %v", err)
	}
	if first.N != 1 || !first.At.Equal(at) {
		t.Errorf("ClaimRun() = %+v, want n 1 at %v", first, at)
	}
	run, err := j.Run(ctx, "r1")
	if err != nil || run.Status != journal.RunRunning || run.Error != "" {
		t.Errorf("Run(r1) after ResumeRun = %s %q, %v, want running without an error", run.Status, run.Error, err)
	}
	before := time.Now()
	second, err := claim(journal.Resume{RunID: "r1", AfterSeq: 5, Reason: "cancelled"})
	if err != nil {
		t.Fatalf("ClaimRun() = %v", err)
	}
	if second.N != 2 || second.At.Before(before.Add(-time.Second)) {
		t.Errorf("ClaimRun() without a time = %+v, want n 2 stamped now", second)
	}
	// Another run's resumes are its own.
	if _, err := claim(journal.Resume{RunID: "r2", AfterSeq: 1, Reason: "interrupted"}); err != nil {
		t.Fatal(err)
	}

	got, err := j.Resumes(ctx, "r1")
	if err != nil {
		t.Fatalf("Resumes(r1) = %v", err)
	}
	if diff := cmp.Diff([]journal.Resume{first, second}, got); diff != "" {
		t.Errorf("Resumes(r1) (-want +got):\n%s", diff)
	}

	for name, bad := range map[string]journal.Resume{
		"missing run":    {RunID: "nope", Reason: "interrupted"},
		"empty reason":   {RunID: "r1"},
		"negative seq":   {RunID: "r1", AfterSeq: -1, Reason: "interrupted"},
		"reason too big": {RunID: "r1", Reason: string(make([]byte, 300))},
	} {
		_, err := claim(bad)
		if err == nil {
			t.Errorf("ClaimRun(%s) = nil, want an error", name)
		}
		if name == "missing run" && !errors.Is(err, journal.ErrNotFound) {
			t.Errorf("ClaimRun(%s) = %v, want %v", name, err, journal.ErrNotFound)
		}
	}
	if got, _ := j.Resumes(ctx, "r1"); len(got) != 2 {
		t.Errorf("Resumes(r1) after refused resumes = %d, want 2", len(got))
	}
}

// TestResumesGoWithTheirSession: deleting a session deletes its runs and their resumes, and
// an import writes a run's resumes with it.
func TestResumesGoWithTheirSession(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	j := openT(t, filepath.Join(t.TempDir(), "corral.db"))
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	resumes := []journal.Resume{{At: at, AfterSeq: 1, Reason: "interrupted"}, {At: at.Add(time.Second), AfterSeq: 4, Reason: "cancelled"}}
	if err := j.ImportRun(ctx, journal.Session{ID: "imp_s"}, journal.Run{ID: "imp_r", SessionID: "imp_s", Status: journal.RunCompleted}, nil, resumes); err != nil {
		t.Fatalf("ImportRun() = %v", err)
	}
	got, err := j.Resumes(ctx, "imp_r")
	if err != nil {
		t.Fatal(err)
	}
	want := []journal.Resume{
		{RunID: "imp_r", N: 1, At: at, AfterSeq: 1, Reason: "interrupted"},
		{RunID: "imp_r", N: 2, At: at.Add(time.Second), AfterSeq: 4, Reason: "cancelled"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resumes() after ImportRun (-want +got):\n%s", diff)
	}
	// A bad resume fails the whole import.
	if err := j.ImportRun(ctx, journal.Session{ID: "imp_s"}, journal.Run{ID: "imp_bad", SessionID: "imp_s", Status: journal.RunCompleted}, nil,
		[]journal.Resume{{At: at, Reason: ""}}); err == nil {
		t.Error("ImportRun(a resume without a reason) = nil, want an error")
	}
	if _, err := j.Run(ctx, "imp_bad"); !errors.Is(err, journal.ErrNotFound) {
		t.Errorf("Run(imp_bad) after a failed import = %v, want %v", err, journal.ErrNotFound)
	}

	if _, err := j.DeleteSession(ctx, "imp_s"); err != nil {
		t.Fatalf("DeleteSession() = %v", err)
	}
	if got, err := j.Resumes(ctx, "imp_r"); err != nil || len(got) != 0 {
		t.Errorf("Resumes() after DeleteSession = %v, %v, want none", got, err)
	}
	// Nothing is left in the table either (Resumes of a missing run is empty anyway).
	if err := j.ImportRun(ctx, journal.Session{ID: "imp_s"}, journal.Run{ID: "imp_r", SessionID: "imp_s", Status: journal.RunCompleted}, nil, resumes[:1]); err != nil {
		t.Fatalf("ImportRun() of the deleted run again = %v, want it to start afresh", err)
	}
	if got, _ := j.Resumes(ctx, "imp_r"); len(got) != 1 || got[0].N != 1 {
		t.Errorf("Resumes() of the run imported again = %+v, want only its one resume", got)
	}
}
