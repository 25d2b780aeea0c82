package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewToolUse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		input     string
		wantInput string
		wantErr   string
	}{
		{"object is compacted", `{ "path" : "a.txt",
 "n": 1 }`, `{"path":"a.txt","n":1}`, ""},
		{"empty means no arguments", "", `{}`, ""},
		{"blank means no arguments", "  \n", `{}`, ""},
		{"escapes kept", `{"s":"h\u00e9 \"q\" 🌍"}`, `{"s":"h\u00e9 \"q\" 🌍"}`, ""},
		{"truncated", `{"path": "a.t`, "", "tool input is not valid JSON: unexpected end of JSON input"},
		{"trailing garbage", `{"a":1}}`, "", "tool input is not valid JSON: invalid character '}' after top-level value"},
		{"array", `[1]`, "", "tool input must be a JSON object"},
		{"null", `null`, "", "tool input must be a JSON object"},
		{"string", `"x"`, "", "tool input must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := NewToolUse("id1", "write", tt.input)
			if b.Type != BlockToolUse || b.ID != "id1" || b.Name != "write" {
				t.Fatalf("NewToolUse(%q) = %+v", tt.input, b)
			}
			if string(b.Input) != tt.wantInput || b.InputError != tt.wantErr {
				t.Fatalf("NewToolUse(%q) = input %s, error %q; want %s, %q", tt.input, b.Input, b.InputError, tt.wantInput, tt.wantErr)
			}
			if tt.wantErr != "" && b.RawInput != tt.input {
				t.Errorf("NewToolUse(%q).RawInput = %q, want the input", tt.input, b.RawInput)
			}
			if _, err := json.Marshal(b); err != nil {
				t.Errorf("json.Marshal(%+v) = %v; a marked block must still marshal for the journal", b, err)
			}
		})
	}
}

func TestResponseHelpers(t *testing.T) {
	t.Parallel()
	r := Response{Content: []Block{TextBlock("a"), NewToolUse("1", "read", `{}`), TextBlock("b")}}
	if r.Text() != "ab" {
		t.Errorf("Text() = %q, want ab", r.Text())
	}
	if uses := r.ToolUses(); len(uses) != 1 || uses[0].ID != "1" {
		t.Errorf("ToolUses() = %+v", uses)
	}
	if m := r.Message(); m.Role != RoleAssistant || len(m.Content) != 3 {
		t.Errorf("Message() = %+v", m)
	}
	u := Usage{InputTokens: 1, OutputTokens: 2, CacheReadTokens: 3, CacheWriteTokens: 4, ThinkingTokens: 1}
	if got := u.Add(u); got != (Usage{InputTokens: 2, OutputTokens: 4, CacheReadTokens: 6, CacheWriteTokens: 8, ThinkingTokens: 2}) {
		t.Errorf("Add() = %+v", got)
	}
}

func TestRequestJSONIsDeterministic(t *testing.T) {
	t.Parallel()
	req := Request{
		Model: "m", System: "s",
		Messages: []Message{UserText("hi"), {Role: RoleAssistant, Content: []Block{NewToolUse("1", "exec", `{"command":"ls"}`)}},
			{Role: RoleUser, Content: []Block{ToolResultBlock("1", "out", true)}}},
		Tools: []ToolSpec{{Name: "exec", InputSchema: json.RawMessage(`{"type":"object"}`)}},
	}
	a, _ := json.Marshal(req)
	b, _ := json.Marshal(req)
	want := `{"model":"m","system":"s","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":[{"type":"tool_use","id":"1","name":"exec","input":{"command":"ls"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"1","content":"out","is_error":true}]}],"tools":[{"name":"exec","input_schema":{"type":"object"}}]}`
	if string(a) != want || string(b) != want {
		t.Fatalf("json.Marshal(req) = %s, want %s", a, want)
	}
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       *APIError
		want      string
		is        []error
		retryable bool
	}{
		{
			name: "401",
			err:  &APIError{Provider: "anthropic", Status: 401, Type: "authentication_error", Message: "invalid x-api-key", Hint: "check ANTHROPIC_API_KEY"},
			want: "anthropic: authentication failed (401): check ANTHROPIC_API_KEY (authentication_error: invalid x-api-key)",
			is:   []error{ErrAuth},
		},
		{
			name: "403",
			err:  &APIError{Provider: "anthropic", Status: 403, Type: "permission_error", Message: "no access", Hint: "check ANTHROPIC_API_KEY"},
			want: "anthropic: permission denied (403): check ANTHROPIC_API_KEY (permission_error: no access)",
			is:   []error{ErrAuth},
		},
		{
			name: "400",
			err:  &APIError{Provider: "openai", Status: 400, Type: "invalid_request_error", Message: "bad"},
			want: "openai: bad request (400): invalid_request_error: bad",
			is:   []error{ErrBadRequest},
		},
		{
			name:      "429",
			err:       &APIError{Provider: "openai", Status: 429, Message: "slow"},
			want:      "openai: rate limited (429): slow",
			is:        []error{ErrRateLimited},
			retryable: true,
		},
		{
			name: "429 quota",
			err:  &APIError{Provider: "openai", Status: 429, Code: "insufficient_quota", Message: "pay"},
			want: "openai: quota exhausted (429): pay",
			is:   []error{ErrRateLimited},
		},
		{
			name:      "529",
			err:       &APIError{Provider: "anthropic", Status: 529, Type: "overloaded_error", Message: "Overloaded"},
			want:      "anthropic: overloaded (529): overloaded_error: Overloaded",
			is:        []error{ErrOverloaded},
			retryable: true,
		},
		{
			name:      "overloaded in stream",
			err:       &APIError{Provider: "anthropic", Type: "overloaded_error", Message: "Overloaded"},
			want:      "anthropic: overloaded (in stream): overloaded_error: Overloaded",
			is:        []error{ErrOverloaded},
			retryable: true,
		},
		{
			name:      "500 without body",
			err:       &APIError{Provider: "openai", Status: 500},
			want:      "openai: server error (500)",
			retryable: true,
		},
	}
	sentinels := []error{ErrAuth, ErrBadRequest, ErrRateLimited, ErrOverloaded}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			for _, s := range sentinels {
				want := false
				for _, w := range tt.is {
					want = want || w == s
				}
				if got := errors.Is(tt.err, s); got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if got := tt.err.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
		})
	}
}

