package sandbox

import (
	"strconv"
	"sync"
)

// LimitedBuffer is an io.Writer that keeps at most a fixed number of bytes
// of what is written to it: the first half and the last half, counting the
// bytes in between as dropped. The head of a long build log shows what ran,
// the tail how it ended. It is safe for concurrent use; writes never fail.
type LimitedBuffer struct {
	mu      sync.Mutex
	head    []byte
	tail    []byte // the bytes after head; a full ring once wrapped
	pos     int    // oldest byte of the ring, once wrapped
	wrapped bool
	headMax int
	tailMax int
	total   int64
}

// NewLimitedBuffer returns a buffer keeping at most limit bytes (at least 2).
func NewLimitedBuffer(limit int) *LimitedBuffer {
	limit = max(limit, 2)
	b := &LimitedBuffer{headMax: limit / 2, tailMax: limit - limit/2}
	b.head = make([]byte, 0, min(b.headMax, 4096))
	b.tail = make([]byte, 0, min(b.tailMax, 4096))
	return b
}

// Write keeps what fits in the head and rolls the rest through the tail.
func (b *LimitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	b.total += int64(n)
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if !b.wrapped && len(b.tail)+len(p) <= b.tailMax {
		b.tail = append(b.tail, p...)
		return n, nil
	}
	if !b.wrapped {
		full := make([]byte, b.tailMax)
		copy(full, b.tail)
		b.pos = len(b.tail)
		b.tail = full
		b.wrapped = true
	}
	if len(p) >= b.tailMax {
		copy(b.tail, p[len(p)-b.tailMax:])
		b.pos = 0
		return n, nil
	}
	k := copy(b.tail[b.pos:], p)
	copy(b.tail, p[k:])
	b.pos = (b.pos + len(p)) % b.tailMax
	return n, nil
}

// Len returns the number of bytes written, kept or not.
func (b *LimitedBuffer) Len() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Dropped returns the number of bytes written but not kept.
func (b *LimitedBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped()
}

func (b *LimitedBuffer) dropped() int64 {
	if !b.wrapped {
		return 0
	}
	return b.total - int64(b.headMax) - int64(b.tailMax)
}

// String returns the kept bytes. When bytes were dropped, the head and the
// tail are joined by a marker line: "\n[... N bytes omitted ...]\n".
func (b *LimitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.wrapped {
		return string(b.head) + string(b.tail)
	}
	marker := OmittedMarker(b.dropped())
	out := make([]byte, 0, len(b.head)+len(marker)+len(b.tail))
	out = append(out, b.head...)
	out = append(out, marker...)
	out = append(out, b.tail[b.pos:]...)
	out = append(out, b.tail[:b.pos]...)
	return string(out)
}

// OmittedMarker is the line LimitedBuffer puts where it dropped n bytes.
func OmittedMarker(n int64) string {
	return "\n[... " + strconv.FormatInt(n, 10) + " bytes omitted ...]\n"
}
