// Package llmtest holds fakes for testing model adapters and the code that
// uses them: scripted HTTP servers that replay provider streams byte for
// byte (split and paced as asked), fail with chosen statuses, and record
// the requests they receive; the providers' documented streams
// (Transcript, Replay; testdata/README.md names each page); faults that
// break a stream at any event or byte (Fault, Faulty); encoders that write
// an llm.Response in each provider's wire format; and a conformance suite
// every adapter runs, one file and function per area.
//
// The fakes work without *testing.T (NewAnthropicHandler, NewOpenAIHandler)
// so a server can run inside another process, for example behind
// `corral run` in a crash test. Package llmtest must not import the
// adapters: it speaks their wire formats on its own, which is what lets
// it catch their mistakes.
package llmtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply is one scripted HTTP response.
type Reply struct {
	// Status defaults to 200.
	Status int
	// Header is added to the response, e.g. Retry-After. Content-Type
	// defaults to text/event-stream for 200 and application/json otherwise.
	Header http.Header
	// Body is written byte for byte.
	Body string
	// Splits are byte offsets into Body: the handler flushes after writing
	// up to each, so the client sees separate reads.
	Splits []int
	// ChunkSize, if positive, writes Body in pieces of this many bytes with
	// a flush after each (Splits are then ignored).
	ChunkSize int
	// Pace is slept between pieces; keep it zero in tests.
	Pace time.Duration
	// Abort drops the connection after Body is written, without ending the
	// response properly, as a reset connection does.
	Abort bool
	// Hang keeps the response open after Body until the client goes away.
	Hang bool
}

// Request is a request the handler received.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// Script chooses the reply to the n-th request (counting from 0).
type Script func(n int, req Request) Reply

// Replies is a Script that answers with replies in order and with a 500
// error once they run out.
func Replies(replies ...Reply) Script {
	return func(n int, _ Request) Reply {
		if n < len(replies) {
			return replies[n]
		}
		return Reply{Status: http.StatusInternalServerError, Body: fmt.Sprintf(`{"error":{"type":"llmtest","message":"llmtest: no reply scripted for request %d"}}`, n)}
	}
}

// Handler is an http.Handler that answers POSTs to one path from a Script
// and records every request. It is safe for concurrent use.
type Handler struct {
	path   string
	script Script

	mu   sync.Mutex
	reqs []Request
}

// NewHandler returns a handler serving script at path (404 elsewhere).
func NewHandler(path string, script Script) *Handler {
	return &Handler{path: path, script: script}
}

// NewAnthropicHandler serves script at /v1/messages; point
// ANTHROPIC_BASE_URL at the server's root.
func NewAnthropicHandler(script Script) *Handler {
	return NewHandler("/v1/messages", script)
}

// NewOpenAIHandler serves script at /v1/chat/completions; point
// OPENAI_BASE_URL at the server's root plus /v1.
func NewOpenAIHandler(script Script) *Handler {
	return NewHandler("/v1/chat/completions", script)
}

// Requests returns copies of the requests received so far, in order.
func (h *Handler) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Request, len(h.reqs))
	copy(out, h.reqs)
	return out
}

// Bodies returns the bodies of the requests received so far.
func (h *Handler) Bodies() []string {
	var out []string
	for _, r := range h.Requests() {
		out = append(out, string(r.Body))
	}
	return out
}

// ServeHTTP records the request and writes the scripted reply.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != h.path {
		http.Error(w, fmt.Sprintf(`{"error":{"type":"not_found_error","message":"llmtest: %s %s is not served here"}}`, r.Method, r.URL.Path), http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	h.mu.Lock()
	n := len(h.reqs)
	h.reqs = append(h.reqs, req)
	h.mu.Unlock()

	reply := h.script(n, req)
	for k, vs := range reply.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	if w.Header().Get("Content-Type") == "" {
		if status == http.StatusOK {
			w.Header().Set("Content-Type", "text/event-stream")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	w.WriteHeader(status)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for i, piece := range reply.pieces() {
		if i > 0 && reply.Pace > 0 {
			select {
			case <-time.After(reply.Pace):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := io.WriteString(w, piece); err != nil {
			return
		}
		flush()
	}
	if reply.Abort {
		panic(http.ErrAbortHandler)
	}
	if reply.Hang {
		<-r.Context().Done()
	}
}

func (r Reply) pieces() []string {
	var out []string
	if r.ChunkSize > 0 {
		for s := r.Body; len(s) > 0; {
			n := min(r.ChunkSize, len(s))
			out = append(out, s[:n])
			s = s[n:]
		}
		return out
	}
	prev := 0
	for _, at := range r.Splits {
		if at > prev && at < len(r.Body) {
			out = append(out, r.Body[prev:at])
			prev = at
		}
	}
	return append(out, r.Body[prev:])
}

// Server is a Handler served on 127.0.0.1.
type Server struct {
	*Handler
	// URL is the server's root, e.g. http://127.0.0.1:34567.
	URL string
	// BaseURL is what the adapter should use: URL for Anthropic, URL+"/v1"
	// for OpenAI.
	BaseURL string
	srv     *httptest.Server
}

// NewAnthropicServer starts a fake Anthropic API that answers from script.
// It closes when the test ends.
func NewAnthropicServer(t testing.TB, script Script) *Server {
	t.Helper()
	s := serve(NewAnthropicHandler(script))
	s.BaseURL = s.URL
	t.Cleanup(s.Close)
	return s
}

// NewOpenAIServer starts a fake chat completions API that answers from
// script. It closes when the test ends.
func NewOpenAIServer(t testing.TB, script Script) *Server {
	t.Helper()
	s := serve(NewOpenAIHandler(script))
	s.BaseURL = s.URL + "/v1"
	t.Cleanup(s.Close)
	return s
}

func serve(h *Handler) *Server {
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	return &Server{Handler: h, URL: srv.URL, srv: srv}
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close shuts the server down, interrupting hanging replies.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}
