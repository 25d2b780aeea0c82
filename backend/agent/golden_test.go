package agent_test

// Golden histories (testdata/golden/vN/NAME.json) are the journal records of real runs made
// by a release, checked in, and replayed here through the agent loop with no model and no
// sandbox: a change that would strand a recorded run (a renamed record field, a step the loop
// no longer meets, a request rebuilt differently) fails TestGoldenReplay. The README in
// testdata/golden says how they are made and when a new version is added.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// goldenDir holds one folder per record version; each keeps replaying.
const goldenDir = "testdata/golden"

// golden is one history file: a session, its runs with every step as the journal stored it,
// and what replaying each run must give.
type golden struct {
	Comment     string        `json:"comment"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Session     goldenSession `json:"session"`
	Runs        []goldenRun   `json:"runs"`
}

type goldenSession struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Workspace    string    `json:"workspace"`
	Origin       string    `json:"origin"`
	ImportedFrom string    `json:"imported_from,omitempty"`
	ImportedAt   time.Time `json:"imported_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

type goldenRun struct {
	ID        string         `json:"id"`
	Agent     string         `json:"agent"`
	Prompt    string         `json:"prompt"`
	Status    string         `json:"status"`
	Workspace string         `json:"workspace"`
	Sandbox   string         `json:"sandbox"`
	Error     string         `json:"error,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Steps     []goldenStep   `json:"steps"`
	Resumes   []goldenResume `json:"resumes,omitempty"`
	// ParentRunID and ParentSeq link a subagent's run to its parent's task step (v1 on).
	ParentRunID string     `json:"parent_run_id,omitempty"`
	ParentSeq   int        `json:"parent_seq,omitempty"`
	Want        goldenWant `json:"want"`
}

// goldenStep is a step row. Input and output are the stored bytes as a string, not
// re-encoded JSON, so they load back byte for byte.
type goldenStep struct {
	Seq          int           `json:"seq"`
	Name         string        `json:"name"`
	Kind         string        `json:"kind"`
	Status       string        `json:"status"`
	Idempotent   bool          `json:"idempotent"`
	Attempt      int           `json:"attempt"`
	Resolution   string        `json:"resolution,omitempty"`
	RerunPending bool          `json:"rerun_pending,omitempty"`
	Input        string        `json:"input,omitempty"`
	Output       string        `json:"output,omitempty"`
	Error        string        `json:"error,omitempty"`
	Usage        journal.Usage `json:"usage,omitzero"`
	CostUSD      float64       `json:"cost_usd,omitempty"`
	StartedAt    time.Time     `json:"started_at"`
	FinishedAt   time.Time     `json:"finished_at,omitzero"`
}

type goldenResume struct {
	N        int       `json:"n"`
	At       time.Time `json:"at"`
	AfterSeq int       `json:"after_seq"`
	Reason   string    `json:"reason"`
}

// goldenWant is what replaying the run must give: the outcome the live run was left with,
// and the request each model step sent when it ran (the exact llm.Request JSON).
type goldenWant struct {
	Status   string          `json:"status"`
	Error    string          `json:"error,omitempty"`
	Final    string          `json:"final,omitempty"`
	Steps    int             `json:"steps"`
	Requests []goldenRequest `json:"requests"`
}

type goldenRequest struct {
	Seq     int             `json:"seq"`
	Request json.RawMessage `json:"request"`
}

func (s goldenSession) journal() journal.Session {
	return journal.Session{ID: s.ID, Title: s.Title, Workspace: s.Workspace, Origin: journal.Origin(s.Origin),
		ImportedFrom: s.ImportedFrom, ImportedAt: s.ImportedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

func (g goldenRun) journal(sessionID string) (journal.Run, []journal.Step, []journal.Resume) {
	run := journal.Run{ID: g.ID, SessionID: sessionID, Agent: g.Agent, Prompt: g.Prompt, Status: journal.RunStatus(g.Status),
		Workspace: g.Workspace, Sandbox: g.Sandbox, Error: g.Error, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		ParentRunID: g.ParentRunID, ParentSeq: g.ParentSeq}
	steps := make([]journal.Step, 0, len(g.Steps))
	for _, s := range g.Steps {
		steps = append(steps, journal.Step{RunID: g.ID, Seq: s.Seq, Name: s.Name, Kind: s.Kind, Status: journal.StepStatus(s.Status),
			Idempotent: s.Idempotent, Attempt: s.Attempt, Resolution: journal.Action(s.Resolution), RerunPending: s.RerunPending,
			Input: bytesOf(s.Input), Output: bytesOf(s.Output), Error: s.Error, Usage: s.Usage, CostUSD: s.CostUSD,
			StartedAt: s.StartedAt, FinishedAt: s.FinishedAt})
	}
	resumes := make([]journal.Resume, 0, len(g.Resumes))
	for _, r := range g.Resumes {
		resumes = append(resumes, journal.Resume{RunID: g.ID, N: r.N, At: r.At, AfterSeq: r.AfterSeq, Reason: r.Reason})
	}
	return run, steps, resumes
}

// goldenStepOf is a journal step as a golden holds it.
func goldenStepOf(st journal.Step) goldenStep {
	return goldenStep{Seq: st.Seq, Name: st.Name, Kind: st.Kind, Status: string(st.Status),
		Idempotent: st.Idempotent, Attempt: st.Attempt, Resolution: string(st.Resolution), RerunPending: st.RerunPending,
		Input: string(st.Input), Output: string(st.Output), Error: st.Error, Usage: st.Usage, CostUSD: st.CostUSD,
		StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
}

func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// loadGoldens reads every golden file of every version, by "vN/NAME".
func loadGoldens(t *testing.T) map[string]golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(goldenDir, "v*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]golden{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&g); err != nil {
			t.Fatalf("golden %s: %v", p, err)
		}
		out[filepath.Base(filepath.Dir(p))+"/"+strings.TrimSuffix(filepath.Base(p), ".json")] = g
	}
	return out
}

// report collects what a golden's replay found wrong, each as one line.
type report struct {
	problems []string
	notes    []string
}

func (r *report) add(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// refusingModels reports a replay that asks for a model: every model step of a golden
// history is recorded.
type refusingModels struct{ rep *report }

func (m refusingModels) Resolve(provider, model string) (string, string) { return provider, model }
func (m refusingModels) Model(cfg agent.RunConfig) (llm.Model, error) {
	m.rep.add("replay asked for a model (%s %s): the history lacks a model step the loop reached", cfg.Provider, cfg.Model)
	return nil, fmt.Errorf("golden replay: no model")
}

// replayRunner is a Runner that can only replay: asking for its model or a sandbox is
// reported.
func replayRunner(j *journal.Journal, rep *report) *agent.Runner {
	return agent.New(agent.Config{
		Journal: j,
		Agents:  map[string]agent.Definition{},
		Models:  refusingModels{rep},
		Sandboxes: func(ctx context.Context, run journal.Run, cfg agent.RunConfig) (sandbox.Sandbox, error) {
			rep.add("replay of run %s opened its %s sandbox: the history lacks a step the loop reached", run.ID, cfg.Sandbox)
			return nil, fmt.Errorf("golden replay: no sandbox")
		},
		HostSandbox: func(dir string) (sandbox.Sandbox, error) {
			rep.add("replay opened a host sandbox on %s", dir)
			return nil, fmt.Errorf("golden replay: no sandbox")
		},
		Tools: tool.Builtin(),
	})
}

// TestGoldenReplay loads each golden history into a fresh journal and replays every run
// through the loop: the requests it rebuilds and where it ends must be the recorded ones.
func TestGoldenReplay(t *testing.T) {
	t.Parallel()
	goldens := loadGoldens(t)
	if len(goldens) == 0 {
		t.Fatalf("no golden histories under %s", goldenDir)
	}
	for name, g := range goldens {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rep := replayGolden(t, g)
			for _, n := range rep.notes {
				t.Log(n)
			}
			for _, p := range rep.problems {
				t.Error(p)
			}
		})
	}
}

// replayGolden loads g into a fresh journal, replays each of its runs and reports how the
// replay differs from the record. Only a broken journal or golden file stops the test.
func replayGolden(t *testing.T, g golden) *report {
	t.Helper()
	ctx := context.Background()
	j, err := journal.Open(ctx, filepath.Join(t.TempDir(), "corral.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for _, gr := range g.Runs {
		run, steps, resumes := gr.journal(g.Session.ID)
		if err := j.ImportRun(ctx, g.Session.journal(), run, steps, resumes); err != nil {
			t.Fatalf("ImportRun(%s) = %v", gr.ID, err)
		}
	}
	rep := &report{}
	for _, gr := range g.Runs {
		checkLoaded(t, j, gr)
	}
	r := replayRunner(j, rep)
	for _, gr := range g.Runs {
		got := map[int]json.RawMessage{}
		var order []int
		asked := map[int]journal.StepSpec{}
		res, err := r.ReplayHistory(ctx, gr.ID, agent.ReplayHooks{
			Request: func(seq int, req llm.Request) {
				blob, err := json.Marshal(req)
				if err != nil {
					t.Fatalf("run %s step %d: marshal request: %v", gr.ID, seq, err)
				}
				if _, dup := got[seq]; dup {
					rep.add("run %s: step %d rebuilt its request twice", gr.ID, seq)
				}
				got[seq] = blob
				order = append(order, seq)
			},
			Step: func(seq int, spec journal.StepSpec) { asked[seq] = spec },
		})
		if err != nil {
			t.Fatalf("ReplayHistory(%s) = %v", gr.ID, err)
		}
		rep.outcome(gr, res)
		rep.untouched(t, j, gr)
		toolTexts := rep.requests(t, gr, got, order)
		rep.steps(gr, asked, toolTexts)
	}
	return rep
}

func (rep *report) outcome(gr goldenRun, res agent.Replayed) {
	want := agent.Replayed{Status: journal.RunStatus(gr.Want.Status), Error: gr.Want.Error, Final: gr.Want.Final, Steps: gr.Want.Steps}
	if res != want {
		rep.add("run %s: different outcome: ReplayHistory ended otherwise than the recorded run (-want +got):\n%s", gr.ID, cmp.Diff(want, res))
	}
}

// checkLoaded checks that the journal holds the run's steps exactly as the golden has them,
// so what replays is the recorded history.
func checkLoaded(t *testing.T, j *journal.Journal, gr goldenRun) {
	t.Helper()
	steps, err := j.Steps(context.Background(), gr.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]goldenStep, 0, len(steps))
	for _, st := range steps {
		got = append(got, goldenStepOf(st))
	}
	if d := cmp.Diff(gr.Steps, got); d != "" {
		t.Fatalf("run %s: the journal does not hold the golden's steps as given (-golden +journal):\n%s", gr.ID, d)
	}
}

// untouched checks that replaying left the run's record as loaded: a replay records no
// status, step or resume.
func (rep *report) untouched(t *testing.T, j *journal.Journal, gr goldenRun) {
	t.Helper()
	ctx := context.Background()
	run, err := j.Run(ctx, gr.ID)
	if err != nil {
		t.Fatal(err)
	}
	resumes, err := j.Resumes(ctx, gr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(run.Status) != gr.Status || run.Error != gr.Error || run.Steps != len(gr.Steps) || len(resumes) != len(gr.Resumes) {
		rep.add("run %s: after the replay it is %s %q with %d steps and %d resumes, want it as loaded: %s %q, %d steps, %d resumes",
			gr.ID, run.Status, run.Error, run.Steps, len(resumes), gr.Status, gr.Error, len(gr.Steps), len(gr.Resumes))
	}
}

// steps compares what the loop asked for at each config, model and tool step with the
// recorded row: the journal does not compare these on replay, but a record the loop decodes
// differently (a gate's outcome, a configuration) shows here first.
// toolTexts are the model steps whose requests differ from the record only in the tools'
// texts: their estimated size (a model input's estimated_tokens) follows the code too.
func (rep *report) steps(gr goldenRun, asked map[int]journal.StepSpec, toolTexts map[int]bool) {
	for _, st := range gr.Steps {
		if st.Kind == record.KindApproval {
			continue
		}
		spec, ok := asked[st.Seq]
		switch {
		case !ok:
			rep.add("run %s step %d (%s %s): missing: the replay never asked for it", gr.ID, st.Seq, st.Kind, st.Name)
		case spec.Name != st.Name || spec.Kind != st.Kind:
			rep.add("run %s step %d: different: the replay asked for %s %s, the history has %s %s", gr.ID, st.Seq, spec.Kind, spec.Name, st.Kind, st.Name)
		case spec.Idempotent != st.Idempotent:
			rep.add("run %s step %d (%s %s): different: the replay asked for idempotent=%v, the history has %v", gr.ID, st.Seq, st.Kind, st.Name, spec.Idempotent, st.Idempotent)
		case string(spec.Input) != st.Input && toolTexts[st.Seq] && sameButEstimate(spec.Input, []byte(st.Input)):
			rep.notes = append(rep.notes, fmt.Sprintf("run %s step %d: the estimated size follows the tools' texts (code, not record)", gr.ID, st.Seq))
		case string(spec.Input) != st.Input:
			rep.add("run %s step %d (%s %s): different input:\nreplay  %s\nhistory %s", gr.ID, st.Seq, st.Kind, st.Name, spec.Input, st.Input)
		}
		delete(asked, st.Seq)
	}
	extra := slices.Sorted(maps.Keys(asked))
	for _, seq := range extra {
		rep.add("run %s step %d: extra: the replay asked for %s %s beyond the history", gr.ID, seq, asked[seq].Kind, asked[seq].Name)
	}
}

// requests compares the rebuilt requests with the recorded ones, step by step, and says
// which are missing, extra or different. It returns the steps whose requests differ only in
// the tools' texts.
func (rep *report) requests(t *testing.T, gr goldenRun, got map[int]json.RawMessage, order []int) map[int]bool {
	t.Helper()
	toolTexts := map[int]bool{}
	want := map[int]json.RawMessage{}
	for _, w := range gr.Want.Requests {
		want[w.Seq] = w.Request
	}
	for _, w := range gr.Want.Requests {
		g, ok := got[w.Seq]
		if !ok {
			rep.add("run %s step %d: missing: the recorded model step's request was not rebuilt (rebuilt at steps %v)", gr.ID, w.Seq, order)
			continue
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, w.Request); err != nil {
			t.Fatalf("run %s step %d: golden request: %v", gr.ID, w.Seq, err)
		}
		switch {
		case bytes.Equal(compact.Bytes(), g):
		case sameButToolTexts(compact.Bytes(), g):
			// Tool descriptions and schemas come from the code, not the record (a run records
			// its tools by name): a new wording reaches old and new runs alike.
			rep.notes = append(rep.notes, fmt.Sprintf("run %s step %d: the tools' descriptions or schemas are not the recorded ones (code, not record)", gr.ID, w.Seq))
			toolTexts[w.Seq] = true
		default:
			rep.add("run %s step %d: different: the rebuilt request is not the one sent (-want +got):\n%s", gr.ID, w.Seq, jsonDiff(compact.Bytes(), g))
		}
	}
	for _, seq := range order {
		if _, ok := want[seq]; !ok {
			rep.add("run %s step %d: extra: a model request was rebuilt where the run recorded none", gr.ID, seq)
		}
	}
	if !slices.IsSorted(order) {
		rep.add("run %s: requests rebuilt out of order: %v", gr.ID, order)
	}
	return toolTexts
}

// sameButToolTexts reports whether two requests differ only in their tools' descriptions and
// input schemas.
// sameButEstimate reports whether two model inputs differ at most in estimated_tokens.
func sameButEstimate(a, b []byte) bool {
	var x, y map[string]json.RawMessage
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	delete(x, "estimated_tokens")
	delete(y, "estimated_tokens")
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func sameButToolTexts(want, got []byte) bool {
	strip := func(req []byte) []byte {
		var top map[string]json.RawMessage
		if json.Unmarshal(req, &top) != nil {
			return nil
		}
		var tools []map[string]json.RawMessage
		if raw, ok := top["tools"]; ok {
			if json.Unmarshal(raw, &tools) != nil {
				return nil
			}
			for _, tl := range tools {
				delete(tl, "description")
				delete(tl, "input_schema")
			}
			top["tools"], _ = json.Marshal(tools)
		}
		out, err := json.Marshal(top)
		if err != nil {
			return nil
		}
		return out
	}
	w, g := strip(want), strip(got)
	return w != nil && bytes.Equal(w, g)
}

// jsonDiff shows where two JSON texts differ, value by value; texts equal as values differ in
// their bytes only (key order, escapes), which it says.
func jsonDiff(want, got []byte) string {
	var w, g any
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return fmt.Sprintf("want %s\n got %s", want, got)
	}
	if d := cmp.Diff(w, g); d != "" {
		return d
	}
	return fmt.Sprintf("equal values, different bytes:\nwant %s\n got %s", want, got)
}

// TestGoldenReplayReports tampers with a golden history the way a changed record would
// look to this code (a field renamed in the recorded configuration or gate record, a step
// lost or changed) and checks that the replay reports it.
func TestGoldenReplayReports(t *testing.T) {
	t.Parallel()
	base, ok := loadGoldens(t)["v0/approvals"]
	if !ok {
		t.Fatal("no golden v0/approvals")
	}
	rename := func(kind, from, to string) func(*golden) {
		return func(g *golden) {
			for i, st := range g.Runs[0].Steps {
				if st.Kind == kind {
					g.Runs[0].Steps[i].Output = strings.ReplaceAll(st.Output, from, to)
				}
			}
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(*golden)
		want   string
	}{
		{"RunConfig max_tokens renamed", rename(record.KindConfig, `"max_tokens":`, `"max_output_tokens":`), "different: the rebuilt request is not the one sent"},
		{"RunConfig system renamed", rename(record.KindConfig, `"system":`, `"system_prompt":`), "different: the rebuilt request is not the one sent"},
		{"gate record outcome renamed", rename(record.KindApproval, `"outcome":`, `"result":`), "malformed approval decision"},
		{"last model step lost", func(g *golden) { g.Runs[0].Steps = g.Runs[0].Steps[:len(g.Runs[0].Steps)-1] }, "extra: the replay asked for llm model beyond the history"},
		{"tool step changed", func(g *golden) { g.Runs[0].Steps[3].Name = "edit" }, "different outcome"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blob, err := json.Marshal(base)
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(blob, &g); err != nil {
				t.Fatal(err)
			}
			tc.tamper(&g)
			rep := replayGolden(t, g)
			if all := strings.Join(rep.problems, "\n"); !strings.Contains(all, tc.want) {
				t.Errorf("replay of the tampered golden reported:\n%s\nwant a problem saying %q", all, tc.want)
			}
		})
	}
}
