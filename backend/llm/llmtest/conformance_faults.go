package llmtest

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
)

// testStreamFaults: a stream that breaks at any point (an error event, a
// reset, a missing final event, garbage), before or after output, is
// retried from the start; what the broken attempt streamed is discarded
// and the attempt is recorded.
func testStreamFaults(t *testing.T, h Harness) {
	body := h.Body(toolResponse, 4)
	events := Events(body)
	if len(events) < 8 {
		t.Fatalf("the encoded tool response has %d events, want at least 8", len(events))
	}
	errorEvent := h.StreamError("Overloaded")
	tests := []struct {
		name string
		// reply breaks the first attempt; the second gets the whole stream.
		reply Reply
		// output says the broken attempt streamed something to discard.
		output bool
		kind   llm.ErrorKind
	}{
		{"error event before output", Reply{Body: errorEvent}, false, ""},
		{"error event after output", Fault{Kind: FaultError, Events: 6, ErrorEvent: errorEvent}.Reply(body), true, ""},
		{"reset before output", Reply{Abort: true}, false, llm.KindStream},
		{"reset after output", Fault{Kind: FaultDrop, Bytes: len(body) / 2}.Reply(body), true, llm.KindStream},
		{"reset inside the last event", Fault{Kind: FaultDrop, Bytes: len(body) - 2}.Reply(body), true, llm.KindStream},
		{"empty body", Reply{}, false, llm.KindStream},
		{"no final event", Fault{Kind: FaultTruncate, Events: len(events) - 1}.Reply(body), true, llm.KindStream},
		{"cut inside an event", Fault{Kind: FaultTruncate, Bytes: len(body) - 30}.Reply(body), true, llm.KindStream},
		{"garbage before output", Reply{Body: GarbageEvent}, false, llm.KindStream},
		{"garbage after output", Fault{Kind: FaultGarbage, Events: 6}.Reply(body), true, llm.KindStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, resp, rec, err := h.stream(t, Replies(tt.reply, Reply{Body: body}), 0)
			if err != nil {
				t.Fatalf("Stream() error = %v", err)
			}
			wantResponse(t, resp, toolResponse)
			wantRequests(t, srv, 2)
			if bodies := srv.Bodies(); bodies[0] != bodies[1] {
				t.Errorf("retried body differs:\n%s\n%s", bodies[0], bodies[1])
			}
			retries := rec.Retries()
			if len(retries) != 1 || retries[0].Attempt != 2 || retries[0].Discard != tt.output {
				t.Fatalf("Retry events = %+v, want one for attempt 2 with Discard %v", retries, tt.output)
			}
			if got := rec.Text(); got != toolResponse.Text() {
				t.Errorf("text shown after discarding = %q, want %q", got, toolResponse.Text())
			}
			want := []string{`toolu_01 read {"path":"a.txt"}`, `toolu_02 write {"path":"dir/b.txt","content":"héllo\n\"x\" 🌍"}`}
			if got := rec.ToolInputs(); !reflect.DeepEqual(got, want) {
				t.Errorf("tool calls shown after discarding = %q, want %q", got, want)
			}
			if len(resp.Attempts) != 1 || !resp.Attempts[0].Retryable || resp.Attempts[0].Discarded != tt.output || resp.Attempts[0].Error == "" {
				t.Fatalf("Attempts = %+v, want the broken attempt", resp.Attempts)
			}
			if tt.kind != "" && resp.Attempts[0].Kind != tt.kind {
				t.Errorf("Attempts[0].Kind = %q, want %q", resp.Attempts[0].Kind, tt.kind)
			}
		})
	}

	t.Run("every stream fails after output", func(t *testing.T) {
		t.Parallel()
		broken := Fault{Kind: FaultError, Events: 6, ErrorEvent: errorEvent}.Reply(body)
		srv, _, rec, err := h.stream(t, Replies(broken, broken, broken, broken, Reply{Body: body}), 0)
		var ae *llm.APIError
		if !errors.As(err, &ae) || !ae.Retryable() || !strings.Contains(err.Error(), "gave up after 4 attempts") {
			t.Fatalf("Stream() error = %v, want a retryable *llm.APIError after 4 attempts", err)
		}
		var attempts *llm.AttemptsError
		if !errors.As(err, &attempts) || len(attempts.Attempts) != 4 || !attempts.GaveUp {
			t.Fatalf("error = %#v, want an *llm.AttemptsError with 4 attempts", err)
		}
		for i, a := range attempts.Attempts {
			if !a.Discarded || !a.Retryable {
				t.Errorf("Attempts[%d] = %+v, want a discarded retryable attempt", i, a)
			}
		}
		wantRequests(t, srv, 4)
		if n := len(rec.Retries()); n != 3 {
			t.Errorf("%d Retry events, want 3", n)
		}
	})

	t.Run("retries disabled", func(t *testing.T) {
		t.Parallel()
		srv, _, _, err := h.stream(t, Replies(Fault{Kind: FaultDrop, Bytes: len(body) / 2}.Reply(body), Reply{Body: body}), -1)
		if !errors.Is(err, llm.ErrIncompleteStream) {
			t.Fatalf("Stream() error = %v, want an incomplete stream", err)
		}
		wantRequests(t, srv, 1)
	})
}
