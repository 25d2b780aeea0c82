package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/anthropic"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/record"
)

// workModel is the model behind the context-limited fake Anthropic API: a prompt "turn N"
// writes src/fN.txt (with bulk, so the conversation grows) and runs a command naming N; tool
// results get a short answer; a compaction's request gets a summary.
type workModel struct{ bulk int }

var turnPrompt = regexp.MustCompile(`^turn (\d+)`)

func (m workModel) Stream(_ context.Context, req llm.Request, _ func(llm.Event)) (llm.Response, error) {
	resp := llm.Response{StopReason: llm.StopEndTurn, Model: req.Model, Usage: llm.Usage{OutputTokens: 20}}
	if req.System == summarySystem {
		resp.Content = []llm.Block{llm.TextBlock("The person asks for one file and one command per turn; each was done. Nothing is left.")}
		return resp, nil
	}
	last := req.Messages[len(req.Messages)-1]
	lastBlock := last.Content[len(last.Content)-1]
	if lastBlock.Type == llm.BlockToolResult {
		resp.Content = []llm.Block{llm.TextBlock("Done.")}
		return resp, nil
	}
	match := turnPrompt.FindStringSubmatch(lastBlock.Text)
	if match == nil {
		return resp, fmt.Errorf("workModel: no prompt in the last turn: %.200q", lastBlock.Text)
	}
	n := match[1]
	content, _ := json.Marshal(strings.Repeat("line of turn "+n+"\n", m.bulk/(14+len(n))))
	resp.Content = []llm.Block{
		llm.TextBlock("Writing and logging."),
		llm.NewToolUse("toolu_w"+n, "write", `{"path":"src/f`+n+`.txt","content":`+string(content)+`}`),
		llm.NewToolUse("toolu_e"+n, "exec", `{"command":"echo `+n+` >> log.txt"}`),
	}
	resp.StopReason = llm.StopToolUse
	return resp, nil
}

// windowSetup is a Runner whose coder agent has a context window of window tokens, talking
// through the real Anthropic adapter to a fake API that refuses requests past that window.
func windowSetup(t *testing.T, window, bulk int) (*Runner, *llmtest.Server) {
	t.Helper()
	srv := llmtest.NewAnthropicServer(t, llmtest.AnthropicWindow(window, workModel{bulk: bulk}, 0))
	client := anthropic.New(anthropic.Options{APIKey: "sk-window-test", BaseURL: srv.BaseURL, MaxRetries: -1})
	r, _ := setup(t, client, func(c *Config) {
		def := c.Agents[DefaultAgentID]
		def.ContextWindow = window
		c.Agents = map[string]Definition{DefaultAgentID: def}
	})
	return r, srv
}

// TestLongSessionCompacts is the done-when: a 300-turn session of follow-up runs
// against a server that enforces its context window completes with no refused model call,
// and every request after a compaction carries every file path and command of the earlier
// turns (its ledger).
func TestLongSessionCompacts(t *testing.T) {
	if testing.Short() {
		t.Skip("300 runs, about a second each on a busy machine")
	}
	t.Parallel()
	turns, window := longTurns(), 50_000
	r, srv := windowSetup(t, window, 3000)
	ctx := context.Background()
	sessionID := ""
	var mu sync.Mutex
	turnOfRequest := []int{} // the turn each request was sent in
	for i := range turns {
		sessionTurn(t, r, &sessionID, i)
		mu.Lock()
		for len(turnOfRequest) < len(srv.Requests()) {
			turnOfRequest = append(turnOfRequest, i)
		}
		mu.Unlock()
	}

	reqs := srv.Requests()
	refused, compactions, checked := 0, 0, 0
	for k, req := range reqs {
		body := strings.ReplaceAll(strings.ReplaceAll(string(req.Body), `\u003e`, ">"), `\u003c`, "<")
		if len(body)/llmtest.BytesPerToken > window {
			refused++
		}
		if strings.Contains(body, summarySystem[:40]) {
			compactions++
			continue
		}
		if !strings.Contains(body, "Corral compacted the conversation") {
			continue
		}
		checked++
		for i := range turnOfRequest[k] {
			for _, want := range []string{fmt.Sprintf("src/f%d.txt", i), fmt.Sprintf("echo %d >> log.txt", i)} {
				if !strings.Contains(body, want) {
					t.Fatalf("request %d (turn %d) after a compaction does not carry %q of turn %d", k, turnOfRequest[k], want, i)
				}
			}
		}
	}
	if refused > 0 {
		t.Errorf("%d of %d requests passed the window and were refused; want none", refused, len(reqs))
	}
	if compactions < 5 || checked == 0 {
		t.Errorf("%d compactions and %d requests after one in %d turns; want at least 5 and some", compactions, checked, turns)
	}
	steps, err := r.config.Journal.Steps(ctx, lastRun(t, r, sessionID).ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := record.DecodeConfig(steps[0].Output)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.History) == 0 || !strings.HasPrefix(cfg.History[0].Content[0].Text, compactedMarker) || len(cfg.History) > 4*turns/3 {
		t.Errorf("the last follow-up's history has %d messages starting %.80q; want it to start from the compacted view", len(cfg.History), cfg.History[0].Content[0].Text)
	}
	for _, st := range steps {
		if st.Kind == record.KindLLM && st.Status != journal.StepCompleted {
			t.Errorf("model step %d is %s: %s", st.Seq, st.Status, st.Error)
		}
	}
	t.Logf("%d turns, %d requests, %d compactions, %d requests checked after one", turns, len(reqs), compactions, checked)
}

