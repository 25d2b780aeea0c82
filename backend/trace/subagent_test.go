package trace_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/trace"
)

// delegating is a model for a lead that delegates two tasks in one turn to helpers, which
// answer at once.
type delegating struct{}

func (delegating) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	k := trace.Turn(req.Messages)
	resp := llm.Response{StopReason: llm.StopEndTurn, Model: req.Model, ID: fmt.Sprintf("msg_%s_%d", req.System, k),
		Usage: llm.Usage{InputTokens: 100, OutputTokens: 10}}
	switch {
	case req.System == "lead" && k == 0:
		resp.StopReason = llm.StopToolUse
		resp.Content = []llm.Block{
			llm.NewToolUse("toolu_1", "task", `{"agent":"helper","prompt":"one"}`),
			llm.NewToolUse("toolu_2", "task", `{"agent":"helper","prompt":"two"}`)}
	case req.System == "lead":
		resp.Content = []llm.Block{llm.TextBlock("both done")}
	default:
		resp.Content = []llm.Block{llm.TextBlock("helped with " + req.Messages[0].Content[0].Text)}
	}
	return resp, nil
}

// recordDelegation drives a lead run with two helpers on j.
func recordDelegation(t *testing.T, j *journal.Journal) (journal.Run, []journal.Run) {
	t.Helper()
	r := newRunner(j, delegating{})
	r.SetAgents(map[string]agent.Definition{
		"lead":   {ID: "lead", System: "lead", Tools: []string{"read"}, MaxSteps: 10, MaxTokens: 1000, Subagents: []string{"helper"}},
		"helper": {ID: "helper", System: "helper", Tools: []string{"read"}, MaxSteps: 10, MaxTokens: 1000},
	})
	ctx := context.Background()
	run, err := r.Start(ctx, agent.StartRequest{Agent: "lead", Prompt: "delegate", Workspace: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Drive(ctx, run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("Drive() = %s, %v", got.Status, err)
	}
	kids, err := j.Children(ctx, run.ID)
	if err != nil || len(kids) != 2 {
		t.Fatalf("Children() = %d, %v", len(kids), err)
	}
	return got, kids
}

// TestSubagentTrace: a subagent is a group of spans inside its parent's task step, with its
// tokens and cost rolled up; exports keep the link (OTLP parentSpanId in one trace) and an
// import brings it back.
func TestSubagentTrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := openJournal(t)
	lead, kids := recordDelegation(t, src)
	want, err := trace.Load(ctx, src, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]trace.Span{}
	for _, s := range want.Spans {
		byID[s.ID] = s
	}
	total := lead.Usage
	for i, k := range kids {
		var root *trace.Span
		groupSpans := 0
		for j, s := range want.Spans {
			if s.Group == k.ID {
				groupSpans++
				if s.Kind == trace.KindRun {
					root = &want.Spans[j]
				}
			}
		}
		if root == nil || groupSpans != 1+k.Steps {
			t.Fatalf("child %d: run span %v, %d spans in its group; want one run span and %d", i, root, groupSpans, 1+k.Steps)
		}
		host := byID[root.ParentID]
		if host.Kind != trace.KindTool || host.Name != "execute_tool task" || host.Seq != 5+i {
			t.Errorf("child %d hangs under %s %s #%d, want the task tool step #%d", i, host.Kind, host.Name, host.Seq, 5+i)
		}
		if host.Usage.InputTokens != k.Usage.InputTokens || host.CostUSD != k.CostUSD {
			t.Errorf("child %d: its step shows %d input tokens $%v, want the child's %d $%v", i, host.Usage.InputTokens, host.CostUSD, k.Usage.InputTokens, k.CostUSD)
		}
		total.InputTokens += k.Usage.InputTokens
	}
	if want.Spans[0].Usage.InputTokens != total.InputTokens || want.Run.Usage.InputTokens != total.InputTokens {
		t.Errorf("run span has %d input tokens, want %d with its subagents'", want.Spans[0].Usage.InputTokens, total.InputTokens)
	}

	b, err := trace.LoadRun(ctx, src, lead.ID)
	if err != nil || len(b.Runs) != 3 {
		t.Fatalf("LoadRun() = %d runs, %v; want the lead and its 2 subagents", len(b.Runs), err)
	}
	req, err := trace.OTLP(b, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string]string{} // child run span -> parentSpanId, in the lead's trace
	for _, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
		if hex.EncodeToString(sp.TraceId) != want.ID {
			t.Errorf("span %s is in trace %x, want the lead's %s", sp.Name, sp.TraceId, want.ID)
		}
		if strings.HasPrefix(sp.Name, "invoke_agent helper") {
			parents[hex.EncodeToString(sp.SpanId)] = hex.EncodeToString(sp.ParentSpanId)
		}
	}
	for _, s := range want.Spans {
		if s.Kind == trace.KindRun && s.Group != "" && parents[s.ID] != s.ParentID {
			t.Errorf("OTLP parentSpanId of %s = %q, want %s (its task step)", s.ID, parents[s.ID], s.ParentID)
		}
	}
	if len(parents) != 2 {
		t.Errorf("OTLP has %d subagent run spans, want 2", len(parents))
	}

	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP} {
		t.Run(string(format), func(t *testing.T) {
			var file bytes.Buffer
			if err := trace.Export(&file, b, format, trace.Options{}); err != nil {
				t.Fatal(err)
			}
			dst := openJournal(t)
			imp, err := trace.Import(ctx, bytes.NewReader(file.Bytes()), journalSink{dst})
			if err != nil || len(imp.Runs) != 3 {
				t.Fatalf("Import() = %+v, %v; want 3 runs", imp, err)
			}
			for _, r := range imp.Runs[1:] {
				if r.ParentRunID != imp.Runs[0].ID || r.ParentSeq == 0 {
					t.Errorf("imported child %s has parent %s #%d, want %s", r.ID, r.ParentRunID, r.ParentSeq, imp.Runs[0].ID)
				}
			}
			got, err := trace.Load(ctx, dst, imp.Runs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			clear := func(tr trace.Trace) trace.Trace {
				tr = normalize(tr, true)
				for i := range tr.Spans {
					tr.Spans[i].Group = strings.TrimPrefix(tr.Spans[i].Group, trace.ImportPrefix)
					delete(tr.Spans[i].Attributes, "corral.run.parent_id")
				}
				return tr
			}
			if diff := cmp.Diff(clear(want), clear(got)); diff != "" {
				t.Errorf("imported trace differs (-original +imported):\n%s", diff)
			}
		})
	}
}
