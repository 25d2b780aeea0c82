package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// signalWriter collects what is written and closes seen when it first contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(b)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestRunInBusySession(t *testing.T) {
	t.Parallel()
	dd := t.TempDir()
	seedSession(t, dd, "ses_busy", "", journal.RunAwaitingApproval)

	code, _, errOut := run(t, "run", "--session", "ses_busy", "--approve", "all", "--data-dir", dd, "say hi")
	if code != ExitError || !strings.Contains(errOut, "run_ses_busy is awaiting_approval") || !strings.Contains(errOut, "--wait") {
		t.Fatalf("run in a busy session = %d %q, want exit 1 naming the run in progress and --wait", code, errOut)
	}

	stderr := &signalWriter{want: "queued behind it", seen: make(chan struct{})}
	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"run", "--session", "ses_busy", "--wait", "--approve", "all", "--data-dir", dd, "say hi"},
			testProgram(t, &stdout, stderr))
	}()
	select {
	case <-stderr.seen:
	case code := <-done:
		t.Fatalf("run --wait ended with %d before waiting: %s", code, stderr.String())
	case <-ctx.Done():
		t.Fatal("run --wait never said it waits")
	}
	if !strings.Contains(stderr.String(), "run_ses_busy is awaiting_approval") {
		t.Errorf("run --wait said %q, want the run it waits for", stderr.String())
	}
	// The run in progress ends (here: cancelled by another process); the queued one goes.
	j, err := journal.Open(ctx, filepath.Join(dd, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.SetRunStatus(ctx, "run_ses_busy", journal.RunCancelled, ""); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("run --wait = %d: %s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("run --wait did not start once the session was free")
	}
	runs, err := j.Runs(ctx, journal.RunFilter{SessionID: "ses_busy"})
	if err != nil || len(runs) != 2 || runs[1].Status != journal.RunCompleted {
		t.Errorf("runs of the session = %+v, %v, want the queued one completed after the first", runs, err)
	}
}
