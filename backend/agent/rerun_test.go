package agent

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/trace"
)

// TestReplay re-runs a recorded run, named by id or by an exported file, against its
// recorded responses: no model call, no cost, the tools run again in a new workspace, and
// the drive options (an approver) reach the replay's drive.
func TestReplay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fromFile   bool
		from       string // a run id not in the journal
		opts       []DriveOption
		wantStatus journal.RunStatus
		wantErr    error
	}{
		{name: "run id", wantStatus: journal.RunCompleted},
		{name: "exported file", fromFile: true, wantStatus: journal.RunCompleted},
		{name: "unknown run", from: "run_nosuch", wantErr: journal.ErrNotFound},
		{name: "approver from the options", opts: []DriveOption{WithApprover(nil)}, wantStatus: journal.RunAwaitingApproval, wantErr: ErrSuspended},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &scriptModel{turns: helloScript}
			r, _ := setup(t, m)
			ctx := context.Background()
			orig := start(t, r, StartRequest{Prompt: "say hi in a file"})
			if got, err := r.Drive(ctx, orig.ID); err != nil || got.Status != journal.RunCompleted || got.CostUSD == 0 {
				t.Fatalf("Drive(original) = %s $%v, %v; want completed at a cost", got.Status, got.CostUSD, err)
			}
			calls := len(m.calls())
			from := orig.ID
			if tt.fromFile {
				b, err := trace.LoadRun(ctx, r.config.Journal, orig.ID)
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := trace.Export(&buf, b, trace.FormatJSON, trace.Options{}); err != nil {
					t.Fatal(err)
				}
				from = filepath.Join(t.TempDir(), "trace.json")
				if err := os.WriteFile(from, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.from != "" {
				from = tt.from
			}
			ws := t.TempDir()
			got, err := r.Replay(ctx, ReplayRequest{From: from, Workspace: ws}, tt.opts...)
			if !errors.Is(err, tt.wantErr) || got.Status != tt.wantStatus {
				t.Fatalf("Replay(%s) = %s, %v; want %s, %v", tt.name, got.Status, err, tt.wantStatus, tt.wantErr)
			}
			if tt.from != "" {
				return
			}
			if n := len(m.calls()); n != calls {
				t.Errorf("Replay(%s) made %d model calls, want none", tt.name, n-calls)
			}
			if got.ID == orig.ID || got.Prompt != orig.Prompt || got.Workspace != ws || got.CostUSD != 0 {
				t.Errorf("Replay(%s) run = %s %q in %s at $%v; want a new run of %q in %s at no cost", tt.name, got.ID, got.Prompt, got.Workspace, got.CostUSD, orig.Prompt, ws)
			}
			steps, err := r.config.Journal.Steps(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := record.DecodeConfig(steps[0].Output)
			if err != nil || cfg.Provider != replayProvider || cfg.Model != "script-1" {
				t.Errorf("Replay(%s) config = %s/%s, %v; want %s/script-1", tt.name, cfg.Provider, cfg.Model, err, replayProvider)
			}
			if tt.wantStatus != journal.RunCompleted {
				return
			}
			if b, err := os.ReadFile(filepath.Join(ws, "hello.txt")); err != nil || string(b) != "hi there\n" {
				t.Errorf("Replay(%s) workspace hello.txt = %q, %v; want the tools run again", tt.name, b, err)
			}
		})
	}
}
