package mcp

import "sync"

// ring keeps the last bytes written to it: a server's stderr, bounded
// however much it writes.
type ring struct {
	mu      sync.Mutex
	buf     []byte
	size    int
	dropped int64
}

func newRing(size int) *ring { return &ring{size: size} }

// Write keeps the tail of p; it never fails.
func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	if over := len(r.buf) - r.size; over > 0 {
		r.dropped += int64(over)
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	return len(p), nil
}

// String returns what is kept, with a first line saying how much went.
func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dropped > 0 {
		return "[" + itoa(r.dropped) + " earlier bytes dropped]\n" + string(r.buf)
	}
	return string(r.buf)
}

// tail returns at most n of the last bytes kept.
func (r *ring) tail(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buf
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var d [20]byte
	i := len(d)
	for ; n > 0; n /= 10 {
		i--
		d[i] = byte('0' + n%10)
	}
	return string(d[i:])
}
