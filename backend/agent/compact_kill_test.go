//go:build unix

package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/trace"
)

// summaryOpening starts the system prompt of a compaction's model call.
const summaryOpening = "You write the working memory"

// growModel is the model behind the window-enforcing fake API of the compaction scenario:
// the prompt "turn N xM" asks for M files, one a turn, each with a command; it tells what
// is done from the request text itself (the kept turns or the ledger), so it answers the
// same however the conversation was compacted.
type growModel struct{ bulk int }

var growPrompt = regexp.MustCompile(`turn (\d+) x(\d+)`)

func (m growModel) Stream(_ context.Context, req llm.Request, _ func(llm.Event)) (llm.Response, error) {
	resp := llm.Response{StopReason: llm.StopEndTurn, Usage: llm.Usage{OutputTokens: 20}}
	if strings.HasPrefix(req.System, summaryOpening) {
		resp.Content = []llm.Block{llm.TextBlock("The person asks for files, one a turn, each logged by a command. All done so far is in the ledger.")}
		return resp, nil
	}
	blob, _ := json.Marshal(req.Messages)
	text := strings.ReplaceAll(string(blob), `\u003e`, ">")
	prompts := growPrompt.FindAllStringSubmatch(text, -1)
	if len(prompts) == 0 {
		return resp, fmt.Errorf("growModel: no prompt")
	}
	n, total := prompts[len(prompts)-1][1], 0
	fmt.Sscan(prompts[len(prompts)-1][2], &total)
	done := map[string]bool{}
	for _, f := range regexp.MustCompile(`src/f`+n+`_(\d+)\.txt`).FindAllStringSubmatch(text, -1) {
		done[f[1]] = true
	}
	if len(done) >= total {
		resp.Content = []llm.Block{llm.TextBlock(fmt.Sprintf("Wrote %d files for turn %s.", total, n))}
		return resp, nil
	}
	k := len(done)
	content, _ := json.Marshal(strings.Repeat(fmt.Sprintf("file %s_%d\n", n, k), m.bulk/12))
	resp.Content = []llm.Block{
		llm.NewToolUse(fmt.Sprintf("toolu_w%s_%d", n, k), "write", fmt.Sprintf(`{"path":"src/f%s_%d.txt","content":%s}`, n, k, content)),
		llm.NewToolUse(fmt.Sprintf("toolu_e%s_%d", n, k), "exec", fmt.Sprintf(`{"command":"echo %s_%d >> log.txt"}`, n, k)),
	}
	resp.StopReason = llm.StopToolUse
	return resp, nil
}

// killedCompaction is the compaction scenario, up to the resumed run: a run whose
// conversation passes its threshold is driven by a child process, which is killed (SIGKILL)
// while its compaction's model call is in flight; this process resumes it to the end.
type killedCompaction struct {
	rec     *recording
	srv     *llmtest.Server
	first   journal.Run
	summary int // summary requests the server received
}

const compactWindow = 4000 // tokens: the fake API's limit and the agent's context window

func runKilledCompaction(t *testing.T) *killedCompaction {
	t.Helper()
	hung := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	kc := &killedCompaction{}
	script := llmtest.AnthropicWindow(compactWindow, growModel{bulk: 300}, 64)
	kc.srv = llmtest.NewAnthropicServer(t, func(n int, r llmtest.Request) llmtest.Reply {
		if bytes.Contains(r.Body, []byte(summaryOpening)) {
			mu.Lock()
			kc.summary++
			mu.Unlock()
			first := false
			once.Do(func() { first = true })
			if first { // the first compaction's call hangs until its process is killed
				close(hung)
				return llmtest.Reply{Hang: true}
			}
		}
		return script(n, r)
	})
	rec := newRecording(t, scriptedModel{})
	rec.models = &liveModels{provider: "anthropic", name: "claude-golden-1", model: anthropicClient(kc.srv.BaseURL)}
	rec.r = goldenRunner(rec.j, rec.models, rec.dir)
	def, _ := rec.r.Agent(agent.DefaultAgentID)
	def.ContextWindow = compactWindow
	rec.r.SetAgents(map[string]agent.Definition{def.ID: def})
	kc.rec = rec
	kc.first = rec.start(agent.StartRequest{Prompt: "turn 0 x16: write src/f0_K.txt for K from 0 to 15, logging each"})

	job := childJob{DB: filepath.Join(rec.dir, "corral.db"), Run: kc.first.ID, BaseURL: kc.srv.BaseURL, Requests: filepath.Join(rec.dir, "child-requests.jsonl")}
	killChildWhen(t, job, hung, "its compaction")
	if got, err := rec.j.Run(context.Background(), kc.first.ID); err != nil || got.Status != journal.RunRunning {
		t.Fatalf("killed run = %s, %v; want it left running", got.Status, err)
	}
	rec.sent[kc.first.ID] = withoutSummaries(readRequests(t, job.Requests))
	rec.drive(context.Background(), kc.first.ID, journal.RunCompleted)
	rec.sent[kc.first.ID] = withoutSummaries(rec.sent[kc.first.ID])
	rec.final(kc.first.ID)
	return kc
}

