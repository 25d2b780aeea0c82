package trace_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/trace"
)

// A full export carries a model step's thinking and its signature; a NoContent export drops
// both, as it drops everything said.
func TestThinkingExport(t *testing.T) {
	t.Parallel()
	const thought, signature = "The user wants the tests fixed; run them first.", "EuYBCkQYAiJAgCs1le6"
	b := testBundle()
	b.Runs[0].Steps[5].Output = []byte(`{"content":[{"type":"thinking","thinking":"` + thought + `","signature":"` + signature + `"},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va"},{"type":"text","text":"Tests fail."}],"stop_reason":"end_turn","usage":{"input_tokens":120,"output_tokens":5},"model":"claude-sonnet-4-20250514","id":"msg_2"}`)
	tests := []struct {
		name      string
		opts      trace.Options
		wantShown bool
	}{
		{"full", trace.Options{}, true},
		{"no content", trace.Options{NoContent: true}, false},
	}
	for _, tt := range tests {
		for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
			t.Run(tt.name+"/"+string(format), func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := trace.Export(&buf, b, format, tt.opts); err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{thought, signature, "EmwKAhgBEgy3va"} {
					if got := strings.Contains(buf.String(), s); got != tt.wantShown && (tt.wantShown == false || format == trace.FormatJSON) {
						t.Errorf("%s %s export contains %q = %v, want %v", tt.name, format, s, got, tt.wantShown)
					}
				}
			})
		}
	}
}
