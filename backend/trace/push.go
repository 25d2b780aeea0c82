package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// PushOptions tune [Push]. The zero value is ready to use.
type PushOptions struct {
	// Client sends the requests; nil means a client with a 30-second timeout.
	Client *http.Client
	// Header is added to every request, for example Authorization.
	Header http.Header
	// Attempts is how many times a request is tried; zero means 4.
	Attempts int
	// Backoff is the wait before try n+1 (n from 1) when the receiver did not
	// say how long to wait; nil means 500ms doubling up to 8s.
	Backoff func(n int) time.Duration
}

// maxRetryAfter caps the wait a receiver may ask for with Retry-After.
const maxRetryAfter = 30 * time.Second

// PushError is a push the receiver refused, or that never reached it.
type PushError struct {
	URL string
	// Status is the last HTTP status, or 0 if no response came.
	Status int
	// Message is the receiver's explanation, or the transport error.
	Message  string
	Attempts int
	Err      error
}

func (e *PushError) Error() string {
	what := "no response"
	if e.Status != 0 {
		what = fmt.Sprintf("HTTP %d", e.Status)
	}
	msg := fmt.Sprintf("trace: push to %s: %s after %d attempt(s)", e.URL, what, e.Attempts)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

func (e *PushError) Unwrap() error { return e.Err }

// ErrPartialSuccess means the receiver accepted the request but rejected some
// spans; the error text says how many and why.
var ErrPartialSuccess = errors.New("trace: push: the receiver rejected some spans")

// Push sends a request to an OTLP/HTTP receiver as JSON: a POST to
// endpoint/v1/traces (endpoint is the receiver's base URL, such as
// http://localhost:4318; one that already ends in /v1/traces is used as it
// is). As the OTLP specification says, it retries on 429, 502, 503 and 504 and
// when no response came, honouring Retry-After, and does not retry other
// failures.
func Push(ctx context.Context, endpoint string, req *coltracepb.ExportTraceServiceRequest, opts PushOptions) error {
	target, err := tracesURL(endpoint)
	if err != nil {
		return err
	}
	body, err := MarshalOTLP(req)
	if err != nil {
		return err
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	attempts := opts.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	backoff := opts.Backoff
	if backoff == nil {
		backoff = func(n int) time.Duration { return min(500*time.Millisecond<<(n-1), 8*time.Second) }
	}
	var last *PushError
	for n := 1; n <= attempts; n++ {
		wait, perr := pushOnce(ctx, client, target, body, opts.Header)
		if perr == nil {
			return nil
		}
		perr.Attempts = n
		last = perr
		if wait < 0 || n == attempts {
			break
		}
		if wait == 0 {
			wait = backoff(n)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("trace: push to %s: %w (last: %w)", target, ctx.Err(), last)
		case <-t.C:
		}
	}
	return last
}

// pushOnce makes one request. On failure, wait is how long the receiver
// asked to wait (0: use the backoff), or negative when retrying is pointless.
func pushOnce(ctx context.Context, client *http.Client, target string, body []byte, header http.Header) (wait time.Duration, _ *PushError) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return -1, &PushError{URL: target, Message: err.Error(), Err: err}
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, &PushError{URL: target, Message: err.Error(), Err: ctx.Err()}
		}
		return 0, &PushError{URL: target, Message: err.Error(), Err: err}
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK {
		return -1, partial(target, text)
	}
	perr := &PushError{URL: target, Status: resp.StatusCode, Message: responseMessage(text)}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryAfter(resp.Header.Get("Retry-After")), perr
	}
	if 200 <= resp.StatusCode && resp.StatusCode < 300 {
		return -1, nil
	}
	return -1, perr
}

// partial reads a success response: a populated partial_success is an error.
func partial(target string, body []byte) *PushError {
	var resp coltracepb.ExportTraceServiceResponse
	if len(bytes.TrimSpace(body)) == 0 || (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &resp) != nil {
		return nil // a receiver that answers 200 with a body it does not document accepted the spans
	}
	ps := resp.GetPartialSuccess()
	if ps.GetRejectedSpans() == 0 {
		return nil // an error_message alone is a warning
	}
	return &PushError{URL: target, Status: http.StatusOK, Err: ErrPartialSuccess,
		Message: fmt.Sprintf("%d span(s) rejected: %s", ps.GetRejectedSpans(), ps.GetErrorMessage())}
}

// responseMessage extracts the message of an error response (a JSON Status),
// or its text, cut short.
func responseMessage(body []byte) string {
	var st struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		return st.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	if at, err := http.ParseTime(h); err == nil {
		return min(max(time.Until(at), 0), maxRetryAfter)
	}
	return 0
}

func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("trace: push: endpoint %q is not an http or https URL such as http://localhost:4318", endpoint)
	}
	if !strings.HasSuffix(u.Path, "/v1/traces") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	}
	return u.String(), nil
}