// withoutSummaries drops compactions' model calls from requests: a golden's requests are
// its model steps'.
func withoutSummaries(reqs []llm.Request) []llm.Request {
	var out []llm.Request
	for _, r := range reqs {
		if !strings.HasPrefix(r.System, summaryOpening) {
			out = append(out, r)
		}
	}
	return out
}

// TestCompactionKilled: a process killed (SIGKILL) during a compaction's model call leaves
// the compaction step started; the run resumed by another process makes that call once more
// (the one in flight) and repeats no other: every other request reached the server once.
func TestCompactionKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a child process")
	}
	kc := runKilledCompaction(t)
	steps, err := kc.rec.j.Steps(context.Background(), kc.first.ID)
	if err != nil {
		t.Fatal(err)
	}
	compactions := 0
	for _, st := range steps {
		if st.Kind == record.KindCompact && st.Status == journal.StepCompleted {
			compactions++
			if compactions == 1 && st.Attempt != 2 {
				t.Errorf("the killed compaction (step %d) ran %d times, want 2 (cut off, then again)", st.Seq, st.Attempt)
			}
		}
		if st.Kind == record.KindLLM && st.Attempt != 1 {
			t.Errorf("model step %d was attempted %d times, want once", st.Seq, st.Attempt)
		}
	}
	if compactions == 0 {
		t.Fatal("the run never compacted")
	}
	// The trace shows each compaction as a span of its own kind, with why it ran.
	tr, err := trace.Load(context.Background(), kc.rec.j, kc.first.ID)
	if err != nil {
		t.Fatal(err)
	}
	spans := 0
	for _, sp := range tr.Spans {
		if sp.Kind == trace.KindCompact {
			spans++
			if r := sp.Attributes["corral.compact.reason"]; (r != record.CompactThreshold && r != record.CompactTooLong) || sp.Usage.InputTokens == 0 {
				t.Errorf("compaction span %s: reason %v, usage %+v; want threshold or too_long and the call's usage", sp.Name, r, sp.Usage)
			}
		}
	}
	if spans != compactions {
		t.Errorf("the trace has %d compaction spans, want %d", spans, compactions)
	}
	if kc.summary != compactions+1 {
		t.Errorf("the server got %d summary requests for %d compactions; want one more (the call in flight when the process was killed), no other", kc.summary, compactions)
	}
	seen := map[string]bool{}
	for _, r := range kc.srv.Requests() {
		if bytes.Contains(r.Body, []byte(summaryOpening)) {
			continue
		}
		if seen[string(r.Body)] {
			t.Errorf("a model request reached the server twice: %.200s", r.Body)
		}
		seen[string(r.Body)] = true
	}
}

// recordCompaction: a run that compacts its conversation when it passes its threshold,
// killed during that compaction and resumed by another process; a follow-up run that starts
// from the compacted view; a compaction by hand (corral compact) and a person's edit of its
// summary, both recorded at the end of the follow-up.
func recordCompaction(t *testing.T) []golden {
	kc := runKilledCompaction(t)
	rec, ctx := kc.rec, context.Background()
	next := rec.start(agent.StartRequest{SessionID: kc.first.SessionID, Prompt: "turn 1 x3: three more files, src/f1_K.txt"})
	rec.drive(ctx, next.ID, journal.RunCompleted)
	rec.final(next.ID)
	if _, err := rec.r.Compact(ctx, next.SessionID); err != nil {
		t.Fatalf("Compact(%s) = %v", next.SessionID, err)
	}
	if _, err := rec.r.EditSummary(ctx, next.SessionID, "Edited by a person: sixteen files for turn 0, three for turn 1; nothing is left."); err != nil {
		t.Fatalf("EditSummary(%s) = %v", next.SessionID, err)
	}
	rec.models.take() // the compaction by hand's call: no model step's
	return []golden{rec.history("compaction", "A run that compacts at its threshold and when the API answers that the prompt is too long (window 4,000 tokens), killed (SIGKILL) during the compaction's model call and resumed by another process (the compaction runs again, attempt 2); a follow-up starting from the compacted view; corral compact and a summary edit at its end.", kc.first.SessionID)}
}
