package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel errors. An *APIError matches ErrAuth, ErrBadRequest,
// ErrRateLimited, ErrOverloaded, ErrQuota or ErrContextTooLong through
// errors.Is.
var (
	ErrAuth        = errors.New("llm: authentication failed")
	ErrBadRequest  = errors.New("llm: bad request")
	ErrRateLimited = errors.New("llm: rate limited")
	ErrOverloaded  = errors.New("llm: overloaded")
	// ErrQuota means the account's quota or credit is used up: a person
	// must pay or wait, retrying does not help.
	ErrQuota = errors.New("llm: quota exhausted")
	// ErrContextTooLong means the request is larger than the model accepts.
	ErrContextTooLong = errors.New("llm: context too long")
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
	case e.Kind() == KindQuota:
		return "quota exhausted"
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
	case ErrQuota:
		return e.Kind() == KindQuota
	case ErrContextTooLong:
		return e.Kind() == KindContextTooLong
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

// ErrorKind classifies a failed model call by what clears it: a retry
// (rate_limited, overloaded, server, stream) or a person (auth, quota,
// bad_request, context_too_long, not_found).
type ErrorKind string

// The error kinds.
const (
	KindAuth           ErrorKind = "auth"
	KindQuota          ErrorKind = "quota"
	KindBadRequest     ErrorKind = "bad_request"
	KindContextTooLong ErrorKind = "context_too_long"
	KindNotFound       ErrorKind = "not_found"
	KindRateLimited    ErrorKind = "rate_limited"
	KindOverloaded     ErrorKind = "overloaded"
	KindServer         ErrorKind = "server"
	// KindStream is a stream that broke: reset, cut short, undecodable.
	KindStream ErrorKind = "stream"
)

// Kind classifies e.
func (e *APIError) Kind() ErrorKind {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Type == "insufficient_quota" || e.Code == "insufficient_quota" || e.Type == "billing_error" ||
		e.Status == http.StatusPaymentRequired || strings.Contains(msg, "credit balance is too low"):
		return KindQuota
	case e.Code == "context_length_exceeded" || e.Type == "request_too_large" || e.Status == http.StatusRequestEntityTooLarge ||
		strings.Contains(msg, "prompt is too long") || strings.Contains(msg, "maximum context length") ||
		strings.Contains(msg, "exceed context limit"):
		return KindContextTooLong
	case e.Is(ErrAuth):
		return KindAuth
	case e.Status == http.StatusNotFound || e.Type == "not_found_error":
		return KindNotFound
	case e.Is(ErrBadRequest):
		return KindBadRequest
	case e.Is(ErrRateLimited):
		return KindRateLimited
	case e.Is(ErrOverloaded):
		return KindOverloaded
	case e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusConflict:
		return KindBadRequest
	case e.Status == 0 && e.Type != "api_error" && e.Type != "server_error" && e.Type != "timeout_error":
		return KindStream
	}
	return KindServer
}

// Action says what a person should do about e; Hint when the adapter gave
// one, else advice for its Kind.
func (e *APIError) Action() string {
	if e.Hint != "" {
		return e.Hint
	}
	return e.Kind().Action()
}

// Action is the advice for a failure of kind k.
func (k ErrorKind) Action() string {
	switch k {
	case KindAuth:
		return "check the API key and its permissions, then resume"
	case KindQuota:
		return "add credit or raise the quota with the provider, then resume"
	case KindBadRequest:
		return "the provider rejected the request; check the model and settings, then resume"
	case KindContextTooLong:
		return "the conversation is longer than the model accepts; compact it (corral compact), start a new session or pick a model with a larger context"
	case KindNotFound:
		return "check the model name and base URL, then resume"
	case KindRateLimited, KindOverloaded, KindServer, KindStream:
		return "the provider is busy or failing; wait and resume"
	}
	return ""
}

// KindOf classifies err: the Kind of an *APIError in it, KindStream for a
// transient or malformed stream, and "" otherwise.
func KindOf(err error) ErrorKind {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Kind()
	}
	var te *TransientError
	if errors.As(err, &te) || errors.Is(err, ErrMalformedStream) {
		return KindStream
	}
	return ""
}

// Retryable reports whether the same request may succeed later: rate
// limits, overload, timeouts, server errors and broken streams, but not an
// exhausted quota.
func (e *APIError) Retryable() bool {
	switch e.Kind() {
	case KindRateLimited, KindOverloaded, KindServer, KindStream:
		return true
	}
	return false
}

// TransientError marks an infrastructure failure that is safe to retry:
// a refused or reset connection, a stream cut short.
type TransientError struct {
	Err error
}

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// Retryable reports whether err is worth retrying from the start: a
// retryable *APIError, a *TransientError or a malformed stream.
func Retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Retryable()
	}
	var te *TransientError
	return errors.As(err, &te) || errors.Is(err, ErrMalformedStream)
}