func TestIncompleteStreamIsMalformed(t *testing.T) {
	t.Parallel()
	err := &TransientError{Err: errors.Join(errors.New("x"), ErrIncompleteStream)}
	if !errors.Is(err, ErrMalformedStream) || !errors.Is(err, ErrIncompleteStream) || !Retryable(err) {
		t.Fatalf("incomplete stream error %v does not match its sentinels", err)
	}
	if errors.Is(ErrMalformedStream, ErrIncompleteStream) {
		t.Fatalf("a malformed stream is not necessarily incomplete")
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"7"}}, 7 * time.Second},
		{"fractional seconds", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"http date", http.Header{"Retry-After": {"Mon, 23 Nov 2026 10:00:30 GMT"}}, 30 * time.Second},
		{"date in the past", http.Header{"Retry-After": {"Mon, 23 Nov 2026 09:00:00 GMT"}}, 0},
		{"milliseconds win", http.Header{"Retry-After": {"7"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"negative", http.Header{"Retry-After": {"-3"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RetryAfter(tt.header, now); got != tt.want {
				t.Errorf("RetryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 10: time.Second} {
		for range 50 {
			got := p.Backoff(attempt)
			if got > want || got < want*3/4 {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", attempt, got, want*3/4, want)
			}
		}
	}
}

func TestRetryPolicyDo(t *testing.T) {
	t.Parallel()
	overloaded := &APIError{Provider: "p", Status: 529}
	limited := &APIError{Provider: "p", Status: 429, RetryAfter: 2 * time.Millisecond}
	tooLong := &APIError{Provider: "p", Status: 429, RetryAfter: time.Hour}
	auth := &APIError{Provider: "p", Status: 401}
	reset := &TransientError{Err: errors.New("p: connection reset")}
	ok := Response{StopReason: StopEndTurn}
	type attempt struct {
		events []Event
		err    error
	}
	tests := []struct {
		name       string
		attempts   []attempt
		wantTries  int
		wantErr    error
		wantWaits  []time.Duration // exact waits; -1 means "a backoff"
		wantSuffix string
	}{
		{"success", []attempt{{}}, 1, nil, nil, ""},
		{"retry-after honoured", []attempt{{err: limited}, {}}, 2, nil, []time.Duration{2 * time.Millisecond}, ""},
		{"excessive retry-after falls back to backoff", []attempt{{err: tooLong}, {}}, 2, nil, []time.Duration{-1}, ""},
		{"transient retried", []attempt{{err: reset}, {err: overloaded}, {}}, 3, nil, []time.Duration{-1, -1}, ""},
		{"usage before failure still retried", []attempt{{events: []Event{UsageUpdate{}}, err: overloaded}, {}}, 2, nil, []time.Duration{-1}, ""},
		{"retried after output", []attempt{{events: []Event{TextDelta{Text: "x"}}, err: overloaded}, {}}, 2, nil, []time.Duration{-1}, ""},
		{"malformed stream retried", []attempt{{events: []Event{TextDelta{Text: "x"}}, err: ErrMalformedStream}, {}}, 2, nil, []time.Duration{-1}, ""},
		{"not retried when permanent", []attempt{{err: auth}, {}}, 1, ErrAuth, nil, ""},
		{"gives up", []attempt{{err: overloaded}, {err: overloaded}, {err: overloaded}, {err: overloaded}, {}}, 4, ErrOverloaded, []time.Duration{-1, -1, -1}, "(gave up after 4 attempts)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
			var retries []Retry
			tries := 0
			resp, err := p.Do(context.Background(), func(e Event) {
				if r, ok := e.(Retry); ok {
					retries = append(retries, r)
				}
			}, func(ctx context.Context, emit func(Event)) (Response, error) {
				a := tt.attempts[tries]
				tries++
				for _, e := range a.events {
					emit(e)
				}
				if a.err != nil {
					return Response{StopReason: "partial"}, a.err
				}
				return ok, nil
			})
			if tries != tt.wantTries {
				t.Errorf("tries = %d, want %d", tries, tt.wantTries)
			}
			if tt.wantErr == nil {
				if err != nil || len(resp.Attempts) != tries-1 {
					t.Fatalf("Do() = %+v, %v; want success after %d failed attempts", resp, err, tries-1)
				}
				resp.Attempts = nil
				if !reflect.DeepEqual(resp, ok) {
					t.Fatalf("Do() = %+v, want %+v", resp, ok)
				}
			} else {
				if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(resp, Response{}) {
					t.Fatalf("Do() = %+v, %v; want an empty response and %v", resp, err, tt.wantErr)
				}
				if !strings.HasSuffix(err.Error(), tt.wantSuffix) {
					t.Errorf("Do() error = %q, want suffix %q", err, tt.wantSuffix)
				}
				var ae *AttemptsError
				if !errors.As(err, &ae) || len(ae.Attempts) != tries {
					t.Errorf("Do() error = %#v, want an *AttemptsError with %d attempts", err, tries)
				}
			}
			if len(retries) != len(tt.wantWaits) {
				t.Fatalf("Retry events = %+v, want %d", retries, len(tt.wantWaits))
			}
			for i, r := range retries {
				if r.Attempt != i+2 || r.Err == nil || r.Reason == "" {
					t.Errorf("Retry event %d = %+v", i, r)
				}
				if want := len(tt.attempts[i].events) > 0 && !onlyUsage(tt.attempts[i].events); r.Discard != want {
					t.Errorf("Retry event %d Discard = %v, want %v", i, r.Discard, want)
				}
				if w := tt.wantWaits[i]; w >= 0 && r.Wait != w {
					t.Errorf("Retry event %d waits %v, want %v", i, r.Wait, w)
				}
				if w := tt.wantWaits[i]; w < 0 && (r.Wait <= 0 || r.Wait > time.Millisecond) {
					t.Errorf("Retry event %d waits %v, want a backoff of at most 1ms", i, r.Wait)
				}
			}
		})
	}
}

func TestRetryPolicyDoCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	p := RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour}
	start := time.Now()
	_, err := p.Do(ctx, func(e Event) {
		if _, ok := e.(Retry); ok {
			cancel()
		}
	}, func(context.Context, func(Event)) (Response, error) {
		return Response{}, &APIError{Provider: "p", Status: 503}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do() error = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Do() did not stop waiting when cancelled")
	}
}

func onlyUsage(events []Event) bool {
	for _, e := range events {
		if _, ok := e.(UsageUpdate); !ok {
			return false
		}
	}
	return true
}

// The attempts a response carries say what failed, when, for how long and
// how long Do waited before the next try.
func TestRetryPolicyDoAttempts(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}
	errs := []error{
		&APIError{Provider: "p", Type: "overloaded_error", Message: "Overloaded"},
		&TransientError{Err: ErrIncompleteStream},
	}
	tries := 0
	before := time.Now()
	resp, err := p.Do(context.Background(), nil, func(ctx context.Context, emit func(Event)) (Response, error) {
		tries++
		if tries <= len(errs) {
			emit(TextDelta{Text: "partial"})
			return Response{}, errs[tries-1]
		}
		return Response{StopReason: StopEndTurn}, nil
	})
	if err != nil {
		t.Fatalf("Do() error = %v", err)
	}
	wantKinds := []ErrorKind{KindOverloaded, KindStream}
	if len(resp.Attempts) != len(wantKinds) {
		t.Fatalf("Attempts = %+v, want %d", resp.Attempts, len(wantKinds))
	}
	for i, a := range resp.Attempts {
		if a.Kind != wantKinds[i] || !a.Retryable || !a.Discarded || a.Error != errs[i].Error() || a.Started.Before(before) || a.Duration < 0 || a.Wait <= 0 {
			t.Errorf("Attempts[%d] = %+v, want a discarded retryable %s failure with timing", i, a, wantKinds[i])
		}
	}
}

func TestErrorKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		want      ErrorKind
		is        error
		retryable bool
	}{
		{"anthropic 401", &APIError{Status: 401, Type: "authentication_error"}, KindAuth, ErrAuth, false},
		{"openai quota 429", &APIError{Status: 429, Type: "insufficient_quota", Code: "insufficient_quota"}, KindQuota, ErrQuota, false},
		{"anthropic billing 402", &APIError{Status: 402, Type: "billing_error"}, KindQuota, ErrQuota, false},
		{"anthropic credit 400", &APIError{Status: 400, Type: "invalid_request_error", Message: "Your credit balance is too low to access the Anthropic API."}, KindQuota, ErrQuota, false},
		{"anthropic prompt too long", &APIError{Status: 400, Type: "invalid_request_error", Message: "prompt is too long: 210000 tokens > 200000 maximum"}, KindContextTooLong, ErrContextTooLong, false},
		{"openai context length", &APIError{Status: 400, Code: "context_length_exceeded"}, KindContextTooLong, ErrContextTooLong, false},
		{"anthropic input plus max_tokens", &APIError{Status: 400, Type: "invalid_request_error", Message: "input length and `max_tokens` exceed context limit: 199759 + 8192 > 200000, decrease input length or `max_tokens` and try again"}, KindContextTooLong, ErrContextTooLong, false},
		{"413", &APIError{Status: 413, Type: "request_too_large"}, KindContextTooLong, ErrContextTooLong, false},
		{"404", &APIError{Status: 404, Type: "not_found_error"}, KindNotFound, ErrBadRequest, false},
		{"400", &APIError{Status: 400, Type: "invalid_request_error"}, KindBadRequest, ErrBadRequest, false},
		{"405", &APIError{Status: 405}, KindBadRequest, nil, false},
		{"429", &APIError{Status: 429}, KindRateLimited, ErrRateLimited, true},
		{"529", &APIError{Status: 529}, KindOverloaded, ErrOverloaded, true},
		{"overloaded in stream", &APIError{Type: "overloaded_error"}, KindOverloaded, ErrOverloaded, true},
		{"api_error in stream", &APIError{Type: "api_error"}, KindServer, nil, true},
		{"unknown error in stream", &APIError{Type: "stream_error"}, KindStream, nil, true},
		{"503", &APIError{Status: 503}, KindServer, nil, true},
		{"reset", &TransientError{Err: errors.New("reset")}, KindStream, nil, true},
		{"malformed", fmt.Errorf("x: %w", ErrMalformedStream), KindStream, ErrMalformedStream, true},
		{"other", errors.New("disk full"), "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %q, want %q", tt.err, got, tt.want)
			}
			if tt.is != nil && !errors.Is(tt.err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false, want true", tt.err, tt.is)
			}
			if got := Retryable(tt.err); got != tt.retryable {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.retryable)
			}
			if tt.want != "" && tt.want.Action() == "" {
				t.Errorf("%q.Action() is empty", tt.want)
			}
		})
	}
}

