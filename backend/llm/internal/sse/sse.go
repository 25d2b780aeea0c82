// Package sse decodes a server-sent events stream (the WHATWG "event stream"
// format) into events. It owns line splitting (LF, CRLF or CR, across any
// read boundary) and field parsing; it must not know what the data means.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLine is the longest line the decoder accepts.
const MaxLine = 16 << 20

// ErrUnterminated means the stream ended in the middle of a line, so the
// last event was cut short.
var ErrUnterminated = errors.New("sse: stream ends inside a line")

// Event is one dispatched event.
type Event struct {
	// Name is the event field; empty when the event had none.
	Name string
	// Data is the data field lines joined with "\n".
	Data []byte
}

// Decoder reads events from a stream.
type Decoder struct {
	s       *bufio.Scanner
	name    string
	data    []byte
	hasData bool
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64<<10), MaxLine)
	s.Split(splitLines)
	return &Decoder{s: s}
}

// Next returns the next event. At the end of the stream it returns io.EOF,
// after dispatching a final event that lacked its blank line. A read error,
// ErrUnterminated or bufio.ErrTooLong is returned as is.
func (d *Decoder) Next() (Event, error) {
	for d.s.Scan() {
		line := d.s.Bytes()
		if len(line) == 0 {
			if ev, ok := d.dispatch(); ok {
				return ev, nil
			}
			continue
		}
		if line[0] == ':' { // comment, e.g. keep-alive
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			d.name = string(value)
		case "data":
			if d.hasData {
				d.data = append(d.data, '\n')
			}
			d.data = append(d.data, value...)
			d.hasData = true
		}
		// id, retry and unknown fields are ignored, as the format requires.
	}
	if err := d.s.Err(); err != nil {
		return Event{}, err
	}
	if ev, ok := d.dispatch(); ok {
		return ev, nil
	}
	return Event{}, io.EOF
}

func (d *Decoder) dispatch() (Event, bool) {
	if !d.hasData {
		d.name = ""
		return Event{}, false
	}
	ev := Event{Name: d.name, Data: d.data}
	d.name, d.data, d.hasData = "", nil, false
	return ev, true
}

// splitLines is a bufio.SplitFunc for lines ended by LF, CRLF or a lone CR.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if !atEOF {
			return 0, nil, nil // a CR at the end of the buffer may start a CRLF
		}
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return 0, nil, ErrUnterminated
	}
	return 0, nil, nil
}
