package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/tool"
)

// TestTranscriptLines: a retry after output says that the text printed so far is void; a
// retry before any output prints nothing; a compaction says why and when it is done, its
// summary streaming between.
func TestTranscriptLines(t *testing.T) {
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
		{"compaction", []agent.Event{
			{Type: agent.EventCompactStarted, RunID: "run_1", Seq: 9, Model: "m", Reason: "threshold", ContextTokens: 160000},
			{Type: agent.EventTextDelta, Seq: 9, Text: "The person asked for X."},
			{Type: agent.EventCompactFinished, RunID: "run_1", Seq: 9},
		}, "· compacting the conversation (threshold, about 160000 tokens)\nThe person asked for X.\n· compacted: the older turns are a summary now (step 9; corral compact --show run_1 reads it)", ""},
		{"compaction replayed", []agent.Event{
			{Type: agent.EventCompactFinished, RunID: "run_1", Seq: 9, Replayed: true},
		}, "· step 9: compaction replayed from the journal", "compacted:"},
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

// TestTranscriptParallelConnections: the connections of two commands of one turn, printed
// live, are not printed again when either command's result comes.
func TestTranscriptParallelConnections(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC)
	a := egress.Event{Time: at, Method: "CONNECT", Host: "a.test", Port: 443, Allowed: true}
	b := egress.Event{Time: at.Add(time.Millisecond), Method: "CONNECT", Host: "b.test", Port: 443, Allowed: true}
	events := make(chan agent.Event, 8)
	for _, e := range []agent.Event{
		{Type: agent.EventToolEgress, Seq: 3, Egress: &a},
		{Type: agent.EventToolEgress, Seq: 4, Egress: &b},
		{Type: agent.EventToolFinished, Seq: 3, Tool: "exec", Result: &agent.ToolOutcome{Content: "ok", Meta: &tool.Meta{Egress: []egress.Event{a}}}},
		{Type: agent.EventToolFinished, Seq: 4, Tool: "exec", Result: &agent.ToolOutcome{Content: "ok", Meta: &tool.Meta{Egress: []egress.Event{b}}}},
	} {
		events <- e
	}
	close(events)
	var out, errw bytes.Buffer
	newTranscript(&out, &errw).print(events)
	for _, c := range []egress.Event{a, b} {
		if n := strings.Count(out.String(), egress.Describe(c)); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", egress.Describe(c), n, out.String())
		}
	}
}
