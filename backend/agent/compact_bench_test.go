package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/tool"
)

// BenchmarkCompact1k measures what a compaction adds to a turn, the model call excluded,
// in a session whose run has 1,000 turns (each a model call that writes a file and runs a
// command, both approved): finding the cut, building the ledger from the journal (one
// query and the decoding of 4,000 steps), the transcript to summarize, the compacted
// conversation and its record. The baseline, from the same run, is what every turn of an
// uncompacted run already costs: encoding the request that carries the whole conversation.
func BenchmarkCompact1k(b *testing.B) {
	const turns = 1000
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(b.TempDir(), "corral.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	sess := journal.Session{ID: "ses_bench", Title: "bench", Workspace: b.TempDir(), Origin: journal.OriginLocal}
	run := journal.Run{ID: "run_bench", SessionID: sess.ID, Agent: DefaultAgentID, Prompt: "do 1,000 things", Status: journal.RunCompleted, Workspace: sess.Workspace, Sandbox: "local"}
	steps := benchSteps(b, run.ID, turns)
	if err := j.ImportRun(ctx, sess, run, steps, nil); err != nil {
		b.Fatal(err)
	}
	r := newRunner(j, nil, b.TempDir())
	msgs := Conversation(run.Prompt, steps)
	cfg := RunConfig{Model: "bench-1", ContextWindow: 200_000, CompactAt: DefaultCompactAt, System: defaultSystem}
	specs := make([]llm.ToolSpec, 0, 6)
	for _, t := range tool.Builtin() {
		specs = append(specs, llm.ToolSpec{Name: t.Name(), Description: t.Description(), InputSchema: t.Schema()})
	}
	b.Logf("%d turns: %d messages, %d steps", turns, len(msgs), len(steps))

	b.Run("compaction", func(b *testing.B) {
		for b.Loop() {
			cut := cutPoint(msgs, cfg.ContextWindow*bytesPerToken*keepShare/100)
			ledger, err := r.ledger(ctx, sess.ID, run.ID, len(steps)+1, cfg.ContextWindow*bytesPerToken*ledgerShare/100)
			if err != nil {
				b.Fatal(err)
			}
			_ = transcript(msgs[:cut], cfg.ContextWindow*bytesPerToken*transcriptShare/100)
			c := record.Compaction{V: record.CompactionVersion, Summary: "summary", Ledger: ledger, Kept: msgs[cut:]}
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
			_ = compactedMessages(c)
		}
	})
	// The journal read inside the compaction: most of its time.
	b.Run("ledger-query", func(b *testing.B) {
		for b.Loop() {
			if _, err := j.SessionSteps(ctx, sess.ID, record.KindTool, record.KindApproval); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("estimate", func(b *testing.B) {
		// What every turn of a run with a window pays to decide: the one estimate, from the
		// last counted request.
		req := llm.Request{Model: cfg.Model, System: cfg.System, Messages: msgs, Tools: specs, MaxTokens: 8192}
		prev := llm.Request{Messages: msgs[:len(msgs)-2]}
		base := llm.NewBaseline(prev, llm.Response{Usage: llm.Usage{InputTokens: 150_000}})
		for b.Loop() {
			_ = llm.EstimateRequestTokens(req, base)
		}
	})
	b.Run("baseline-request", func(b *testing.B) {
		req := llm.Request{Model: cfg.Model, System: cfg.System, Messages: msgs, Tools: specs, MaxTokens: 8192}
		for b.Loop() {
			if _, err := json.Marshal(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchSteps records a run of n turns: each a model call writing a file and running a
// command, the two approvals and tool results, then a final answer.
func benchSteps(b *testing.B, runID string, n int) []journal.Step {
	b.Helper()
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var steps []journal.Step
	add := func(name, kind string, input, output any) {
		in, _ := json.Marshal(input)
		out, _ := json.Marshal(output)
		if input == nil {
			in = nil
		}
		steps = append(steps, journal.Step{RunID: runID, Seq: len(steps) + 1, Name: name, Kind: kind, Status: journal.StepCompleted,
			Idempotent: kind != record.KindTool, Attempt: 1, Input: in, Output: out, StartedAt: at, FinishedAt: at})
	}
	add(record.NameConfig, record.KindConfig, nil, RunConfig{Agent: DefaultAgentID, Model: "bench-1", Tools: []string{"write", "exec"}, MaxSteps: n + 1})
	exit := 0
	for i := range n {
		w := fmt.Sprintf(`{"path":"src/f%d.txt","content":"%s"}`, i, fmt.Sprintf("line %d\\n", i))
		e := fmt.Sprintf(`{"command":"echo %d >> log.txt"}`, i)
		resp := llm.Response{Content: []llm.Block{llm.TextBlock(fmt.Sprintf("Step %d.", i)), llm.NewToolUse(fmt.Sprintf("w%d", i), "write", w), llm.NewToolUse(fmt.Sprintf("e%d", i), "exec", e)},
			StopReason: llm.StopToolUse, Usage: llm.Usage{InputTokens: 1000, OutputTokens: 50}}
		add(record.NameModel, record.KindLLM, record.ModelInput{Model: "bench-1", Messages: 2*i + 1, Tools: 2}, resp)
		for _, c := range [][2]string{{"write", w}, {"exec", e}} {
			add(c[0], record.KindApproval, nil, record.GateRecord{Assessment: approval.Assessment{Decision: approval.Allow}, Outcome: approval.Outcome{Run: true}})
			res := tool.Result{Content: "ok\n", Meta: tool.Meta{Path: fmt.Sprintf("src/f%d.txt", i)}}
			if c[0] == "exec" {
				res = tool.Result{Content: "exit 0\n", Meta: tool.Meta{ExitCode: &exit}}
			}
			in := json.RawMessage(c[1])
			out, _ := json.Marshal(res)
			steps = append(steps, journal.Step{RunID: runID, Seq: len(steps) + 1, Name: c[0], Kind: record.KindTool, Status: journal.StepCompleted,
				Attempt: 1, Input: in, Output: out, StartedAt: at, FinishedAt: at})
		}
	}
	add(record.NameModel, record.KindLLM, record.ModelInput{Model: "bench-1", Messages: 2*n + 1, Tools: 2}, llm.Response{Content: []llm.Block{llm.TextBlock("Done.")}, StopReason: llm.StopEndTurn})
	return steps
}