func TestMarkTruncated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		resp     Response
		wantLast Block
	}{
		{"cut JSON", Response{StopReason: StopMaxTokens, Content: []Block{TextBlock("x"), NewToolUse("t1", "write", `{"path":"a","content":"abc`)}},
			Block{Type: BlockToolUse, ID: "t1", Name: "write", RawInput: `{"path":"a","content":"abc`, InputError: TruncatedInput, Truncated: true}},
		{"valid JSON at the cut", Response{StopReason: StopMaxTokens, Content: []Block{NewToolUse("t1", "write", `{"path":"a"}`)}},
			Block{Type: BlockToolUse, ID: "t1", Name: "write", RawInput: `{"path":"a"}`, InputError: TruncatedInput, Truncated: true}},
		{"text cut", Response{StopReason: StopMaxTokens, Content: []Block{TextBlock("abc")}}, TextBlock("abc")},
		{"tool use not cut", Response{StopReason: StopToolUse, Content: []Block{NewToolUse("t1", "read", `{}`)}}, NewToolUse("t1", "read", `{}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.resp.MarkTruncated()
			if got := tt.resp.Content[len(tt.resp.Content)-1]; !reflect.DeepEqual(got, tt.wantLast) {
				t.Errorf("MarkTruncated() last block = %+v, want %+v", got, tt.wantLast)
			}
		})
	}
}
