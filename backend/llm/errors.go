package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. An *APIError matches ErrAuth, ErrBadRequest,
// ErrRateLimited or ErrOverloaded through errors.Is.
var (
	ErrAuth        = errors.New("llm: authentication failed")
	ErrBadRequest  = errors.New("llm: bad request")
	ErrRateLimited = errors.New("llm: rate limited")
	ErrOverloaded  = errors.New("llm: overloaded")
	// ErrMalformedStream means the response stream broke the provider's
	// protocol: an undecodable event or events out of order.
	ErrMalformedStream = errors.New("llm: malformed stream")
	// ErrIncompleteStream means the stream ended before its terminal event
	// (message_stop, [DONE]). It also matches ErrMalformedStream.
	ErrIncompleteStream error = incompleteStream{}
	// ErrNoCredentials means a provider was chosen without its API key.
	ErrNoCredentials = errors.New("llm: no credentials")
)

type incompleteStream struct{}

func (incompleteStream) Error() string        { return "llm: stream ended before its final event" }
func (incompleteStream) Is(target error) bool { return target == ErrMalformedStream }

// APIError is an error reported by a provider, either as an HTTP status or
// as an error event inside the stream (then Status is 0).
type APIError struct {
	Provider string // "anthropic", "openai"
	Status   int    // HTTP status; 0 for an error event in the stream
	Type     string // provider error type, e.g. "overloaded_error"
	Code     string // provider error code when it has one, e.g. "insufficient_quota"
	Message  string
	// RetryAfter is the wait the provider asked for (retry-after-ms or
	// retry-after headers); zero when it gave none.
	RetryAfter time.Duration
	RequestID  string
	// Hint tells the user what to check, e.g. "check ANTHROPIC_API_KEY".
	Hint string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(e.summary())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (%d)", e.Status)
	} else {
		b.WriteString(" (in stream)")
	}
	detail := e.Message
	if e.Type != "" && !strings.HasPrefix(detail, e.Type) {
		if detail == "" {
			detail = e.Type
		} else {
			detail = e.Type + ": " + detail
		}
	}
	switch {
	case e.Hint != "" && detail != "":
		fmt.Fprintf(&b, ": %s (%s)", e.Hint, detail)
	case e.Hint != "":
		fmt.Fprintf(&b, ": %s", e.Hint)
	case detail != "":
		fmt.Fprintf(&b, ": %s", detail)
	}
	return b.String()
}

func (e *APIError) summary() string {
	switch {
	case e.Is(ErrAuth) && (e.Status == http.StatusForbidden || e.Type == "permission_error"):
		return "permission denied"
	case e.Is(ErrAuth):
		return "authentication failed"
	case e.Status == http.StatusNotFound || e.Type == "not_found_error":
		return "not found"
	case e.Status == http.StatusRequestEntityTooLarge || e.Type == "request_too_large":
		return "request too large"
	case e.Is(ErrBadRequest):
		return "bad request"
	case e.Is(ErrRateLimited):
		return "rate limited"
	case e.Is(ErrOverloaded):
		return "overloaded"
	case e.Status >= 500 || e.Type == "api_error" || e.Type == "server_error":
		return "server error"
	case e.Status == 0:
		return "stream error"
	}
	return "api error"
}

// Is matches the sentinel that describes e.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrAuth:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden ||
			e.Type == "authentication_error" || e.Type == "permission_error"
	case ErrBadRequest:
		switch e.Status {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
			return true
		}
		return e.Status == 0 && (e.Type == "invalid_request_error" || e.Type == "not_found_error" || e.Type == "request_too_large")
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests || (e.Status == 0 && e.Type == "rate_limit_error")
	case ErrOverloaded:
		return e.Status == 529 || (e.Status == 0 && e.Type == "overloaded_error")
	}
	return false
}

// Retryable reports whether the same request may succeed later: rate limits,
// overload, timeouts and server errors, except an exhausted quota.
func (e *APIError) Retryable() bool {
	if e.Type == "insufficient_quota" || e.Code == "insufficient_quota" {
		return false
	}
	switch {
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusConflict,
		e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return true
	case e.Status == 0:
		switch e.Type {
		case "overloaded_error", "api_error", "rate_limit_error", "timeout_error", "server_error":
			return true
		}
	}
	return false
}

// TransientError marks an infrastructure failure that is safe to retry
// when nothing was streamed yet: a refused or reset connection, a stream
// cut short.
type TransientError struct {
	Err error
}

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying: a retryable *APIError or
// a *TransientError. An agent may use it to retry a whole turn after a
// failure that happened once output had begun, which adapters never retry
// themselves.
func Retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	var te *TransientError
	return errors.As(err, &te)
}
