package llmtest

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
)

// testHTTPErrors: a failed request is retried with backoff when a retry can
// clear it and comes back at once, typed, when it needs a person.
func testHTTPErrors(t *testing.T, h Harness) {
	t.Run("rate limit then success honours retry-after", func(t *testing.T) {
		t.Parallel()
		limited := h.Error(http.StatusTooManyRequests, "slow down")
		limited.Header = http.Header{"Retry-After-Ms": {"3"}}
		srv, resp, rec, err := h.stream(t, Replies(limited, h.ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 2)
		bodies := srv.Bodies()
		if bodies[0] != bodies[1] {
			t.Errorf("retried body differs:\n%s\n%s", bodies[0], bodies[1])
		}
		retries := rec.Retries()
		if len(retries) != 1 || retries[0].Attempt != 2 || retries[0].Wait != 3*time.Millisecond || !errors.Is(retries[0].Err, llm.ErrRateLimited) || retries[0].Discard {
			t.Fatalf("Retry events = %+v, want one for attempt 2 waiting 3ms after a rate limit, nothing to discard", retries)
		}
		if len(rec.Events()) == 0 || !isRetry(rec.Events()[0]) {
			t.Errorf("first event = %#v, want the Retry", rec.Events()[0])
		}
		if len(resp.Attempts) != 1 || resp.Attempts[0].Kind != llm.KindRateLimited || resp.Attempts[0].Wait != 3*time.Millisecond {
			t.Errorf("Attempts = %+v, want the rate-limited attempt", resp.Attempts)
		}
	})

	t.Run("server errors retried", func(t *testing.T) {
		t.Parallel()
		srv, resp, rec, err := h.stream(t, Replies(h.Error(500, "boom"), h.Error(529, "Overloaded"), h.Error(503, "unavailable"), h.ok(textResponse)), 0)
		if err != nil {
			t.Fatalf("Stream() error = %v", err)
		}
		wantResponse(t, resp, textResponse)
		wantRequests(t, srv, 4)
		if n := len(rec.Retries()); n != 3 {
			t.Errorf("%d Retry events, want 3", n)
		}
		if n := len(resp.Attempts); n != 3 {
			t.Errorf("%d attempts recorded, want 3", n)
		}
	})

	t.Run("overloaded gives up after max attempts", func(t *testing.T) {
		t.Parallel()
		e := h.Error(529, "Overloaded")
		srv, _, rec, err := h.stream(t, Replies(e, e, e, e, h.ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrOverloaded) || !strings.Contains(err.Error(), "gave up after 4 attempts") {
			t.Fatalf("Stream() error = %v, want overloaded after 4 attempts", err)
		}
		var ae *llm.APIError
		if !errors.As(err, &ae) || ae.Status != 529 {
			t.Errorf("error = %#v, want an *llm.APIError with status 529", err)
		}
		var attempts *llm.AttemptsError
		if !errors.As(err, &attempts) || len(attempts.Attempts) != 4 || !attempts.GaveUp {
			t.Errorf("error = %#v, want an *llm.AttemptsError with 4 attempts", err)
		}
		wantRequests(t, srv, 4)
		if n := len(rec.Retries()); n != 3 {
			t.Errorf("%d Retry events, want 3", n)
		}
	})

	t.Run("retries disabled", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := h.stream(t, Replies(h.Error(429, "slow down"), h.ok(textResponse)), -1)
		if !errors.Is(err, llm.ErrRateLimited) {
			t.Fatalf("Stream() error = %v, want rate limited", err)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("authentication error", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := h.stream(t, Replies(h.Error(401, "invalid api key"), h.ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrAuth) || llm.KindOf(err) != llm.KindAuth {
			t.Fatalf("Stream() error = %v, want llm.ErrAuth", err)
		}
		if want := "authentication failed (401): check " + h.KeyEnv; !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
		var ae *llm.APIError
		if !errors.As(err, &ae) || !strings.Contains(ae.Action(), h.KeyEnv) {
			t.Errorf("Action() of %v does not name %s", err, h.KeyEnv)
		}
		wantRequests(t, srv, 1)
	})

	t.Run("bad request", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := h.stream(t, Replies(h.Error(400, "max_tokens: too large"), h.ok(textResponse)), 0)
		if !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "bad request (400)") || !strings.Contains(err.Error(), "max_tokens: too large") {
			t.Fatalf("Stream() error = %v, want a bad request naming the cause", err)
		}
		if llm.KindOf(err) != llm.KindBadRequest {
			t.Errorf("KindOf(%v) = %q, want bad_request", err, llm.KindOf(err))
		}
		wantRequests(t, srv, 1)
	})
}
