package trace_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/trace"
)

// An MCP call's recorded result, with every kind of content the tool
// result keeps: text for the model, an image, a resource and a link,
// structured content; and a failed call.
const (
	mcpCfg   = `{"agent":"coder","provider":"anthropic","model":"claude-sonnet-4","tools":["exec"],"mcp":["gh"],"max_steps":5,"max_tokens":100,"sandbox":"local"}`
	mcpLLM   = `{"content":[{"type":"tool_use","id":"toolu_m1","name":"mcp__gh__get_issue","input":{"n":1}},{"type":"tool_use","id":"toolu_m2","name":"mcp__gh__close","input":{}}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":5},"model":"claude-sonnet-4","id":"msg_m"}`
	mcpOut   = `{"content":"issue 1\n[image image/png, 67 bytes]\n[resource file:///a.txt]\nhello","meta":{"mcp":{"server":"gh","tool":"get_issue","images":[{"mime_type":"image/png","data":"iVBORw0KGgo=","bytes":67}],"resources":[{"uri":"file:///a.txt","mime_type":"text/plain","bytes":5},{"uri":"https://x.test/1","name":"issue","link":true}],"structured":{"number":1}}}}`
	mcpError = `{"content":"The MCP server \"gh\" failed; the tool close did not answer: crashed","is_error":true,"meta":{"mcp":{"server":"gh","tool":"close"}}}`
)

// TestMCPSpans: an MCP call's span names the server and the tool (GenAI
// execute_tool with tool type "extension", MCP's method name, Corral's
// server, tool and content counts), in the trace, its OTLP export and its
// HTML report; a failed call is a tool error.
func TestMCPSpans(t *testing.T) {
	t.Parallel()
	steps := testSteps()[:0]
	steps = append(steps,
		step(1, "config", "run.config", "", mcpCfg, 0),
		step(2, "llm", "model", llmIn, mcpLLM, 10),
		step(3, "tool", "mcp__gh__get_issue", `{"n":1}`, mcpOut, 20),
		step(4, "tool", "mcp__gh__close", `{}`, mcpError, 30),
	)
	tr, err := trace.Build(testRun(), steps)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		span trace.Span
		want map[string]any
	}{
		{"call with every content", spanBySeq(t, tr, 3, trace.KindTool), map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "mcp__gh__get_issue", "gen_ai.tool.call.id": "toolu_m1",
			"gen_ai.tool.type": "extension", "mcp.method.name": "tools/call", "corral.mcp.server": "gh", "corral.mcp.tool": "get_issue",
			"corral.mcp.images": int64(1), "corral.mcp.resources": int64(2), "corral.tool.is_error": false}},
		{"failed call", spanBySeq(t, tr, 4, trace.KindTool), map[string]any{
			"gen_ai.tool.name": "mcp__gh__close", "corral.mcp.server": "gh", "corral.mcp.tool": "close",
			"corral.tool.is_error": true, "error.type": "tool_error"}},
	}
	for _, tc := range tests {
		for k, v := range tc.want {
			if got := tc.span.Attributes[k]; !equalAttr(got, v) {
				t.Errorf("%s: attribute %s = %#v, want %#v", tc.name, k, got, v)
			}
		}
	}
	if out := string(spanBySeq(t, tr, 3, trace.KindTool).Output); !strings.Contains(out, `"structured":{"number":1}`) || !strings.Contains(out, "iVBORw0KGgo=") {
		t.Errorf("span output = %s, want the structured content and the image kept", out)
	}
	b := testBundle()
	b.Runs[0].Steps = steps
	for _, f := range []trace.Format{trace.FormatOTLP, trace.FormatHTML} {
		var buf bytes.Buffer
		if err := trace.Export(&buf, b, f, trace.Options{}); err != nil {
			t.Fatalf("Export(%s) = %v", f, err)
		}
		for _, want := range []string{"corral.mcp.server", "mcp.method.name", "get_issue"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("Export(%s) lacks %q", f, want)
			}
		}
	}
}
