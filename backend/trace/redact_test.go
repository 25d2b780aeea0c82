package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// exportPrompt exports a bundle whose prompt is text and returns the prompt
// as the JSON bundle has it.
func exportPrompt(t *testing.T, text string, opts trace.Options) string {
	t.Helper()
	b := testBundle()
	b.Runs[0].Run.Prompt = text
	var buf bytes.Buffer
	if err := trace.Export(&buf, b, trace.FormatJSON, opts); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Runs []struct {
			Run struct {
				Prompt string `json:"prompt"`
			} `json:"run"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out.Runs[0].Run.Prompt
}

func TestRedactPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"anthropic key", "key sk-ant-api03-AbCdEf0123456789_xyz-QQ done", "key [REDACTED] done"},
		{"openai key", "use sk-proj-abcdefghijklmnopqrstuvwx now", "use [REDACTED] now"},
		{"github token", "ghp_0123456789abcdefghijABCDEFGHIJ012345", "[REDACTED]"},
		{"github app token", "token: ghs_0123456789abcdefghijABCDEF", "token: [REDACTED]"},
		{"github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED]"},
		{"slack", "xoxb-1234567890-abcdefghij", "[REDACTED]"},
		{"aws key id", "AKIAIOSFODNN7EXAMPLE in env", "[REDACTED] in env"},
		{"bearer", "Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9-x_y", "Authorization: Bearer [REDACTED]"},
		{"private key", "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\nafter", "before\n[REDACTED]\nafter"},
		{"private key cut short", "x -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA", "x [REDACTED]"},
		{"env assignment", "export OPENAI_API_KEY=abc123 && run", "export OPENAI_API_KEY=[REDACTED] && run"},
		{"env quoted", `DB_PASSWORD="two words" ./x`, `DB_PASSWORD="[REDACTED]" ./x`},
		{"env lower case", "github_token=zzz9", "github_token=[REDACTED]"},
		{"several", "A_SECRET=1 B_TOKEN=2 PLAIN=3", "A_SECRET=[REDACTED] B_TOKEN=[REDACTED] PLAIN=3"},
		{"credentials", "GOOGLE_APPLICATION_CREDENTIALS=/k.json", "GOOGLE_APPLICATION_CREDENTIALS=[REDACTED]"},
		{"json member", `{"API_KEY": "v4lue", "name": "x"}`, `{"API_KEY": "[REDACTED]", "name": "x"}`},
		{"not a secret", "PATH=/usr/bin sk-short go test ./... keyboard", "PATH=/usr/bin sk-short go test ./... keyboard"},
		{"user pattern", "ticket INTERNAL-4242 opened", "ticket [REDACTED] opened"},
	}
	opts := trace.Options{Redact: []*regexp.Regexp{regexp.MustCompile(`INTERNAL-\d+`)}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := exportPrompt(t, tc.in, opts); got != tc.want {
				t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// secrets are planted everywhere a secret can hide in a run.
var secrets = []string{
	"sk-ant-api03-PLANTEDinPROMPT0000", "ghp_PLANTEDinTOOLINPUT0000000000000", "AKIAPLANTEDOUTPUT000",
	"PLANTEDenvVALUE", "PLANTEDmemberVALUE", "xoxp-PLANTED000000", "PLANTEDpemBODY", "PLANTEDerrorTOKEN", "PLANTED-user-7",
}

func plantedBundle() trace.Bundle {
	b := testBundle()
	h := &b.Runs[0]
	h.Run.Prompt = "deploy with sk-ant-api03-PLANTEDinPROMPT0000"
	h.Steps[2].Input = []byte(`{"command":"GH=ghp_PLANTEDinTOOLINPUT0000000000000 OPENAI_API_KEY=PLANTEDenvVALUE make"}`)
	h.Steps[2].Output = []byte(`{"content":"AKIAPLANTEDOUTPUT000\n-----BEGIN EC PRIVATE KEY-----\nPLANTEDpemBODY\n-----END EC PRIVATE KEY-----","meta":{"exit_code":0}}`)
	h.Steps[3].Input = []byte(`{"path":"a.go","env":{"SLACK_TOKEN":"PLANTEDmemberVALUE"},"note":"xoxp-PLANTED000000 PLANTED-user-7"}`)
	h.Steps[5].Status, h.Steps[5].Output, h.Steps[5].Error = journal.StepFailed, nil, "401: Authorization: Bearer PLANTEDerrorTOKEN rejected"
	return b
}

// TestRedactEveryFormat plants secrets in the prompt, tool inputs and
// outputs and an error, and checks that no export lets one out.
func TestRedactEveryFormat(t *testing.T) {
	t.Parallel()
	opts := trace.Options{Redact: []*regexp.Regexp{regexp.MustCompile(`PLANTED-user-\d`)}}
	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			b := plantedBundle()
			var buf bytes.Buffer
			if err := trace.Export(&buf, b, format, opts); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s export contains %q", format, s)
				}
			}
			if !strings.Contains(out, trace.Redacted) {
				t.Errorf("%s export has no %s marker", format, trace.Redacted)
			}
			if !strings.Contains(plantedBundle().Runs[0].Run.Prompt, "PLANTED") || !bytes.Contains(b.Runs[0].Steps[2].Input, []byte("PLANTED")) {
				t.Errorf("Export changed the caller's bundle")
			}
		})
	}
	// The OTLP request given to Push is redacted too.
	req, err := trace.OTLP(plantedBundle(), opts)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := trace.MarshalOTLP(req)
	for _, s := range secrets {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("OTLP request contains %q", s)
		}
	}
}

// TestNoContent checks that a NoContent export keeps structure, timings,
// tokens and costs and drops everything said.
func TestNoContent(t *testing.T) {
	t.Parallel()
	said := []string{"fix it", "make test", "a.go", "package a", "Running.", "Tests fail.", "be brief", "FAIL", "rm -rf build"}
	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := trace.Export(&buf, testBundle(), format, trace.Options{NoContent: true}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, s := range said {
				if strings.Contains(out, s) {
					t.Errorf("NoContent %s export contains %q", format, s)
				}
			}
			for _, s := range []string{"claude-sonnet-4-20250514", "toolu_1", "exec", "tool_use"} {
				if !strings.Contains(out, s) {
					t.Errorf("NoContent %s export lacks %q", format, s)
				}
			}
			if format == trace.FormatHTML {
				return
			}
			// It still imports, and its trace has the same shape, tokens and times.
			sink := &memSink{}
			if _, err := trace.Import(context.Background(), &buf, sink); err != nil {
				t.Fatalf("Import(NoContent %s) = %v", format, err)
			}
			want, _ := trace.Build(testRun(), testSteps())
			got, _ := trace.Build(sink.runs[0].Run, sink.runs[0].Steps)
			if len(got.Spans) != len(want.Spans) || got.Run.Usage != want.Run.Usage || got.Run.CostUSD != want.Run.CostUSD {
				t.Fatalf("NoContent trace: %d spans, usage %+v, cost %v; want %d, %+v, %v",
					len(got.Spans), got.Run.Usage, got.Run.CostUSD, len(want.Spans), want.Run.Usage, want.Run.CostUSD)
			}
			for i := range got.Spans {
				g, w := got.Spans[i], want.Spans[i]
				if g.ID != w.ID || g.Kind != w.Kind || g.Name != w.Name || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) ||
					g.Attributes["gen_ai.tool.call.id"] != w.Attributes["gen_ai.tool.call.id"] {
					t.Errorf("NoContent span %d = %s %q %v..%v, want %s %q %v..%v", i, g.Kind, g.Name, g.Start, g.End, w.Kind, w.Name, w.Start, w.End)
				}
			}
		})
	}
}
