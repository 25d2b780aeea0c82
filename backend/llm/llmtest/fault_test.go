package llmtest

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"lf", "event: a\ndata: 1\n\ndata: 2\n\n", []string{"event: a\ndata: 1\n\n", "data: 2\n\n"}},
		{"crlf", "data: 1\r\n\r\ndata: 2\r\n\r\n", []string{"data: 1\r\n\r\n", "data: 2\r\n\r\n"}},
		{"unterminated tail", "data: 1\n\ndata: 2", []string{"data: 1\n\n", "data: 2"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		got := Events(tt.body)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Events(%q) = %q, want %q", tt.name, tt.body, got, tt.want)
		}
		if strings.Join(got, "") != tt.body {
			t.Errorf("%s: joined events differ from the body", tt.name)
		}
	}
}

func TestFaultReply(t *testing.T) {
	t.Parallel()
	body := "data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"
	tests := []struct {
		name  string
		fault Fault
		want  Reply
	}{
		{"drop after events", Fault{Kind: FaultDrop, Events: 1}, Reply{Body: "data: 1\n\n", Abort: true}},
		{"drop after bytes", Fault{Kind: FaultDrop, Bytes: 12}, Reply{Body: "data: 1\n\ndat", Abort: true}},
		{"error event", Fault{Kind: FaultError, Events: 2, ErrorEvent: "data: {\"error\":{}}\n\n"}, Reply{Body: "data: 1\n\ndata: 2\n\ndata: {\"error\":{}}\n\n"}},
		{"truncate before final", Fault{Kind: FaultTruncate, Events: 2}, Reply{Body: "data: 1\n\ndata: 2\n\n"}},
		{"garbage", Fault{Kind: FaultGarbage}, Reply{Body: GarbageEvent}},
		{"events beyond the end", Fault{Kind: FaultTruncate, Events: 9}, Reply{Body: body}},
	}
	for _, tt := range tests {
		if got := tt.fault.Reply(body); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Reply() = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestFaulty(t *testing.T) {
	t.Parallel()
	script := Faulty(Replies(Reply{Body: "data: 1\n\n", ChunkSize: 3, Pace: time.Millisecond}, Reply{Body: "data: 1\n\n"}, Reply{Status: 500, Body: "x"}), EveryOther(Fault{Kind: FaultGarbage}))
	want := []Reply{{Body: GarbageEvent, ChunkSize: 3, Pace: time.Millisecond}, {Body: "data: 1\n\n"}, {Status: 500, Body: "x"}}
	for n, w := range want {
		if got := script(n, Request{}); !reflect.DeepEqual(got, w) {
			t.Errorf("reply %d = %+v, want %+v", n, got, w)
		}
	}
}