// sessionTurn starts turn i of the session *sessionID (a new session in a new workspace when
// it is empty, then recorded there), asking for one file and one log line, and drives it to
// completion.
func sessionTurn(t *testing.T, r *Runner, sessionID *string, i int) journal.Run {
	t.Helper()
	req := StartRequest{SessionID: *sessionID, Prompt: fmt.Sprintf("turn %d: write src/f%d.txt and log %d", i, i, i)}
	if *sessionID == "" {
		req.Workspace = t.TempDir()
	}
	run := start(t, r, req)
	*sessionID = run.SessionID
	got, err := r.Drive(context.Background(), run.ID)
	if err != nil || got.Status != journal.RunCompleted {
		t.Fatalf("turn %d: Drive() = %s, %v; want completed", i, got.Status, err)
	}
	return run
}

func lastRun(t *testing.T, r *Runner, sessionID string) journal.Run {
	t.Helper()
	runs, err := r.config.Journal.Runs(context.Background(), journal.RunFilter{SessionID: sessionID})
	if err != nil || len(runs) == 0 {
		t.Fatalf("Runs(%s) = %d, %v", sessionID, len(runs), err)
	}
	return runs[len(runs)-1]
}

// longTurns is the session's length: 300, or CORRAL_LONG_TURNS while working on it.
func longTurns() int {
	if n, err := strconv.Atoi(os.Getenv("CORRAL_LONG_TURNS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// TestTooLongCompacts: when the provider counts more than the estimate and answers "prompt
// is too long", the model step is recorded failed (with its marker), the run compacts and
// asks again, and it completes; follow-ups skip the failed step.
func TestTooLongCompacts(t *testing.T) {
	t.Parallel()
	const limit = 10_000
	srv := llmtest.NewAnthropicServer(t, llmtest.AnthropicWindow(limit, workModel{bulk: 3000}, 0))
	client := anthropic.New(anthropic.Options{APIKey: "sk-window-test", BaseURL: srv.BaseURL, MaxRetries: -1})
	r, _ := setup(t, client, func(c *Config) {
		def := c.Agents[DefaultAgentID]
		def.ContextWindow, def.CompactAt = limit*11/10, 100 // believes in more than the server takes
		c.Agents = map[string]Definition{DefaultAgentID: def}
	})
	ctx := context.Background()
	// Every compaction is told as it starts (with why) and ends.
	sub := r.config.Bus.Subscribe(ctx, 0)
	defer sub.Close()
	compacting := make(chan Event, 256)
	go func() {
		for ev := range sub.C() {
			if ev.Type == EventCompactStarted || ev.Type == EventCompactFinished {
				compacting <- ev
			}
		}
	}()
	sessionID, tooLong := "", 0
	for i := 0; i < 40 && tooLong == 0; i++ {
		run := sessionTurn(t, r, &sessionID, i)
		steps, err := r.config.Journal.Steps(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		for j, st := range steps {
			if st.Kind != record.KindLLM || st.Status != journal.StepFailed {
				continue
			}
			tooLong++
			if !strings.HasPrefix(st.Error, tooLongPrefix) || !strings.Contains(st.Error, "prompt is too long") {
				t.Errorf("failed model step %d error = %q, want the marker and the provider's message", st.Seq, st.Error)
			}
			in, err := record.DecodeCompactInput(steps[j+1].Input)
			if steps[j+1].Kind != record.KindCompact || err != nil || in.Reason != record.CompactTooLong {
				t.Errorf("step after the refused call = %s %s %+v, want a compaction for too_long", steps[j+1].Kind, steps[j+1].Name, in)
			}
			var seen []Event
			for !slices.ContainsFunc(seen, func(e Event) bool {
				return e.Type == EventCompactFinished && e.Seq == steps[j+1].Seq && e.RunID == run.ID
			}) {
				select {
				case ev := <-compacting:
					seen = append(seen, ev)
				case <-time.After(10 * time.Second):
					t.Fatalf("no compact.finished for step %d within 10 s; got %+v", steps[j+1].Seq, seen)
				}
			}
			if !slices.ContainsFunc(seen, func(e Event) bool {
				return e.Type == EventCompactStarted && e.Seq == steps[j+1].Seq && e.Reason == record.CompactTooLong && e.ContextTokens > 0
			}) {
				t.Errorf("events %+v: want compact.started for step %d (too_long, with the estimate)", seen, steps[j+1].Seq)
			}
		}
	}
	if tooLong == 0 {
		t.Fatal("the server never refused a request: nothing was tested")
	}
	sessionTurn(t, r, &sessionID, 99) // the follow-up after the refusal completes
}
