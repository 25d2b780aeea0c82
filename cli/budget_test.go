package cli

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// budgetTurns is a scripted session whose every call is priced by the catalog's model
// (claude-sonnet-4-5 at $3 / $15 per million): 100,000 input and 1,000 output tokens cost
// $0.315 a call. Calls 1-5 each run a command, call 6 ends the run.
func budgetTurns() []llm.Response {
	var turns []llm.Response
	for i := 1; i <= 5; i++ {
		turns = append(turns, llm.Response{Content: []llm.Block{llm.NewToolUse(fmt.Sprintf("toolu_%d", i), "exec", fmt.Sprintf(`{"command":"echo call%d >> calls.log"}`, i))}, StopReason: llm.StopToolUse})
	}
	return append(turns, llm.Response{Content: []llm.Block{llm.TextBlock("All logged.")}, StopReason: llm.StopEndTurn})
}

// pricedAnthropic is scriptedAnthropic with usage on every answer and a count of the calls
// it answered.
func pricedAnthropic(t *testing.T, turns []llm.Response, calls *atomic.Int64) string {
	t.Helper()
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(func(n int, req llmtest.Request) llmtest.Reply {
		r, err := llmtest.DecodeAnthropicRequest(req.Body)
		if err != nil || turnOf(r) >= len(turns) {
			return llmtest.AnthropicError(400, "invalid_request_error", "off script")
		}
		calls.Add(1)
		resp := turns[turnOf(r)]
		resp.ID, resp.Model = fmt.Sprintf("msg_turn_%d", turnOf(r)), r.Model
		resp.Usage = llm.Usage{InputTokens: 100_000, OutputTokens: 1_000}
		return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 4)}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCostCapWaitsAcrossRestart is issue 16's done-when for budgets: a run with --max-cost
// stops at the cap plus at most one model call, waits for a person across a restart (its
// process killed with SIGKILL while it waits, then a new process that must not call the
// model), is listed by corral approvals, and goes on when the cap is raised.
func TestCostCapWaitsAcrossRestart(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	dataDir, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_BASE_URL=" + pricedAnthropic(t, budgetTurns(), &calls), "ANTHROPIC_MODEL=claude-sonnet-4-5"}

	// The first process: killed (SIGKILL) the moment the budget gate is announced.
	first := corral(t, env, "run", "--json", "--approve", "all", "--max-cost", "1.00", "--workspace", ws, "--data-dir", dataDir, "log five calls")
	runID := ""
	for sc := startLines(t, first); sc.Scan(); {
		var ev struct {
			runEvent
			Tool string `json:"tool"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == "approval.requested" && ev.Tool == "budget" {
			runID = ev.RunID
			first.Process.Kill()
			break
		}
	}
	first.Wait()
	if runID == "" {
		t.Fatal("the run ended without reaching its cost cap")
	}
	// $0.315 a call: after 3 calls $0.945 is under the $1.00 cap, so call 4 runs and
	// reaches it ($1.26); call 5 must wait for a person.
	if got := calls.Load(); got != 4 {
		t.Fatalf("model calls before the cap stopped the run = %d, want 4 (the cap plus at most one call)", got)
	}

	// A new process resumes the run: it finds the gate waiting and calls no model.
	res := corral(t, env, "resume", runID, "--json", "--approve", "all", "--data-dir", dataDir)
	if out, _ := res.CombinedOutput(); res.ProcessState.ExitCode() != ExitSuspended {
		t.Fatalf("corral resume of a run at its cap: exit %d, want %d (waiting for a person)\n%s", res.ProcessState.ExitCode(), ExitSuspended, out)
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("model calls after the restart = %d, want still 4: the run must wait at its cap", got)
	}
	if got := runStatus(t, dataDir, runID); got != "awaiting_approval" {
		t.Errorf("run status at the cap = %s, want awaiting_approval", got)
	}

	out, err := corral(t, nil, "approvals", "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral approvals: %v", err)
	}
	var waiting []struct {
		RunID   string `json:"run_id"`
		Request struct {
			Tool   string `json:"tool"`
			Budget struct {
				Cap        string  `json:"cap"`
				Limit      float64 `json:"limit"`
				RunCostUSD float64 `json:"run_cost_usd"`
				CostKnown  bool    `json:"cost_known"`
			} `json:"budget"`
		} `json:"request"`
	}
	if err := json.Unmarshal(out, &waiting); err != nil {
		t.Fatalf("corral approvals --json: %v\n%s", err, out)
	}
	if len(waiting) != 1 || waiting[0].RunID != runID || waiting[0].Request.Tool != "budget" || waiting[0].Request.Budget.Cap != "run_cost" ||
		waiting[0].Request.Budget.Limit != 1 || !waiting[0].Request.Budget.CostKnown || waiting[0].Request.Budget.RunCostUSD < 1.25 || waiting[0].Request.Budget.RunCostUSD > 1.27 {
		t.Fatalf("corral approvals = %+v, want run %s waiting at its $1.00 cost cap with $1.26 spent", waiting, runID)
	}

	// Approving without an amount is a usage error that says which flag raises it.
	bad := corral(t, env, "approve", runID, "--data-dir", dataDir)
	if out, _ := bad.CombinedOutput(); bad.ProcessState.ExitCode() != ExitUsage || !strings.Contains(string(out), "--raise-cost") {
		t.Errorf("corral approve without a raise: exit %d, %s; want a usage error naming --raise-cost", bad.ProcessState.ExitCode(), out)
	}

	// Raised by $1.00 to $2.00: calls 5 and 6 ($1.89 in all) finish the run.
	if out, err := corral(t, env, "approve", runID, "--raise-cost", "1.00", "--no-resume", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("corral approve --raise-cost 1.00: %v\n%s", err, out)
	}
	if out, err := corral(t, env, "resume", runID, "--approve", "all", "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("corral resume after the raise: %v\n%s", err, out)
	}
	if got := calls.Load(); got != 6 {
		t.Errorf("model calls in all = %d, want 6: each call made once", got)
	}
	if got := runStatus(t, dataDir, runID); got != "completed" {
		t.Errorf("run status after the raise = %s, want completed", got)
	}
	log, err := os.ReadFile(filepath.Join(ws, "calls.log"))
	if want := "call1\ncall2\ncall3\ncall4\ncall5\n"; err != nil || string(log) != want {
		t.Errorf("calls.log = %q, %v; want %q: every command once", log, err, want)
	}

	// corral show lists the estimate of each model call against the model's window.
	out, err = corral(t, nil, "show", runID, "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral show: %v", err)
	}
	if !strings.Contains(string(out), "/ 200000 window") || !strings.Contains(string(out), "cap $2.00") {
		t.Errorf("corral show lacks the context estimate against the 200000-token window or the raised cap:\n%s", out)
	}
}

// TestTokenCapStop: a run with --max-run-tokens waits at its token cap and `corral deny`
// stops it (failed, saying so) without another model call.
func TestTokenCapStop(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	dataDir, ws := t.TempDir(), t.TempDir()
	env := []string{"ANTHROPIC_BASE_URL=" + pricedAnthropic(t, budgetTurns(), &calls)}
	res := corral(t, env, "run", "--approve", "all", "--max-run-tokens", "150000", "--workspace", ws, "--data-dir", dataDir, "log five calls")
	out, _ := res.CombinedOutput()
	if res.ProcessState.ExitCode() != ExitSuspended {
		t.Fatalf("corral run --max-run-tokens: exit %d, want %d\n%s", res.ProcessState.ExitCode(), ExitSuspended, out)
	}
	runID := runIDOf(t, dataDir)
	// The transcript says how to go on, whatever --approve says (no approver raises a cap).
	if want := "raise it with corral approve " + runID + " --raise-tokens N"; !strings.Contains(string(out), want) {
		t.Errorf("corral run's transcript at the token cap lacks %q:\n%s", want, out)
	}
	// 101,000 tokens a call: two calls reach 150,000.
	if got := calls.Load(); got != 2 {
		t.Fatalf("model calls before the token cap = %d, want 2", got)
	}
	bad := corral(t, env, "approve", runID, "--raise-cost", "1", "--data-dir", dataDir)
	if out, _ := bad.CombinedOutput(); bad.ProcessState.ExitCode() != ExitUsage || !strings.Contains(string(out), "--raise-tokens") {
		t.Errorf("raising a token cap in dollars: exit %d, %s; want a usage error naming --raise-tokens", bad.ProcessState.ExitCode(), out)
	}
	deny := corral(t, env, "deny", runID, "--data-dir", dataDir)
	out, _ = deny.CombinedOutput()
	if got := runStatus(t, dataDir, runID); got != "failed" {
		t.Errorf("run status after stop = %s, want failed\n%s", got, out)
	}
	if !strings.Contains(string(out), "stopped by a person at the spend cap") {
		t.Errorf("corral deny at a cap says %s; want it to say the run was stopped at the cap", out)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("model calls after stop = %d, want 2", got)
	}
	out, err := corral(t, nil, "show", runID, "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral show --json: %v", err)
	}
	var shown struct {
		Spend struct {
			Tokens        int64 `json:"tokens"`
			MaxTokens     int64 `json:"max_tokens"`
			CostKnown     bool  `json:"cost_known"`
			ContextTokens int64 `json:"context_tokens"`
			ContextWindow int   `json:"context_window"`
		} `json:"spend"`
	}
	if err := json.Unmarshal(out, &shown); err != nil {
		t.Fatal(err)
	}
	if sp := shown.Spend; sp.Tokens != 202_000 || sp.MaxTokens != 150_000 || !sp.CostKnown || sp.ContextTokens != 100_000 || sp.ContextWindow != 200_000 {
		t.Errorf("corral show --json spend = %+v, want 202000 of a 150000-token cap, the last request's 100000 of a 200000 window", sp)
	}
}
