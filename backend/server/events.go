package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// clientBacklog is how many undelivered events a browser may fall behind by before it is
// disconnected (its EventSource reconnects and the UI reloads state).
const clientBacklog = 256

// hub fans named events out to the browsers connected to GET /api/events.
type hub struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
}

// Emit sends a named event to every connected browser, as one server-sent event whose data
// is {"name": name, "data": data}. It never blocks: a browser too far behind is dropped.
func (s *Server) Emit(name string, data any) {
	payload, err := json.Marshal(struct {
		Name string `json:"name"`
		Data any    `json:"data"`
	}{name, data})
	if err != nil {
		return
	}
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	for c := range s.events.clients {
		select {
		case c <- payload:
		default:
			delete(s.events.clients, c)
			close(c)
		}
	}
}

// handleEvents streams events to one browser until it goes away.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		httpError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	c := make(chan []byte, clientBacklog)
	s.events.mu.Lock()
	if s.events.clients == nil {
		s.events.clients = map[chan []byte]struct{}{}
	}
	s.events.clients[c] = struct{}{}
	s.events.mu.Unlock()
	defer func() {
		s.events.mu.Lock()
		if _, ok := s.events.clients[c]; ok {
			delete(s.events.clients, c)
			close(c)
		}
		s.events.mu.Unlock()
	}()

	// The stream outlives the server's read and write timeouts: reads (which only notice the
	// browser leaving) have none, and each write gets its own deadline, so a browser that
	// stops reading is dropped and one that reads is kept.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	extend := func() { _ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) }
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	extend()
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case payload, ok := <-c:
			if !ok {
				return // dropped for falling behind
			}
			extend()
			fmt.Fprintf(w, "data: %s\n\n", payload)
			flusher.Flush()
		case <-keepalive.C:
			extend()
			fmt.Fprint(w, ": keepalive\n\n")
			flusher.Flush()
		case <-r.Context().Done():
			return
		}
	}
}
