package app

import (
	"strconv"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
)

// Consecutive deltas of one step and one kind are merged; a text delta never swallows a
// thinking delta, nor one of another step.
func TestAppendMerged(t *testing.T) {
	t.Parallel()
	d := func(typ agent.EventType, seq int, text string) agent.Event {
		return agent.Event{Type: typ, RunID: "r", Seq: seq, Text: text}
	}
	tests := []struct {
		name   string
		events []agent.Event
		want   []string // type:seq:text of the batch
	}{
		{"text merged", []agent.Event{d(agent.EventTextDelta, 2, "Hel"), d(agent.EventTextDelta, 2, "lo")}, []string{"text.delta:2:Hello"}},
		{"thinking merged", []agent.Event{d(agent.EventThinkingDelta, 2, "Think "), d(agent.EventThinkingDelta, 2, "first")}, []string{"thinking.delta:2:Think first"}},
		{"kinds kept apart", []agent.Event{d(agent.EventThinkingDelta, 2, "Why"), d(agent.EventTextDelta, 2, "Answer")}, []string{"thinking.delta:2:Why", "text.delta:2:Answer"}},
		{"steps kept apart", []agent.Event{d(agent.EventTextDelta, 2, "a"), d(agent.EventTextDelta, 4, "b")}, []string{"text.delta:2:a", "text.delta:4:b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var batch []agent.Event
			for _, ev := range tt.events {
				batch = appendMerged(batch, ev)
			}
			var got []string
			for _, ev := range batch {
				got = append(got, string(ev.Type)+":"+strconv.Itoa(ev.Seq)+":"+ev.Text)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("appendMerged(%v) = %q, want %q", tt.events, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("appendMerged batch[%d] = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
