package llmtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/llm"
)

// testRequests: the same Request gives the same bytes, decodes back to
// itself, and a cancelled context ends the call at once.
func testRequests(t *testing.T, h Harness) {
	t.Run("round trip and determinism", func(t *testing.T) {
		t.Parallel()
		srv := h.NewServer(t, Replies(h.ok(textResponse), h.ok(textResponse)))
		m := h.NewModel(srv.BaseURL, 0)
		for range 2 {
			if _, err := m.Stream(fastCtx(t), testRequest(), nil); err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
		}
		bodies := srv.Bodies()
		if bodies[0] != bodies[1] {
			t.Fatalf("same request, different bodies:\n%s\n%s", bodies[0], bodies[1])
		}
		got, err := h.DecodeRequest([]byte(bodies[0]))
		if err != nil {
			t.Fatalf("DecodeRequest() error = %v", err)
		}
		want := testRequest()
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Fatalf("decoded request = %s\nwant %s", gj, wj)
		}
	})

	t.Run("cancel mid-stream", func(t *testing.T) {
		t.Parallel()
		full := h.Body(textResponse, 4)
		srv := h.NewServer(t, Replies(Reply{Body: full[:len(full)/2], Hang: true}))
		ctx, cancel := context.WithCancel(fastCtx(t))
		defer cancel()
		var once sync.Once
		_, err := h.NewModel(srv.BaseURL, 0).Stream(ctx, testRequest(), func(e llm.Event) {
			if _, ok := e.(llm.TextDelta); ok {
				once.Do(cancel)
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Stream() error = %v, want context.Canceled", err)
		}
	})

	t.Run("cancel while waiting to retry", func(t *testing.T) {
		t.Parallel()
		limited := h.Error(429, "slow down")
		limited.Header = http.Header{"Retry-After": {"30"}}
		srv := h.NewServer(t, Replies(limited, h.ok(textResponse)))
		ctx, cancel := context.WithCancel(fastCtx(t))
		defer cancel()
		var wait time.Duration
		start := time.Now()
		_, err := h.NewModel(srv.BaseURL, 0).Stream(ctx, testRequest(), func(e llm.Event) {
			if r, ok := e.(llm.Retry); ok {
				wait = r.Wait
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) || !errors.Is(err, llm.ErrRateLimited) {
			t.Fatalf("Stream() error = %v, want context.Canceled wrapping the rate limit", err)
		}
		if wait != 30*time.Second {
			t.Errorf("Retry.Wait = %v, want the 30s retry-after", wait)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("Stream took %v after cancel", d)
		}
	})
}
