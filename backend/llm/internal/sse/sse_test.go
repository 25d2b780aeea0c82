package sse

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
)

func decodeAll(r io.Reader) ([]Event, error) {
	d := NewDecoder(r)
	var out []Event
	for {
		ev, err := d.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func TestDecoder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []Event
		wantErr error
	}{
		{
			name: "named events",
			in:   "event: a\ndata: {\"x\":1}\n\nevent: b\ndata: 2\n\n",
			want: []Event{{Name: "a", Data: []byte(`{"x":1}`)}, {Name: "b", Data: []byte("2")}},
		},
		{
			name: "crlf and lone cr",
			in:   "data: 1\r\n\r\ndata: 2\r\rdata: 3\n\n",
			want: []Event{{Data: []byte("1")}, {Data: []byte("2")}, {Data: []byte("3")}},
		},
		{
			name: "multi-line data, no space after colon, comments",
			in:   ": keep-alive\ndata:a\ndata: b\nid: 7\nretry: 10\n\n",
			want: []Event{{Data: []byte("a\nb")}},
		},
		{
			name: "event without data is not dispatched",
			in:   "event: ping\n\ndata: x\n\n",
			want: []Event{{Data: []byte("x")}},
		},
		{
			name: "final event without blank line",
			in:   "data: [DONE]\n",
			want: []Event{{Data: []byte("[DONE]")}},
		},
		{
			name:    "cut inside a line",
			in:      "data: 1\n\ndata: {\"typ",
			want:    []Event{{Data: []byte("1")}},
			wantErr: ErrUnterminated,
		},
		{
			name: "utf-8 preserved",
			in:   "data: h\xc3\xa9llo \xf0\x9f\x8c\x8d\n\n",
			want: []Event{{Data: []byte("héllo 🌍")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for split := 0; split <= len(tt.in); split++ {
				r := io.MultiReader(iotest.HalfReader(bytes.NewReader([]byte(tt.in[:split]))), bytes.NewReader([]byte(tt.in[split:])))
				got, err := decodeAll(r)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("split %d: err = %v, want %v", split, err, tt.wantErr)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("split %d: events = %q, want %q", split, got, tt.want)
				}
			}
			got, err := decodeAll(iotest.OneByteReader(bytes.NewReader([]byte(tt.in))))
			if !errors.Is(err, tt.wantErr) || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("one byte reads: events = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDecoderReadError(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader([]byte("data: 1\n\ndata: 2")), iotest.ErrReader(boom))
	got, err := decodeAll(r)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if len(got) != 1 {
		t.Fatalf("events = %q, want one", got)
	}
}
