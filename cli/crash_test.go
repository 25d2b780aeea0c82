package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/app"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
	"github.com/corral-dev/corral/backend/trace"
)

// crashTurns is the fake model's session: every tool kind, two calls in one turn, and side
// effects (lines appended to effects.log) that must each happen exactly once.
var crashTurns = []llm.Response{
	{Content: []llm.Block{llm.TextBlock("I'll keep notes first."), llm.NewToolUse("toolu_1", "write", `{"path":"notes/a.txt","content":"alpha\n"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_2", "exec", `{"command":"echo one >> effects.log"}`)}},
	{Content: []llm.Block{llm.TextBlock("Two at once."), llm.NewToolUse("toolu_3", "exec", `{"command":"echo two >> effects.log"}`), llm.NewToolUse("toolu_4", "read", `{"path":"notes/a.txt"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_5", "edit", `{"path":"notes/a.txt","old_string":"alpha","new_string":"beta"}`)}},
	{Content: []llm.Block{llm.NewToolUse("toolu_6", "exec", `{"command":"sleep 0.05 && echo three >> effects.log && cat notes/a.txt"}`)}},
	{Content: []llm.Block{llm.TextBlock("All done: three effects logged, notes say beta.")}},
}

// crashServer is a fake Anthropic Messages API that answers by the number of assistant
// turns in the request, streaming in small paced chunks so a kill can land mid-stream.
func crashServer(t *testing.T) (*httptest.Server, *llmtest.Handler) {
	t.Helper()
	h := llmtest.NewAnthropicHandler(crashScript)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h
}

// crashScript answers crashServer's requests.
func crashScript(n int, req llmtest.Request) llmtest.Reply {
	return scriptReply(req, crashTurns, "msg_turn_", growingUsage)
}

// scriptReply answers req with turns[k], k the request's turn (turnOf): its id the prefix
// and k, its stop reason following its tool calls, its usage usage(k), streamed in small
// paced chunks so a test can kill Corral mid-stream. A request past the script is a 400.
func scriptReply(req llmtest.Request, turns []llm.Response, prefix string, usage func(k int) llm.Usage) llmtest.Reply {
	r, err := llmtest.DecodeAnthropicRequest(req.Body)
	if err != nil {
		return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
	}
	k := turnOf(r)
	if k >= len(turns) {
		return llmtest.AnthropicError(400, "invalid_request_error", "conversation is longer than the script")
	}
	resp := turns[k]
	resp.ID, resp.Model = fmt.Sprintf("%s%d", prefix, k), "claude-test"
	resp.StopReason = llm.StopEndTurn
	if len(resp.ToolUses()) > 0 {
		resp.StopReason = llm.StopToolUse
	}
	resp.Usage = usage(k)
	return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 6), ChunkSize: 64, Pace: time.Millisecond}
}

// growingUsage is a turn's usage as a conversation grows: 100 more input tokens a turn.
func growingUsage(k int) llm.Usage {
	return llm.Usage{InputTokens: int64(100 * (k + 1)), OutputTokens: 20}
}

// flatUsage is the same usage every turn.
func flatUsage(int) llm.Usage { return llm.Usage{InputTokens: 100, OutputTokens: 20} }

func turnOf(r llm.Request) int {
	k := 0
	for _, m := range r.Messages {
		if m.Role == llm.RoleAssistant {
			k++
		}
	}
	return k
}

// corral runs the test binary as the corral command.
func corral(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), envAsCLI+"=1", "ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "CORRAL_MODEL="), env...)
	return cmd
}

// stepKey is what must be equal between a crashed-and-resumed run and an uninterrupted one.
type stepKey struct {
	Seq        int             `json:"seq"`
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Status     string          `json:"status"`
	Input      json.RawMessage `json:"input"`
	Output     json.RawMessage `json:"output"`
	Resolution string          `json:"resolution"`
}

func showSteps(t *testing.T, dataDir, runID string) []stepKey {
	t.Helper()
	out, err := corral(t, nil, "show", runID, "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral show %s: %v", runID, err)
	}
	var d struct {
		Status string    `json:"status"`
		Steps  []stepKey `json:"step_list"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("corral show --json: %v: %s", err, out)
	}
	return d.Steps
}

// normalize drops what legitimately differs between two runs of the same script: the
// workspace directory (each run has its own), wherever it is recorded.
func normalize(steps []stepKey, ws string) []stepKey {
	out := append([]stepKey(nil), steps...)
	for i := range out {
		out[i].Input = json.RawMessage(strings.ReplaceAll(string(out[i].Input), ws, "$WORKSPACE"))
		out[i].Output = json.RawMessage(strings.ReplaceAll(string(out[i].Output), ws, "$WORKSPACE"))
		if out[i].Kind == "config" {
			out[i].Output = nil // also holds the data directory
		}
	}
	return out
}

func runIDOf(t *testing.T, dataDir string) string {
	t.Helper()
	out, err := corral(t, nil, "runs", "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral runs: %v", err)
	}
	var runs []app.RunView
	if err := json.Unmarshal(out, &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		return ""
	}
	return runs[0].ID
}

func runStatus(t *testing.T, dataDir, runID string) string {
	t.Helper()
	out, err := corral(t, nil, "show", runID, "--json", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("corral show %s: %v", runID, err)
	}
	var d struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatal(err)
	}
	return d.Status
}

func completedModelTurns(steps []stepKey) int {
	n := 0
	for _, s := range steps {
		if s.Kind == "llm" && s.Status == "completed" {
			n++
		}
	}
	return n
}

// TestCrashResume kills `corral run` with SIGKILL at random moments against a fake model
// server, resumes it, and checks that the run completes, no completed model request is
// sent again, every side effect happened once, and the journal equals an uninterrupted run's.
func TestCrashResume(t *testing.T) {
	t.Parallel()
	const prompt = "Keep notes and log three effects."
	runArgs := func(srvURL, ws, dd string) []string {
		return []string{"run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srvURL, "--workspace", ws, "--data-dir", dd, prompt}
	}

	// The reference: one uninterrupted run.
	srv, _ := crashServer(t)
	refDir, refWS := t.TempDir(), t.TempDir()
	begun := time.Now()
	if out, err := corral(t, nil, runArgs(srv.URL, refWS, refDir)...).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	span := time.Since(begun)
	ref := normalize(showSteps(t, refDir, runIDOf(t, refDir)), refWS)
	if len(ref) != 1+len(crashTurns)+6+5 {
		t.Fatalf("reference run has %d steps, want %d", len(ref), 1+len(crashTurns)+6+5)
	}

	seed := uint64(time.Now().UnixNano())
	t.Logf("kill points from seed %d over %s", seed, span)
	rng := rand.New(rand.NewPCG(seed, 1))
	kills, unrecorded, midRun, resolved := 0, 0, 0, 0
	for i := 0; i < 16; i++ {
		srv, h := crashServer(t)
		dd, ws := t.TempDir(), t.TempDir()
		cmd := corral(t, nil, runArgs(srv.URL, ws, dd)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAt := time.Duration(rng.Int64N(int64(span)))
		timer := time.AfterFunc(killAt, func() { cmd.Process.Kill() })
		err := cmd.Wait()
		timer.Stop()
		if err == nil {
			continue // finished before the kill point
		}
		kills++
		runID := runIDOf(t, dd)
		if runID == "" {
			unrecorded++
			continue // killed before the run was recorded: nothing to resume
		}
		if completedModelTurns(showSteps(t, dd, runID)) > 0 {
			midRun++
		}
		wantResumes := 0 // resume commands that found the run stopped part way
		for attempt := 0; ; attempt++ {
			if attempt > 5 {
				t.Fatalf("kill %d at %s: run %s did not complete after %d resumes", i, killAt, runID, attempt)
			}
			before := showSteps(t, dd, runID)
			st := runStatus(t, dd, runID)
			if st == "completed" {
				break // killed after the outcome was recorded, before the process exited
			}
			// Driving it again resumes it unless it had not started, or its process died
			// while it waited for a person (the last step is the open approval).
			waiting := len(before) > 0 && before[len(before)-1].Kind == "approval" && before[len(before)-1].Status == "started"
			if st != "pending" && st != "awaiting_approval" && !waiting {
				wantResumes++
			}
			sent := len(h.Bodies())
			res := corral(t, nil, "resume", runID, "--json", "--approve", "all", "--data-dir", dd)
			resOut, err := res.CombinedOutput()
			for _, body := range h.Bodies()[sent:] {
				r, derr := llmtest.DecodeAnthropicRequest([]byte(body))
				if derr != nil {
					t.Fatal(derr)
				}
				if k := turnOf(r); k < completedModelTurns(before) {
					t.Errorf("kill %d at %s: resume sent the request for turn %d again; %d turns had completed", i, killAt, k, completedModelTurns(before))
				}
			}
			if err == nil {
				break
			}
			if res.ProcessState.ExitCode() != ExitSuspended {
				t.Fatalf("kill %d at %s: corral resume: %v\n%s", i, killAt, err, resOut)
			}
			// A command was cut off: a person checks whether it took effect and resolves.
			action := resolveByEffects(t, ws, before)
			resolved++
			log, _ := os.ReadFile(filepath.Join(ws, "effects.log"))
			t.Logf("kill %d at %s: resolving a cut-off step with %s (effects.log %q)", i, killAt, action, log)
			if out, err := corral(t, nil, "resolve", runID, "--action", action, "--data-dir", dd).CombinedOutput(); err != nil {
				t.Fatalf("corral resolve: %v\n%s", err, out)
			}
		}
		got := normalize(showSteps(t, dd, runID), ws)
		checkEffects(t, i, killAt, ws)
		if rs, _ := exportedResumes(t, dd, runID); len(rs) != wantResumes {
			t.Errorf("kill %d at %s: the export has %d resumes (%+v), want %d", i, killAt, len(rs), rs, wantResumes)
		}
		if at := diffJournal(got, ref); at != "" {
			t.Errorf("kill %d at %s: journal after resume differs from the uninterrupted run: %s", i, killAt, at)
		}
	}
	t.Logf("16 runs: %d killed (%d before the run was recorded, %d after a model call completed), %d cut-off commands resolved",
		kills, unrecorded, midRun, resolved)
	if midRun == 0 {
		t.Fatal("no kill landed after a completed model call; the test proved nothing about resuming")
	}
}

var effectWord = regexp.MustCompile(`echo (\w+) >> effects\.log`)

// resolveByEffects picks what a person would: look at the workspace, skip a cut-off action
// whose effect is there, rerun one whose effect is not.
func resolveByEffects(t *testing.T, ws string, steps []stepKey) string {
	t.Helper()
	var cut stepKey
	for _, s := range steps {
		if s.Status == "started" {
			cut = s
		}
	}
	var in struct {
		Command   string `json:"command"`
		Path      string `json:"path"`
		Content   string `json:"content"`
		NewString string `json:"new_string"`
	}
	if err := json.Unmarshal(cut.Input, &in); err != nil {
		t.Fatalf("cut-off step %d input: %v", cut.Seq, err)
	}
	done := false
	switch cut.Name {
	case "exec": // "... echo WORD >> effects.log ..."
		log, _ := os.ReadFile(filepath.Join(ws, "effects.log"))
		if m := effectWord.FindStringSubmatch(in.Command); m != nil {
			done = strings.Contains(string(log), m[1]+"\n")
		}
	case "write":
		b, err := os.ReadFile(filepath.Join(ws, in.Path))
		done = err == nil && string(b) == in.Content
	case "edit":
		b, _ := os.ReadFile(filepath.Join(ws, in.Path))
		done = strings.Contains(string(b), in.NewString)
	}
	if done {
		return "skip"
	}
	// Not done, but a command cut off after its shell opened `>> effects.log` leaves the file
	// created and empty; a careful person removes that half-effect before running it again,
	// so the rerun meets the workspace the command first met (and records the same changes).
	if p := filepath.Join(ws, "effects.log"); cut.Name == "exec" {
		if fi, err := os.Stat(p); err == nil && fi.Size() == 0 {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	return "rerun"
}

func checkEffects(t *testing.T, i int, killAt time.Duration, ws string) {
	t.Helper()
	f, err := os.Open(filepath.Join(ws, "effects.log"))
	if err != nil {
		t.Fatalf("kill %d at %s: %v", i, killAt, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if want := []string{"one", "two", "three"}; !reflect.DeepEqual(lines, want) {
		t.Errorf("kill %d at %s: effects.log = %q, want each side effect once: %q", i, killAt, lines, want)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "notes/a.txt")); string(b) != "beta\n" {
		t.Errorf("kill %d at %s: notes/a.txt = %q, want %q", i, killAt, b, "beta\n")
	}
}

// diffJournal compares journals step by step and describes the first difference, or returns
// "". A step a person resolved by skipping may differ in its output (the model was told it
// was skipped).
func diffJournal(got, want []stepKey) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d steps, want %d", len(got), len(want))
	}
	skipped := false
	for i := range got {
		g, w := got[i], want[i]
		if skipped && g.Kind == "llm" {
			// A skipped step told the model something other than the uninterrupted run's
			// result, so later requests differ by that much and so do their size estimates.
			g.Input, w.Input = withoutKey(g.Input, "estimated_tokens"), withoutKey(w.Input, "estimated_tokens")
		}
		switch g.Resolution {
		case "skip":
			g.Output, w.Output, g.Resolution = nil, nil, ""
			skipped = true
		case "rerun":
			g.Resolution = "" // ran again after a person said so; its result must match
		}
		if g, w := normJSON(g), normJSON(w); !reflect.DeepEqual(g, w) {
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			return fmt.Sprintf("step %d is\n%s\nwant\n%s", i+1, gb, wb)
		}
	}
	return ""
}

// withoutKey is a JSON object without one of its members.
func withoutKey(raw json.RawMessage, key string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, key)
	out, _ := json.Marshal(m)
	return out
}

// normJSON canonicalizes the recorded JSON and drops the one timing a tool result carries
// (exec's duration_ms): timings differ between any two runs and are not part of the history;
// and the note on a write or edit decided from the workspace after a kill (meta.resolved).
func normJSON(s stepKey) stepKey {
	for _, p := range []*json.RawMessage{&s.Input, &s.Output} {
		if len(*p) == 0 {
			continue
		}
		var v any
		if json.Unmarshal(*p, &v) == nil {
			if m, ok := v.(map[string]any); ok {
				if meta, ok := m["meta"].(map[string]any); ok {
					delete(meta, "duration_ms")
					delete(meta, "resolved") // how a cut-off write or edit was decided: that is what resolutions differ by
				}
			}
			*p, _ = json.Marshal(v)
		}
	}
	return s
}

// TestApprovalAcrossKills: a run waits for approval, its process is killed, the run is
// started again (still waiting), and approvals granted from the command line carry it to the
// end without any model request or side effect repeated.
func TestApprovalAcrossKills(t *testing.T) {
	t.Parallel()
	srv, h := crashServer(t)
	dd, ws := t.TempDir(), t.TempDir()
	runID := killAtEvent(t, func(ev runEvent) bool { return ev.Type == "approval.requested" }, // the process dies while the run waits
		"run", "--json", "--provider", "anthropic", "--base-url", srv.URL, "--workspace", ws, "--data-dir", dd, "Keep notes.")
	if runID == "" {
		t.Fatal("corral run never asked for approval")
	}
	// Started again, the run still waits: nothing was decided.
	for i := 0; i < 2; i++ {
		res := corral(t, nil, "resume", runID, "--data-dir", dd)
		if out, err := res.CombinedOutput(); res.ProcessState.ExitCode() != ExitSuspended {
			t.Fatalf("corral resume #%d = %v, want exit %d (still waiting)\n%s", i+1, err, ExitSuspended, out)
		}
	}
	out, err := corral(t, nil, "approvals", "--json", "--data-dir", dd).Output()
	if err != nil || !strings.Contains(string(out), runID) || !strings.Contains(string(out), `"tool": "write"`) {
		t.Fatalf("corral approvals = %s, %v; want the pending write of %s", out, err, runID)
	}
	// Approve each action as it comes; the last approval runs the rest to the end.
	for i := 0; ; i++ {
		if i > 10 {
			t.Fatal("run did not finish after 10 approvals")
		}
		res := corral(t, nil, "approve", runID, "--data-dir", dd)
		out, err := res.CombinedOutput()
		if err == nil {
			break
		}
		if res.ProcessState.ExitCode() != ExitSuspended {
			t.Fatalf("corral approve: %v\n%s", err, out)
		}
	}
	if out, _ := corral(t, nil, "approve", runID, "--data-dir", dd).CombinedOutput(); !strings.Contains(string(out), "already answered") {
		t.Errorf("approving a finished run again = %q, want a harmless 'already answered'", out)
	}
	turns := map[int]int{}
	for _, body := range h.Bodies() {
		r, err := llmtest.DecodeAnthropicRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		turns[turnOf(r)]++
	}
	for k := range crashTurns {
		if turns[k] != 1 {
			t.Errorf("model turn %d was requested %d times, want once", k, turns[k])
		}
	}
	checkEffects(t, 0, 0, ws)
	// Waiting for a person and going on after the answer, even in another process, is the
	// run's normal course: nothing was cut off, so nothing was resumed.
	if rs, _ := exportedResumes(t, dd, runID); len(rs) != 0 {
		t.Errorf("the export has resumes %+v, want none", rs)
	}
}

// TestKilledRunShowsItsResume kills `corral run` right after a tool call finished, resumes
// it with `corral resume`, and checks that the JSON export holds one resume, after the last
// step the killed process completed, and that the trace model has its span.
func TestKilledRunShowsItsResume(t *testing.T) {
	t.Parallel()
	srv, _ := crashServer(t)
	dd, ws := t.TempDir(), t.TempDir()
	// The process dies mid-run, between steps or inside the next.
	runID := killAtEvent(t, func(ev runEvent) bool { return ev.Type == "tool.finished" && ev.Seq > 4 },
		"run", "--json", "--approve", "all", "--provider", "anthropic", "--base-url", srv.URL,
		"--workspace", ws, "--data-dir", dd, "Keep notes and log three effects.")
	if runID == "" {
		t.Fatal("corral run never finished a tool call")
	}
	if st := runStatus(t, dd, runID); st != "running" {
		t.Fatalf("killed run status = %s, want running (its process died)", st)
	}
	last := 0
	for _, s := range showSteps(t, dd, runID) {
		if s.Status == "completed" {
			last = s.Seq
		}
	}
	for attempt := 0; ; attempt++ {
		res := corral(t, nil, "resume", runID, "--json", "--approve", "all", "--data-dir", dd)
		out, err := res.CombinedOutput()
		if attempt == 0 && !strings.Contains(string(out), `"reason":"interrupted"`) {
			t.Errorf("corral resume --json printed no run.resumed with its reason:\n%s", out)
		}
		if err == nil {
			break
		}
		if attempt > 0 || res.ProcessState.ExitCode() != ExitSuspended {
			t.Fatalf("corral resume: %v\n%s", err, out)
		}
		// The kill cut a command off: resolve it the way a person would and go on.
		if out, err := corral(t, nil, "resolve", runID, "--action", resolveByEffects(t, ws, showSteps(t, dd, runID)), "--data-dir", dd).CombinedOutput(); err != nil {
			t.Fatalf("corral resolve: %v\n%s", err, out)
		}
	}
	checkEffects(t, 0, 0, ws)
	rs, tr := exportedResumes(t, dd, runID)
	if len(rs) == 0 || rs[0].AfterSeq != last || rs[0].Reason != "interrupted" {
		t.Fatalf("exported resumes = %+v, want the first after step %d (the last the killed process completed), interrupted", rs, last)
	}
	spans := 0
	for _, s := range tr.Spans {
		if s.Kind == trace.KindResume {
			spans++
			if s.Attributes["corral.resume.after_seq"] != int64(rs[spans-1].AfterSeq) || !s.Start.Equal(rs[spans-1].At) {
				t.Errorf("resume span %d = %+v, want it at %v after step %d", spans, s, rs[spans-1].At, rs[spans-1].AfterSeq)
			}
		}
	}
	if spans != len(rs) {
		t.Errorf("the trace has %d resume spans, want %d", spans, len(rs))
	}
	// corral show prints the resume under the step it came after.
	out, err := corral(t, nil, "show", runID, "--data-dir", dd).Output()
	if err != nil {
		t.Fatalf("corral show: %v", err)
	}
	if i, j := strings.Index(string(out), fmt.Sprintf("#%-4d", last)), strings.Index(string(out), "↻ resumed (interrupted)"); i < 0 || j < i {
		t.Errorf("corral show = %s\nwant the resume (interrupted) printed after step %d", out, last)
	}
}

// exportedResumes exports a run with `corral export --format json` and returns the resumes
// the bundle holds (read as raw JSON, so the file is what is checked) and the trace the
// bundle builds.
func exportedResumes(t *testing.T, dataDir, runID string) ([]journal.Resume, trace.Trace) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.json")
	if out, err := corral(t, nil, "export", runID, "--format", "json", "-o", path, "--data-dir", dataDir).CombinedOutput(); err != nil {
		t.Fatalf("corral export: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Runs []struct {
			Resumes []struct {
				At       time.Time `json:"at"`
				AfterSeq int       `json:"after_seq"`
				Reason   string    `json:"reason"`
			} `json:"resumes"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &file); err != nil || len(file.Runs) != 1 {
		t.Fatalf("export: %v, %d runs", err, len(file.Runs))
	}
	var rs []journal.Resume
	for _, r := range file.Runs[0].Resumes {
		rs = append(rs, journal.Resume{At: r.At, AfterSeq: r.AfterSeq, Reason: r.Reason})
	}
	b, _, err := trace.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("trace.Read(export) = %v", err)
	}
	traces, err := b.Traces()
	if err != nil {
		t.Fatal(err)
	}
	return rs, traces[0]
}

// runEvent is the part of a `corral run --json` event line the crash tests look at.
type runEvent struct {
	Type  string `json:"type"`
	RunID string `json:"run_id"`
	Seq   int    `json:"seq"`
}

// startLines starts cmd and returns its standard output a line at a time; the process is
// killed and waited for when the test ends, if it has not been before.
func startLines(t *testing.T, cmd *exec.Cmd) *bufio.Scanner {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return bufio.NewScanner(stdout)
}

// killAtEvent runs corral with args, kills it at the first event line at matches, and
// returns that event's run id ("" if the process ended first).
func killAtEvent(t *testing.T, at func(runEvent) bool, args ...string) string {
	t.Helper()
	cmd := corral(t, nil, args...)
	runID := ""
	sc := startLines(t, cmd)
	for sc.Scan() {
		var ev runEvent
		if json.Unmarshal(sc.Bytes(), &ev) == nil && at(ev) {
			runID = ev.RunID
			cmd.Process.Kill()
			break
		}
	}
	cmd.Wait()
	return runID
}
