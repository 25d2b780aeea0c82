package walk

import (
	"context"
	"sync"
)

// Tree calls list for roots and then for every job list returns, from workers goroutines at
// once (worker is the caller's index, 0 to workers-1, for per-worker scratch space). A job
// is usually one directory; list reads it and returns its subdirectories to walk. Tree
// returns when no job is left, at the first error list returns, or when ctx ends.
func Tree[J any](ctx context.Context, workers int, roots []J, list func(ctx context.Context, worker int, job J) ([]J, error)) error {
	workers = max(workers, 1)
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   = append([]J(nil), roots...)
		active  int
		stopped bool
		first   error
	)
	var wg sync.WaitGroup
	for worker := range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				for len(queue) == 0 && active > 0 && !stopped {
					cond.Wait()
				}
				if stopped || len(queue) == 0 {
					cond.Broadcast()
					mu.Unlock()
					return
				}
				job := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				active++
				mu.Unlock()

				var next []J
				err := ctx.Err()
				if err == nil {
					next, err = list(ctx, worker, job)
				}
				mu.Lock()
				active--
				queue = append(queue, next...)
				if err != nil && first == nil {
					first, stopped = err, true
				}
				cond.Broadcast()
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
