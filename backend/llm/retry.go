package llm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Defaults for RetryPolicy.
const (
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = 500 * time.Millisecond
	DefaultMaxDelay      = 30 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
)

// RetryPolicy says how often and how long to retry a failed model call.
// Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; each retry doubles it up to MaxDelay,
	// with up to 25% jitter taken off.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxRetryAfter is the longest server-requested wait that is honoured;
	// a longer one falls back to the computed backoff.
	MaxRetryAfter time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return p
}

// Backoff returns the wait before attempt+1 after attempt failed (attempt
// counts from 1), jittered.
func (p RetryPolicy) Backoff(attempt int) time.Duration {
	p = p.withDefaults()
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d - time.Duration(rand.Float64()*0.25*float64(d))
}

// Attempt is one failed try of a model call, kept so the step record and
// the trace can show what happened before the turn succeeded or gave up.
type Attempt struct {
	Started time.Time `json:"started"`
	// Duration is how long the attempt ran before it failed.
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error"`
	Kind     ErrorKind     `json:"kind,omitempty"`
	// Retryable says whether the failure was worth another attempt.
	Retryable bool `json:"retryable"`
	// Discarded says the attempt had streamed output that was dropped.
	Discarded bool `json:"discarded,omitempty"`
	// Wait is the pause before the next attempt; zero for the last one.
	Wait time.Duration `json:"wait_ns,omitempty"`
}

// AttemptsError is the error of a model call that failed for good: Err is
// the last attempt's error and Attempts lists every attempt, the last one
// included. GaveUp says retries were used up on a retryable failure.
type AttemptsError struct {
	Attempts []Attempt
	Err      error
	GaveUp   bool
}

func (e *AttemptsError) Error() string {
	if e.GaveUp {
		return fmt.Sprintf("%v (gave up after %d attempts)", e.Err, len(e.Attempts))
	}
	return e.Err.Error()
}

func (e *AttemptsError) Unwrap() error { return e.Err }

// Do runs try until it succeeds, fails for good, or MaxAttempts is used up.
// A failed attempt is retried from the start if it is Retryable, also when
// it had already passed output to emit: the Retry event sent to onEvent
// (which may be nil) before each retry then has Discard set, telling
// consumers to drop what the attempt streamed. Do waits before each retry,
// honouring the provider's retry-after when it is at most MaxRetryAfter; the
// wait ends early when ctx is done. The returned Response lists the failed
// attempts in Attempts; a final failure is an *AttemptsError.
func (p RetryPolicy) Do(ctx context.Context, onEvent func(Event), try func(ctx context.Context, emit func(Event)) (Response, error)) (Response, error) {
	p = p.withDefaults()
	var attempts []Attempt
	for attempt := 1; ; attempt++ {
		emitted := false
		emit := func(e Event) {
			if _, ok := e.(UsageUpdate); !ok {
				emitted = true
			}
			if onEvent != nil {
				onEvent(e)
			}
		}
		started := time.Now()
		resp, err := try(ctx, emit)
		if err == nil {
			resp.Attempts = attempts
			return resp, nil
		}
		if ctx.Err() != nil {
			if errors.Is(err, ctx.Err()) {
				return Response{}, err
			}
			return Response{}, fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		attempts = append(attempts, Attempt{Started: started, Duration: time.Since(started), Error: err.Error(),
			Kind: KindOf(err), Retryable: Retryable(err), Discarded: emitted})
		if !Retryable(err) || attempt >= p.MaxAttempts {
			return Response{}, &AttemptsError{Attempts: attempts, Err: err, GaveUp: Retryable(err) && attempt > 1}
		}
		wait := p.Backoff(attempt)
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 && ae.RetryAfter <= p.MaxRetryAfter {
			wait = ae.RetryAfter
		}
		attempts[len(attempts)-1].Wait = wait
		if onEvent != nil {
			onEvent(Retry{Attempt: attempt + 1, Wait: wait, Reason: err.Error(), Err: err, Discard: emitted})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Response{}, fmt.Errorf("%w (waiting to retry after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

// RetryAfter returns the wait a response asks for: retry-after-ms in
// milliseconds, else retry-after in seconds or as an HTTP date relative to
// now. It returns 0 when there is none or it cannot be read.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// RetryPolicyFor turns an adapter's retry options into a policy: maxRetries 0 keeps the
// default number of attempts, a negative value disables retries, and n allows n retries
// after the first try; zero delays keep the defaults.
func RetryPolicyFor(maxRetries int, baseDelay, maxDelay time.Duration) RetryPolicy {
	p := RetryPolicy{BaseDelay: baseDelay, MaxDelay: maxDelay}
	switch {
	case maxRetries < 0:
		p.MaxAttempts = 1
	case maxRetries > 0:
		p.MaxAttempts = maxRetries + 1
	}
	return p
}
