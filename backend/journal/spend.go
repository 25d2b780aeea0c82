package journal

import (
	"context"
	"fmt"
	"time"
)

// CostSince is what every step of a local session (imported ones never ran here) that
// finished at or after t cost, in US dollars: the day's spend the global daily cap is checked
// against.
func (j *Journal) CostSince(ctx context.Context, t time.Time) (float64, error) {
	var cost float64
	err := j.db.QueryRowContext(ctx, `SELECT coalesce(sum(s.cost_usd), 0) FROM steps s
		JOIN runs r ON r.id = s.run_id JOIN sessions ss ON ss.id = r.session_id
		WHERE s.finished_at >= ? AND s.cost_usd > 0 AND ss.origin = 'local'`, t.UnixNano()).Scan(&cost)
	if err != nil {
		return 0, fmt.Errorf("journal: spend since %s: %w", t.Format(time.RFC3339), classify(err))
	}
	return cost, nil
}
