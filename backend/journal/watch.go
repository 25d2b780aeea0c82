package journal

import (
	"context"
	"fmt"
	"time"
)

// WatchCommits calls changed, from its own goroutine, after commits to the journal file by
// any connection: this process's or another's (`corral run` in a terminal while the window is
// open). It checks every interval, through a connection of its own reading SQLite's
// data_version, which changes whenever another connection commits; several commits between
// two checks make one call. It returns once it is watching, and stops when ctx ends.
func (j *Journal) WatchCommits(ctx context.Context, every time.Duration, changed func()) error {
	db, err := openDB(j.path, pragmas{busyTimeout: DefaultBusyTimeout, synchronous: syncNormal}, 1)
	if err != nil {
		return fmt.Errorf("journal: watch commits: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return fmt.Errorf("journal: watch commits: %w", classifyOpen(err))
	}
	version := func() (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	last, err := version()
	if err != nil {
		conn.Close()
		db.Close()
		return fmt.Errorf("journal: watch commits: %w", classify(err))
	}
	go func() {
		defer db.Close()
		defer conn.Close()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			v, err := version()
			if err != nil {
				continue // locked for a moment, or closing: the next check will tell
			}
			if v != last {
				last = v
				changed()
			}
		}
	}()
	return nil
}
