package app

import (
	"context"
	"time"

	"github.com/corral-dev/corral/backend/agent"
)

// SummaryView is a session's latest compaction as the window shows it: the summary the
// follow-up requests carry (a person's edit, else the model's) and the ledger beside it.
type SummaryView struct {
	// Found is false when the session has not been compacted.
	Found   bool      `json:"found"`
	RunID   string    `json:"run_id"`
	Seq     int       `json:"seq"`
	Summary string    `json:"summary"`
	Ledger  string    `json:"ledger"`
	Edited  bool      `json:"edited"`
	At      time.Time `json:"at"`
}

func summaryView(s agent.Summary, found bool) SummaryView {
	return SummaryView{Found: found, RunID: s.RunID, Seq: s.Seq, Summary: s.Summary, Ledger: s.Ledger, Edited: s.Edited, At: s.At}
}

// Summary returns the latest compaction of the session id names (a run or a session).
func (r *Runs) Summary(id string) (SummaryView, error) {
	s, ok, err := r.runner.LatestSummary(context.Background(), id)
	return summaryView(s, ok), err
}

// EditSummary replaces the latest compaction's summary with a person's text (a step at the
// end of the session's latest run, which must have ended); follow-up runs carry it.
func (r *Runs) EditSummary(id, summary string) (SummaryView, error) {
	s, err := r.runner.EditSummary(context.Background(), id, summary)
	if err != nil {
		return SummaryView{}, err
	}
	return summaryView(s, true), nil
}

// Compact compacts the session id names now (corral compact): a model call that
// summarizes the older turns, recorded at the end of its latest run, which must have ended.
func (r *Runs) Compact(id string) (SummaryView, error) {
	c, err := r.runner.Compact(context.Background(), id)
	if err != nil {
		return SummaryView{}, err
	}
	return r.Summary(c.RunID)
}
