// Package anthropic adapts Anthropic's Messages API (streaming) to llm.Model.
// It owns the wire format, headers, prompt-cache breakpoints and error
// mapping for POST {base}/v1/messages. It must not know about runs, journals
// or tools beyond their specs.
package anthropic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/llm"
)

// Defaults and protocol constants.
const (
	DefaultBaseURL   = "https://api.anthropic.com"
	DefaultModel     = "claude-sonnet-4-5"
	DefaultMaxTokens = 8192
	APIVersion       = "2023-06-01"

	// Provider is the name used in errors.
	Provider = "anthropic"
)

// Options configure a Client. Zero values take defaults.
type Options struct {
	APIKey string
	// BaseURL is the API root without /v1 (default DefaultBaseURL).
	BaseURL string
	// Model is used when a Request names none (default DefaultModel).
	Model string
	// HTTPClient defaults to http.DefaultClient. Streams are bounded by the
	// request context, so it should have no overall Timeout.
	HTTPClient *http.Client
	// MaxRetries is the number of retries after the first attempt: 0 means
	// llm.DefaultMaxAttempts-1, a negative value disables retries.
	MaxRetries int
	// RetryBaseDelay is the first backoff (default llm.DefaultBaseDelay).
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps the backoff (default llm.DefaultMaxDelay).
	RetryMaxDelay time.Duration
}

// Client streams messages from the Anthropic API. It is safe for
// concurrent use.
type Client struct {
	key    string
	url    string
	model  string
	http   *http.Client
	policy llm.RetryPolicy
}

var _ llm.Model = (*Client)(nil)

// New returns a client for opts.
func New(opts Options) *Client {
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	base = strings.TrimSuffix(base, "/v1")
	c := &Client{
		key:    opts.APIKey,
		url:    base + "/v1/messages",
		model:  opts.Model,
		http:   opts.HTTPClient,
		policy: llm.RetryPolicyFor(opts.MaxRetries, opts.RetryBaseDelay, opts.RetryMaxDelay),
	}
	if c.model == "" {
		c.model = DefaultModel
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c
}

// OptionsFromEnv reads ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and
// ANTHROPIC_MODEL through getenv.
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{
		APIKey:  getenv("ANTHROPIC_API_KEY"),
		BaseURL: getenv("ANTHROPIC_BASE_URL"),
		Model:   getenv("ANTHROPIC_MODEL"),
	}
}

// FromEnv returns a client configured from the process environment. It
// fails with llm.ErrNoCredentials when ANTHROPIC_API_KEY is unset.
func FromEnv() (*Client, error) {
	opts := OptionsFromEnv(os.Getenv)
	if opts.APIKey == "" {
		return nil, fmt.Errorf("anthropic: ANTHROPIC_API_KEY is not set: %w", llm.ErrNoCredentials)
	}
	return New(opts), nil
}

// Model returns the model used when a Request names none.
func (c *Client) Model() string { return c.model }

// Stream sends req and streams the reply to onEvent (which may be nil). It
// retries rate limits, overload, server errors and broken streams (error
// events, resets, a missing message_stop) from the start, also after
// output.
func (c *Client) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	body, err := marshalRequest(req, c.model)
	if err != nil {
		return llm.Response{}, fmt.Errorf("anthropic: encode request: %w", err)
	}
	return c.policy.Do(ctx, onEvent, func(ctx context.Context, emit func(llm.Event)) (llm.Response, error) {
		return c.attempt(ctx, body, emit)
	})
}

func (c *Client) attempt(ctx context.Context, body []byte, emit func(llm.Event)) (llm.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return llm.Response{}, fmt.Errorf("anthropic: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	hreq.Header.Set("Anthropic-Version", APIVersion)
	if c.key != "" {
		hreq.Header.Set("X-Api-Key", c.key)
	}
	res, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return llm.Response{}, fmt.Errorf("anthropic: %w", ctx.Err())
		}
		return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("anthropic: send request: %w", err)}
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return llm.Response{}, apiError(res)
	}
	return decodeStream(res.Body, emit)
}

// apiError reads an error response:
// {"type":"error","error":{"type":"...","message":"..."},"request_id":"..."}.
func apiError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	e := &llm.APIError{
		Provider:   Provider,
		Status:     res.StatusCode,
		RetryAfter: llm.RetryAfter(res.Header, time.Now()),
		RequestID:  res.Header.Get("Request-Id"),
	}
	var w struct {
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(b, &w) == nil && (w.Error.Type != "" || w.Error.Message != "") {
		e.Type, e.Message = w.Error.Type, w.Error.Message
		if e.RequestID == "" {
			e.RequestID = w.RequestID
		}
	} else {
		e.Message = snippet(b)
	}
	switch res.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Hint = "check ANTHROPIC_API_KEY"
	case http.StatusNotFound:
		e.Hint = "check the model name and ANTHROPIC_BASE_URL"
	}
	return e
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "")
}
