package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
)

// A retry after output says that the text printed so far is void; a retry
// before any output prints nothing.
func TestTranscriptRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		events  []agent.Event
		want    string
		notWant string
	}{
		{"discard", []agent.Event{
			{Type: agent.EventTextDelta, Text: "Half an ans"},
			{Type: agent.EventModelRetry, Attempt: 2, Error: "anthropic: overloaded (in stream)", Discard: true},
			{Type: agent.EventTextDelta, Text: "Whole answer."},
		}, "Half an ans\n· the answer above broke off (anthropic: overloaded (in stream)); it is discarded and asked again\nWhole answer.", ""},
		{"nothing shown", []agent.Event{
			{Type: agent.EventModelRetry, Attempt: 2, Error: "anthropic: rate limited (429)"},
			{Type: agent.EventTextDelta, Text: "Answer."},
		}, "Answer.", "discarded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errw bytes.Buffer
			events := make(chan agent.Event, len(tt.events))
			for _, e := range tt.events {
				events <- e
			}
			close(events)
			newTranscript(&out, &errw).print(events)
			if got := out.String(); !strings.Contains(got, tt.want) || (tt.notWant != "" && strings.Contains(got, tt.notWant)) {
				t.Errorf("transcript = %q, want it to hold %q and not %q", got, tt.want, tt.notWant)
			}
		})
	}
}
