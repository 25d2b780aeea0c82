package record_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/tool"
)

// Records as the release before versions wrote them (version 0, no "v"), copied from a
// journal of the demo run and of a run with an approval.
const (
	config0      = `{"agent":"coder","provider":"demo","model":"demo-1","system":"You are Corral's coding agent.","tools":["exec","read","write"],"max_steps":50,"max_tokens":8192,"sandbox":"local","approval":{"exec":"ask"},"rules":[{"scope":"session:ses_1","lists":{"allow":["exec(npm test)"]}}]}`
	modelIn0     = `{"model":"demo-1","messages":1,"tools":6,"max_tokens":8192}`
	modelOut0    = `{"content":[{"type":"text","text":"Writing it."},{"type":"tool_use","id":"toolu_1","name":"write","input":{"path":"a.txt","content":"hi\n"}}],"stop_reason":"tool_use","usage":{"input_tokens":100,"output_tokens":10},"model":"demo-1"}`
	toolOut0     = `{"content":"wrote 3 bytes to a.txt","meta":{"path":"a.txt","bytes":3,"lines":1,"created":true}}`
	gateRequest0 = `{"tool":"exec","input":{"command":"ls"},"action_hash":"abc","preview":{"title":"Run ls"},"suggestions":["exec(ls)"]}`
	gate0        = `{"assessment":{"decision":"ask","reason":"commands ask"},"answer":{"kind":"approve","action_hash":"abc","by":"terminal"},"outcome":{"run":true,"input":{"command":"ls"},"action_hash":"abc"}}`
)

// decoders runs every decoder the same way: its record, decoded.
var decoders = map[string]func([]byte) (any, error){
	"config":        func(b []byte) (any, error) { return record.DecodeConfig(b) },
	"model input":   func(b []byte) (any, error) { return record.DecodeModelInput(b) },
	"model output":  func(b []byte) (any, error) { return record.DecodeModelOutput(b) },
	"tool output":   func(b []byte) (any, error) { return record.DecodeToolOutput(b) },
	"gate request":  func(b []byte) (any, error) { return record.DecodeGateRequest(b) },
	"gate":          func(b []byte) (any, error) { return record.DecodeGate(b) },
	"compact input": func(b []byte) (any, error) { return record.DecodeCompactInput(b) },
	"compaction":    func(b []byte) (any, error) { return record.DecodeCompaction(b) },
	"compact edit":  func(b []byte) (any, error) { return record.DecodeCompactEdit(b) },
}

// TestCompactionRecords: the compact kind's records are written at version 1, with "v",
// and read back as written.
func TestCompactionRecords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		v    any
		dec  func([]byte) (any, error)
	}{
		{"compact input", record.CompactInput{V: record.CompactionVersion, Reason: record.CompactThreshold, Messages: 40, Summarized: 30, Tokens: 6500, Window: 8000}, decoders["compact input"]},
		{"compaction", record.Compaction{V: record.CompactionVersion, Summary: "s", Ledger: "l", Kept: []llm.Message{llm.UserText("go on")}}, decoders["compaction"]},
		{"compact edit", record.CompactEdit{V: record.CompactionVersion, Run: "run_1", Seq: 7, Summary: "edited"}, decoders["compact edit"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.v)
			if err != nil || !strings.HasPrefix(string(b), `{"v":1,`) {
				t.Fatalf("Marshal(%s) = %s, %v; want it to start with version 1", tc.name, b, err)
			}
			got, err := tc.dec(b)
			if err != nil {
				t.Fatalf("Decode %s(%s) = %v", tc.name, b, err)
			}
			if d := cmp.Diff(tc.v, got); d != "" {
				t.Errorf("Decode %s(Marshal) differs (-want +got):\n%s", tc.name, d)
			}
		})
	}
}

