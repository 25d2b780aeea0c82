package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/catalog"
)

// ErrPaused means a fault that a retry or a person can clear stopped the run (the provider
// kept failing, a bad key or exhausted quota, a full disk); the run is paused at the step it
// could not finish and Drive continues it from there once the fault is cleared.
var ErrPaused = errors.New("agent: run is paused")

// modelFault is a model step that failed in a way that a retry later or a person can clear.
// It leaves the step started (journal.ErrStepUnfinished), so the run resumes at that step.
type modelFault struct {
	seq int
	err error
}

func (e *modelFault) Error() string   { return e.err.Error() }
func (e *modelFault) Unwrap() error   { return e.err }
func (e *modelFault) Is(t error) bool { return t == journal.ErrStepUnfinished }

// advice says what clears a model fault.
func (e *modelFault) advice() string {
	if a := llm.KindOf(e.err).Action(); a != "" {
		return a
	}
	return "fix the model's settings or credentials, then resume"
}

// sandboxFault is a sandbox that could not be opened; a person can fix it (start Docker,
// build the image), so it pauses the run, and a step it was opened in stays started.
type sandboxFault struct {
	sandbox string
	err     error
}

func (e *sandboxFault) Error() string {
	return fmt.Sprintf("agent: open %s sandbox: %v", e.sandbox, e.err)
}
func (e *sandboxFault) Unwrap() error   { return e.err }
func (e *sandboxFault) Is(t error) bool { return t == journal.ErrStepUnfinished }

// refusedError ends a run whose model declined to answer.
type refusedError struct{ explanation string }

func (e *refusedError) Error() string { return "the model refused: " + e.explanation }

// cutOffError ends a run whose final answer the output limit cut off.
type cutOffError struct{ limit int }

func (e *cutOffError) Error() string {
	return fmt.Sprintf("the answer was cut off by the output limit (%d tokens); raise --max-tokens or ask for a shorter answer in a follow-up run", e.limit)
}

// refusal returns the explanation of a refused turn: the provider's own where it gives one.
func refusal(resp llm.Response) string {
	if resp.Refusal != "" {
		return resp.Refusal
	}
	if t := strings.TrimSpace(resp.Text()); t != "" {
		return t
	}
	return "the model declined to answer and gave no explanation"
}

// pausedOutcome is the run error text of a run paused by err, or "" when err is no fault a
// retry or a person can clear.
func pausedOutcome(runErr error) string {
	var fault *modelFault
	var sandbox *sandboxFault
	switch {
	case errors.As(runErr, &fault):
		return fmt.Sprintf("step %d (model) could not finish: %v. To continue: %s (corral resume)", fault.seq, fault.err, fault.advice())
	case errors.As(runErr, &sandbox):
		return fmt.Sprintf("%v. To continue: fix the sandbox (is Docker running? is the image there?), then resume (corral resume)", sandbox)
	case errors.Is(runErr, journal.ErrDiskFull):
		return fmt.Sprintf("the journal could not record a step: %v. To continue: free disk space, then resume (corral resume)", runErr)
	case errors.Is(runErr, journal.ErrLocked):
		return fmt.Sprintf("the journal could not record a step: %v. To continue: resume when the other writer is done (corral resume)", runErr)
	}
	return ""
}

// Output limits.
const (
	// defaultMaxTokens is the adapters' output limit when a run sets none.
	defaultMaxTokens = 8192
	// maxContinuations bounds how often a text answer cut by the output limit is continued
	// before the run ends cut off.
	maxContinuations = 2
	// continuePrompt asks the model to go on with an answer the output limit cut off.
	continuePrompt = "Your answer was cut off by the output limit. Continue exactly where it stopped, without repeating anything."
)

// outputCeiling is the most a run's model may write in one response: the catalog's figure
// for the model (or a model whose id it extends, like a dated snapshot), else four times
// the run's own limit.
func outputCeiling(cfg RunConfig) int {
	base := cfg.MaxTokens
	if base <= 0 {
		base = defaultMaxTokens
	}
	if p, ok := catalog.Lookup(cfg.Provider); ok {
		best := 0
		for _, m := range p.Models {
			if (m.ID == cfg.Model || strings.HasPrefix(cfg.Model, m.ID+"-")) && m.MaxOutputTokens > best {
				best = m.MaxOutputTokens
			}
		}
		if best > 0 {
			return max(best, base)
		}
	}
	return 4 * base
}

// cutToolCall reports whether the output limit cut a tool call of resp.
func cutToolCall(resp llm.Response) bool {
	for _, b := range resp.Content {
		if b.Type == llm.BlockToolUse && b.Truncated {
			return true
		}
	}
	return false
}

// stream makes one model call for step seq. A tool call cut by the output limit is never
// run: the same request is sent again with twice the limit, up to the model's ceiling, and
// each cut attempt is kept in the turn's Attempts (with its usage counted), and the limit
// that produced the turn in its MaxTokens. The escalation depends only on the responses, so a
// resumed step sends the same requests again.
func (l *loop) stream(ctx context.Context, seq int, req llm.Request) (llm.Response, error) {
	var cut []llm.Attempt
	var spent llm.Usage
	limit := req.MaxTokens
	if limit <= 0 {
		limit = defaultMaxTokens
	}
	ceiling := outputCeiling(l.cfg)
	for {
		begun := time.Now()
		resp, err := l.model.Stream(ctx, req, func(ev llm.Event) { l.streamEvent(seq, ev) })
		if err != nil {
			return resp, err
		}
		if !cutToolCall(resp) || limit >= ceiling {
			if len(cut) > 0 {
				resp.Attempts = append(cut, resp.Attempts...)
				resp.Usage = spent.Add(resp.Usage)
				resp.MaxTokens = limit
			}
			return resp, nil
		}
		next := min(2*limit, ceiling)
		reason := fmt.Sprintf("the output limit of %d tokens cut a tool call; asking again with %d", limit, next)
		cut = append(cut, resp.Attempts...)
		cut = append(cut, llm.Attempt{Started: begun, Duration: time.Since(begun), Error: reason,
			Kind: llm.ErrorKind(llm.StopMaxTokens), Retryable: true, Discarded: true})
		spent = spent.Add(resp.Usage)
		l.r.publish(Event{Type: EventModelRetry, RunID: l.run.ID, Seq: seq, Attempt: len(cut) + 1, Error: reason, Discard: true})
		limit, req.MaxTokens = next, next
	}
}

// limitUsed is the output limit a turn was produced under.
func (l *loop) limitUsed(resp llm.Response) int {
	switch {
	case resp.MaxTokens > 0:
		return resp.MaxTokens
	case l.cfg.MaxTokens > 0:
		return l.cfg.MaxTokens
	}
	return defaultMaxTokens
}
