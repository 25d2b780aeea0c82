package llmtest

import (
	"strings"
)

// FaultKind says how a Fault breaks a stream.
type FaultKind int

// The ways a stream breaks.
const (
	// FaultDrop resets the connection after the events (or bytes) kept.
	FaultDrop FaultKind = iota
	// FaultError sends the provider's error event (Fault.ErrorEvent) after
	// the events kept and ends the response properly.
	FaultError
	// FaultTruncate ends the response properly after the events (or bytes)
	// kept, so the stream lacks its final event.
	FaultTruncate
	// FaultGarbage sends an event whose data is not JSON after the events
	// kept.
	FaultGarbage
)

// GarbageEvent is the undecodable event FaultGarbage sends.
const GarbageEvent = "data: {this is not json\n\n"

// Fault breaks a recorded or encoded stream at a chosen point.
type Fault struct {
	Kind FaultKind
	// Events is how many of the stream's events are sent before the fault.
	Events int
	// Bytes, when positive, cuts the body at this byte offset instead (for
	// FaultDrop and FaultTruncate), which may fall inside an event.
	Bytes int
	// ErrorEvent is what FaultError sends, e.g. AnthropicStreamError(...).
	ErrorEvent string
}

// Reply returns the reply that streams body broken by f.
func (f Fault) Reply(body string) Reply {
	kept := strings.Join(limit(Events(body), f.Events), "")
	if f.Bytes > 0 && (f.Kind == FaultDrop || f.Kind == FaultTruncate) {
		kept = body[:min(f.Bytes, len(body))]
	}
	switch f.Kind {
	case FaultDrop:
		return Reply{Body: kept, Abort: true}
	case FaultError:
		return Reply{Body: kept + f.ErrorEvent}
	case FaultGarbage:
		return Reply{Body: kept + GarbageEvent}
	}
	return Reply{Body: kept}
}

func limit(events []string, n int) []string {
	return events[:max(0, min(n, len(events)))]
}

// Events splits an event stream after each blank line (LF or CRLF), so
// that joining the pieces gives body back.
func Events(body string) []string {
	var out []string
	for len(body) > 0 {
		i, n := strings.Index(body, "\n\n"), 2
		if j := strings.Index(body, "\r\n\r\n"); j >= 0 && (i < 0 || j < i) {
			i, n = j, 4
		}
		if i < 0 {
			return append(out, body)
		}
		out = append(out, body[:i+n])
		body = body[i+n:]
	}
	return out
}

// Faulty wraps script so that each request for which fault answers true
// gets script's reply broken by the Fault it returns, written with the same
// headers, chunk size and pace. A reply that is not a 200 stream is passed
// through unbroken.
func Faulty(script Script, fault func(n int) (Fault, bool)) Script {
	return func(n int, req Request) Reply {
		r := script(n, req)
		f, ok := fault(n)
		if !ok || (r.Status != 0 && r.Status != 200) {
			return r
		}
		broken := f.Reply(r.Body)
		broken.Header, broken.ChunkSize, broken.Pace = r.Header, r.ChunkSize, r.Pace
		return broken
	}
}

// EveryOther breaks the even-numbered requests (the first, third, ...)
// with f, so each call fails once and succeeds on its retry.
func EveryOther(f Fault) func(n int) (Fault, bool) {
	return func(n int) (Fault, bool) { return f, n%2 == 0 }
}