func TestDecodeVersion0(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		want any
	}{
		{name: "config", in: config0, want: record.RunConfig{
			Agent: "coder", Provider: "demo", Model: "demo-1", System: "You are Corral's coding agent.",
			Tools: []string{"exec", "read", "write"}, MaxSteps: 50, MaxTokens: 8192, Sandbox: "local",
			Approval: approval.Policy{Exec: "ask"},
			Rules:    []record.RuleScope{{Scope: "session:ses_1", Lists: approval.RuleLists{Allow: []string{"exec(npm test)"}}}},
		}},
		{name: "model input", in: modelIn0, want: record.ModelInput{Model: "demo-1", Messages: 1, Tools: 6, MaxTokens: 8192}},
		{name: "model output", in: modelOut0, want: llm.Response{
			Content: []llm.Block{llm.TextBlock("Writing it."), {Type: llm.BlockToolUse, ID: "toolu_1", Name: "write",
				Input: json.RawMessage(`{"path":"a.txt","content":"hi\n"}`)}},
			StopReason: llm.StopToolUse, Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}, Model: "demo-1",
		}},
		{name: "tool output", in: toolOut0, want: tool.Result{Content: "wrote 3 bytes to a.txt",
			Meta: tool.Meta{Path: "a.txt", Bytes: 3, Lines: 1, Created: true}}},
		{name: "gate request", in: gateRequest0, want: approval.Request{Tool: "exec", Input: json.RawMessage(`{"command":"ls"}`),
			ActionHash: "abc", Preview: approval.Preview{Title: "Run ls"}, Suggestions: []string{"exec(ls)"}}},
		{name: "gate", in: gate0, want: record.GateRecord{
			Assessment: approval.Assessment{Decision: approval.Ask, Reason: "commands ask"},
			Answer:     &approval.Answer{Kind: approval.Approve, ActionHash: "abc", By: "terminal"},
			Outcome:    approval.Outcome{Run: true, Input: json.RawMessage(`{"command":"ls"}`), ActionHash: "abc"},
		}},
		{name: "config with v 0 written out", in: `{"v":0,"agent":"coder"}`, want: record.RunConfig{Agent: "coder"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dec := decoders[strings.TrimSuffix(tc.name, " with v 0 written out")]
			got, err := dec([]byte(tc.in))
			if err != nil {
				t.Fatalf("Decode %s(%s) = %v", tc.name, tc.in, err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Decode %s(%s) differs (-want +got):\n%s", tc.name, tc.in, d)
			}
		})
	}
}

// TestVersion0WrittenAsBefore: encoding a record at version 0 writes the bytes the release
// before versions wrote, so exports and events keep their shape.
func TestVersion0WrittenAsBefore(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
		dec  func([]byte) (any, error)
	}{
		{name: "config", in: config0, dec: decoders["config"]},
		{name: "model input", in: modelIn0, dec: decoders["model input"]},
		{name: "gate", in: gate0, dec: decoders["gate"]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := tc.dec([]byte(tc.in))
			if err != nil {
				t.Fatalf("Decode %s = %v", tc.name, err)
			}
			b, err := json.Marshal(v)
			if err != nil || string(b) != tc.in {
				t.Errorf("Marshal(Decode %s) = %s, %v, want %s", tc.name, b, err, tc.in)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	for name, dec := range decoders {
		for _, tc := range []struct {
			name string
			in   string
			want error
			msg  string
		}{
			{name: "empty", in: "", want: record.ErrMalformed, msg: "unexpected end of JSON input"},
			{name: "not JSON", in: "{oops", want: record.ErrMalformed, msg: "invalid character"},
			{name: "not an object", in: `[1,2]`, want: record.ErrMalformed, msg: "cannot unmarshal array"},
			{name: "newer version", in: `{"v":99,"outcome":{}}`, want: record.ErrVersion, msg: "version 99"},
			{name: "negative version", in: `{"v":-1,"outcome":{}}`, want: record.ErrVersion, msg: "version -1"},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				_, err := dec([]byte(tc.in))
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("Decode %s(%q) = %v, want %v saying %q", name, tc.in, err, tc.want, tc.msg)
				}
			})
		}
	}
}

func TestDecodeGateNeedsOutcome(t *testing.T) {
	t.Parallel()
	_, err := record.DecodeGate([]byte(`{"assessment":{"decision":"allow"}}`))
	if !errors.Is(err, record.ErrMalformed) || !strings.Contains(err.Error(), "no outcome") {
		t.Errorf("DecodeGate(no outcome) = %v, want %v saying no outcome", err, record.ErrMalformed)
	}
}

func TestDecodeToolInput(t *testing.T) {
	t.Parallel()
	content := "hi\n"
	for _, tc := range []struct {
		name    string
		in      string
		want    record.ToolInput
		wantErr error
	}{
		{name: "write", in: `{"path":"a.txt","content":"hi\n"}`, want: record.ToolInput{Path: "a.txt", Content: &content}},
		{name: "write without content", in: `{"path":"a.txt"}`, want: record.ToolInput{Path: "a.txt"}},
		{name: "edit", in: `{"path":"a.txt","old_string":"a","new_string":"b","replace_all":true}`,
			want: record.ToolInput{Path: "a.txt", OldString: "a", NewString: "b", ReplaceAll: true}},
		{name: "exec with other members", in: `{"command":"ls","timeout":30}`, want: record.ToolInput{Command: "ls"}},
		{name: "wrong type keeps the rest", in: `{"path":5,"command":"ls"}`, want: record.ToolInput{Command: "ls"}, wantErr: record.ErrMalformed},
		{name: "not JSON", in: `{`, wantErr: record.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := record.DecodeToolInput([]byte(tc.in))
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("DecodeToolInput(%s) error = %v, want %v", tc.in, err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("DecodeToolInput(%s) differs (-want +got):\n%s", tc.in, d)
			}
		})
	}
}
