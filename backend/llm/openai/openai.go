// Package openai adapts the OpenAI chat completions API (streaming) to
// llm.Model: POST {base}/chat/completions. The same wire format is served by
// Ollama, LM Studio, vLLM and OpenRouter, so BaseURL may point at any of
// them. It owns the wire format and error mapping; it must not know about
// runs, journals or tools beyond their specs.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/llm"
)

// Defaults.
const (
	DefaultBaseURL   = "https://api.openai.com/v1"
	DefaultModel     = "gpt-4.1"
	DefaultMaxTokens = 8192

	// Provider is the name used in errors.
	Provider = "openai"
)

// Options configure a Client. Zero values take defaults.
type Options struct {
	// APIKey is sent as a bearer token; leave it empty for local servers.
	APIKey string
	// BaseURL includes the version path (default DefaultBaseURL), e.g.
	// http://localhost:11434/v1 for Ollama.
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
	// MaxTokensField names the output cap in the request body:
	// MaxTokens or MaxCompletionTokens. Empty picks per request by host and
	// model (see TokenLimitField); llm.Request.MaxTokensField overrides it.
	MaxTokensField string
}

// The names the output cap has on the wire.
const (
	MaxTokens           = "max_tokens"
	MaxCompletionTokens = "max_completion_tokens"
)

// TokenLimitField returns the name of the output cap for model on the
// server at baseURL. OpenAI's own API and Azure OpenAI take
// max_completion_tokens (Azure deployments are named by their owner, so
// the model family cannot be told from the name); OpenAI's reasoning
// models (o1, o3, o4, gpt-5 and later), which reject max_tokens, take it on
// any host, also behind a gateway that prefixes the name ("openai/o3");
// other compatible servers (Ollama, vLLM, LM Studio) read max_tokens.
func TokenLimitField(baseURL, model string) string {
	if u, err := url.Parse(baseURL); err == nil {
		host := strings.ToLower(u.Hostname())
		if host == "api.openai.com" || strings.HasSuffix(host, ".openai.azure.com") || strings.HasSuffix(host, ".cognitiveservices.azure.com") {
			return MaxCompletionTokens
		}
	}
	if reasoningModel(model) {
		return MaxCompletionTokens
	}
	return MaxTokens
}

// reasoningModel reports whether model names an OpenAI reasoning model.
func reasoningModel(model string) bool {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range []string{"o1", "o3", "o4"} {
		if m == p || strings.HasPrefix(m, p+"-") {
			return true
		}
	}
	if rest, ok := strings.CutPrefix(m, "gpt-"); ok && rest != "" && rest[0] >= '5' && rest[0] <= '9' {
		return true
	}
	return false
}

// Client streams chat completions. It is safe for concurrent use.
type Client struct {
	key            string
	base           string
	url            string
	model          string
	maxTokensField string
	http           *http.Client
	policy         llm.RetryPolicy
}

var _ llm.Model = (*Client)(nil)

// New returns a client for opts.
func New(opts Options) *Client {
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	c := &Client{
		key:            opts.APIKey,
		base:           base,
		url:            base + "/chat/completions",
		model:          opts.Model,
		maxTokensField: opts.MaxTokensField,
		http:           opts.HTTPClient,
		policy:         llm.RetryPolicyFor(opts.MaxRetries, opts.RetryBaseDelay, opts.RetryMaxDelay),
	}
	if c.model == "" {
		c.model = DefaultModel
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	return c
}

// OptionsFromEnv reads OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL
// through getenv.
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{
		APIKey:  getenv("OPENAI_API_KEY"),
		BaseURL: getenv("OPENAI_BASE_URL"),
		Model:   getenv("OPENAI_MODEL"),
	}
}

// FromEnv returns a client configured from the process environment. A key
// is required only for the default base URL; local servers need none.
func FromEnv() (*Client, error) {
	opts := OptionsFromEnv(os.Getenv)
	if opts.APIKey == "" && opts.BaseURL == "" {
		return nil, fmt.Errorf("openai: OPENAI_API_KEY is not set: %w", llm.ErrNoCredentials)
	}
	return New(opts), nil
}

// Model returns the model used when a Request names none.
func (c *Client) Model() string { return c.model }

// Stream sends req and streams the reply to onEvent (which may be nil). It
// retries rate limits, server errors and broken streams from the start,
// also after output.
func (c *Client) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	field := c.maxTokensField
	if field == "" {
		model := req.Model
		if model == "" {
			model = c.model
		}
		field = TokenLimitField(c.base, model)
	}
	body, err := marshalRequest(req, c.model, field)
	if err != nil {
		return llm.Response{}, fmt.Errorf("openai: encode request: %w", err)
	}
	return c.policy.Do(ctx, onEvent, func(ctx context.Context, emit func(llm.Event)) (llm.Response, error) {
		return c.attempt(ctx, body, emit)
	})
}

func (c *Client) attempt(ctx context.Context, body []byte, emit func(llm.Event)) (llm.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return llm.Response{}, fmt.Errorf("openai: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "text/event-stream")
	if c.key != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.key)
	}
	res, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return llm.Response{}, fmt.Errorf("openai: %w", ctx.Err())
		}
		return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("openai: send request: %w", err)}
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return llm.Response{}, apiError(res, res.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt == "application/json" {
		// Some compatible servers answer 200 with a JSON error body.
		return llm.Response{}, apiError(res, 0)
	}
	return decodeStream(res.Body, emit)
}

// wireError is {"message","type","param","code"}; some servers send a bare
// string instead.
type wireError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

func (w *wireError) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*w = wireError{Message: s}
		return nil
	}
	type plain wireError
	return json.Unmarshal(b, (*plain)(w))
}

func (w *wireError) apiError(status int) *llm.APIError {
	e := &llm.APIError{Provider: Provider, Status: status, Type: w.Type, Message: w.Message}
	var code string
	if json.Unmarshal(w.Code, &code) == nil {
		e.Code = code
	} else if len(w.Code) > 0 && string(w.Code) != "null" {
		e.Code = string(w.Code)
	}
	if e.Type == "" && e.Code != "" && status == 0 {
		e.Type = e.Code
	}
	return e
}

// apiError reads an error body {"error":{...}} from res, reported with status.
func apiError(res *http.Response, status int) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var w struct {
		Error *wireError `json:"error"`
	}
	var e *llm.APIError
	if json.Unmarshal(b, &w) == nil && w.Error != nil {
		e = w.Error.apiError(status)
	} else if status == 0 {
		return fmt.Errorf("openai: %w: JSON body instead of an event stream: %s", llm.ErrMalformedStream, snippet(b))
	} else {
		e = &llm.APIError{Provider: Provider, Status: status, Message: snippet(b)}
	}
	e.RetryAfter = llm.RetryAfter(res.Header, time.Now())
	e.RequestID = res.Header.Get("X-Request-Id")
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Hint = "check OPENAI_API_KEY"
	case http.StatusNotFound:
		e.Hint = "check the model name and OPENAI_BASE_URL"
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
