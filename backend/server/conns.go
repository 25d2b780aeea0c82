package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// connLimit bounds a server's open connections. It is the http.Server's ConnState hook: at
// the limit, a new connection closes the one that has been idle (or silent since it was
// accepted) the longest, and is itself closed when every other connection is busy with a
// request. Requests are bounded by the read and write timeouts, so the connections that
// stay are the ones in use; idle keep-alives from one client cannot crowd out another.
type connLimit struct {
	max int
	mu  sync.Mutex
	all map[net.Conn]connState
}

type connState struct {
	state http.ConnState
	since time.Time
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, all: make(map[net.Conn]connState)}
}

// track follows one connection's state changes.
func (l *connLimit) track(c net.Conn, st http.ConnState) {
	var victim net.Conn
	l.mu.Lock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(l.all, c)
	case http.StateNew:
		if len(l.all) >= l.max {
			victim = l.oldestUnused()
			if victim == nil {
				victim = c // every connection is serving a request
			} else {
				delete(l.all, victim)
			}
		}
		if victim != c {
			l.all[c] = connState{st, time.Now()}
		}
	default:
		if _, ok := l.all[c]; ok {
			l.all[c] = connState{st, time.Now()}
		}
	}
	l.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
}

// oldestUnused returns the connection idle or silent the longest, or nil.
func (l *connLimit) oldestUnused() net.Conn {
	var out net.Conn
	var since time.Time
	for c, s := range l.all {
		if s.state != http.StateIdle && s.state != http.StateNew {
			continue
		}
		if out == nil || s.since.Before(since) {
			out, since = c, s.since
		}
	}
	return out
}

// open returns the number of connections tracked.
func (l *connLimit) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.all)
}
