package trace

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// An outline is a run's trace without its content, so the window can open a run of any
// length at once: a 100,000-step run's trace is about 160 MiB of JSON and takes seconds to
// build, its outline is a few MiB read without the steps' inputs and outputs. The views
// draw the outline and ask for the content of the steps on screen, and of the one the
// inspector shows, with [LoadSteps].

// Outline is a run's trace as the window first draws it: the run's steps without their
// content, and the spans that are not the run's own steps (the root, resumes, restores and
// any subagents' spans grafted in).
type Outline struct {
	Version int     `json:"version"`
	ID      string  `json:"trace_id"`
	Run     RunInfo `json:"run"`
	// Steps are the run's own steps in seq order.
	Steps []OutlineStep `json:"steps"`
	// Spans are the root span first, then resumes, restores and subagents' spans.
	Spans []Span `json:"spans"`
}

// OutlineStep is one step of an outline: what a node of the graph or a row of the timeline
// shows before its content is loaded.
type OutlineStep struct {
	Seq int `json:"seq"`
	// Kind and Name are the journal's (config, llm, tool, approval, compact, ...).
	Kind    string             `json:"kind"`
	Name    string             `json:"name"`
	Status  journal.StepStatus `json:"status"`
	Attempt int                `json:"attempt"`
	// Start and End are epoch milliseconds; 0 when unknown or unfinished.
	Start int64 `json:"start,omitempty"`
	End   int64 `json:"end,omitempty"`
	// RequestedBy is, for a tool call or approval, the seq of the model call before it.
	RequestedBy int       `json:"requested_by,omitempty"`
	Usage       llm.Usage `json:"usage,omitzero"`
	CostUSD     float64   `json:"cost_usd,omitempty"`
	// Error is the start of a failed step's error.
	Error string `json:"error,omitempty"`
	// IsError marks a tool call whose result was an error the model saw, and an approval
	// that refused its call.
	IsError    bool   `json:"is_error,omitempty"`
	Resolution string `json:"resolution,omitempty"`
}

// errorChars is how much of a failed step's error an outline keeps.
const errorChars = 200

// errorMarks are what a step's recorded output contains, by step kind, when IsError holds:
// the tool result's is_error member and the gate record's outcome (record.GateRecord), as
// encoding/json writes them.
var errorMarks = map[string][]byte{
	record.KindTool:     []byte(`"is_error":true`),
	record.KindApproval: []byte(`"run":false`),
}

// HeadSource is an optional capability of a [Source]: a run's steps without their inputs
// and outputs (see journal.StepHeads). [LoadOutline] needs it for its fast path.
type HeadSource interface {
	StepHeads(ctx context.Context, runID string, marks map[string][]byte) ([]journal.StepHead, error)
}

// LoadOutline reads a run's outline. A run with subagents, or a source without
// [HeadSource], is read whole (as [Load] does) and then outlined.
func LoadOutline(ctx context.Context, src Source, runID string) (Outline, error) {
	hs, ok := src.(HeadSource)
	if ok {
		if cs, isCS := src.(ChildSource); isCS {
			kids, err := cs.Children(ctx, runID)
			if err != nil {
				return Outline{}, fmt.Errorf("trace: load subagents of run %s: %w", runID, err)
			}
			ok = len(kids) == 0
		}
	}
	if !ok {
		t, err := Load(ctx, src, runID)
		if err != nil {
			return Outline{}, err
		}
		return OutlineOf(t), nil
	}
	run, err := src.Run(ctx, runID)
	if err != nil {
		return Outline{}, fmt.Errorf("trace: load run %s: %w", runID, err)
	}
	heads, err := hs.StepHeads(ctx, runID, errorMarks)
	if err != nil {
		return Outline{}, fmt.Errorf("trace: load run %s: %w", runID, err)
	}
	// The root, resumes and restores are built as Load builds them, from a history of no
	// steps; the totals and times the steps give the root are added here.
	h, err := stepless(ctx, src, run)
	if err != nil {
		return Outline{}, err
	}
	cfg, err := stepGetter(src, runID)(ctx, 1)
	if err == nil && cfg.Kind == record.KindConfig {
		h.Steps = []journal.Step{cfg}
	}
	t, err := h.Trace()
	if err != nil {
		return Outline{}, err
	}
	t, err = withFork(ctx, src, run, t)
	if err != nil {
		return Outline{}, err
	}
	o := Outline{Version: t.Version, ID: t.ID, Run: t.Run, Steps: make([]OutlineStep, 0, len(heads))}
	root := t.Spans[0]
	o.Run.Steps, o.Run.Usage, o.Run.CostUSD = len(heads), llm.Usage{}, 0
	caller := 0
	for _, sh := range heads {
		st := sh.Step
		os := OutlineStep{Seq: st.Seq, Kind: st.Kind, Name: st.Name, Status: st.Status, Attempt: st.Attempt,
			Start: ms(st.StartedAt), Usage: usage(st.Usage), CostUSD: st.CostUSD, Error: cutError(st.Error),
			IsError: sh.Marked, Resolution: string(st.Resolution)}
		if st.Status != journal.StepStarted {
			os.End = ms(st.FinishedAt)
		}
		switch st.Kind {
		case record.KindLLM:
			caller = st.Seq
		case record.KindTool, record.KindApproval:
			os.RequestedBy = caller
		}
		o.Steps = append(o.Steps, os)
		o.Run.Usage = o.Run.Usage.Add(os.Usage)
		o.Run.CostUSD += st.CostUSD
		if !st.StartedAt.IsZero() && (root.Start.IsZero() || st.StartedAt.Before(root.Start)) {
			root.Start = st.StartedAt
		}
		if root.Status != StatusUnfinished && st.FinishedAt.After(root.End) {
			root.End = st.FinishedAt
		}
	}
	root.Usage, root.CostUSD = o.Run.Usage, o.Run.CostUSD
	setUsage(root.Attributes, root.Usage, root.CostUSD)
	o.Spans = append([]Span{root}, withoutSteps(t.Spans[1:])...)
	return o, nil
}

// OutlineOf outlines a trace built whole (see [Load]).
func OutlineOf(t Trace) Outline {
	o := Outline{Version: t.Version, ID: t.ID, Run: t.Run}
	seqOf := map[string]int{}
	for _, sp := range t.Spans {
		if sp.Group != "" || sp.Seq <= 0 || sp.Kind == KindCommand || sp.Kind == KindResume {
			continue
		}
		seqOf[sp.ID] = sp.Seq
		kind, _ := sp.Attributes[attrStepKind].(string)
		name, _ := sp.Attributes[attrStepName].(string)
		status, _ := sp.Attributes[attrStepStatus].(string)
		attempt, _ := sp.Attributes[attrStepAttempt].(int64)
		resolution, _ := sp.Attributes[attrStepResolution].(string)
		isErr, _ := sp.Attributes["corral.tool.is_error"].(bool)
		if sp.Kind == KindApproval {
			run, decided := sp.Attributes["corral.approval.run"].(bool)
			isErr = decided && !run
		}
		o.Steps = append(o.Steps, OutlineStep{Seq: sp.Seq, Kind: kind, Name: name, Status: journal.StepStatus(status),
			Attempt: int(attempt), Start: ms(sp.Start), End: ms(sp.End), RequestedBy: seqOf[sp.RequestedBy],
			Usage: sp.Usage, CostUSD: sp.CostUSD, Error: cutError(sp.Error), IsError: isErr, Resolution: resolution})
	}
	o.Spans = withoutSteps(t.Spans)
	return o
}

// withoutSteps returns the spans that are not the traced run's own steps or commands.
func withoutSteps(spans []Span) []Span {
	var out []Span
	for _, sp := range spans {
		if sp.Group == "" && sp.Seq > 0 && sp.Kind != KindResume && sp.Kind != KindRestore {
			continue
		}
		out = append(out, sp)
	}
	return out
}

// ms is t in epoch milliseconds, or 0 for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// cutError shortens a step's error to errorChars characters and an ellipsis.
func cutError(s string) string {
	if utf8.RuneCountInString(s) <= errorChars {
		return s
	}
	n := 0
	for i := range s {
		if n == errorChars {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// MaxStepRange is the most steps [LoadSteps] reads at once.
const MaxStepRange = 500

// RangeSource is an optional capability of a [Source]: the steps of a run in a range of
// seqs, so [LoadSteps] need not read the whole run. *journal.Journal satisfies it.
type RangeSource interface {
	StepRange(ctx context.Context, runID string, from, to int) ([]journal.Step, error)
}

// LoadSteps reads the steps from..to (inclusive; at most MaxStepRange) of a run and
// returns their spans with their whole content, as [Load] builds them: for a run opened as
// an outline, the content of the steps on screen and of the one the inspector shows. What
// a span takes from steps outside the range (the model call a tool call answers) is
// missing; the outline has it.
func LoadSteps(ctx context.Context, src Source, runID string, from, to int) ([]Span, error) {
	if from < 1 || to < from || to-from >= MaxStepRange {
		return nil, fmt.Errorf("trace: load steps %d-%d of run %s: want 1 <= from <= to < from+%d", from, to, runID, MaxStepRange)
	}
	run, err := src.Run(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("trace: load steps of run %s: %w", runID, err)
	}
	// The step after the range is read too: an approval's outcome depends on it. The
	// configuration names the run's provider and model.
	steps, err := stepRange(ctx, src, runID, from, to+1)
	if err != nil {
		return nil, fmt.Errorf("trace: load steps of run %s: %w", runID, err)
	}
	if from > 1 {
		if cfg, err := stepGetter(src, runID)(ctx, 1); err == nil && cfg.Kind == record.KindConfig {
			steps = append([]journal.Step{cfg}, steps...)
		}
	}
	t, err := Build(run, steps)
	if err != nil {
		return nil, err
	}
	var out []Span
	for _, sp := range t.Spans[1:] {
		if sp.Seq >= from && sp.Seq <= to && sp.Kind != KindResume {
			out = append(out, sp)
		}
	}
	return out, nil
}

func stepRange(ctx context.Context, src Source, runID string, from, to int) ([]journal.Step, error) {
	if rs, ok := src.(RangeSource); ok {
		return rs.StepRange(ctx, runID, from, to)
	}
	all, err := src.Steps(ctx, runID)
	if err != nil {
		return nil, err
	}
	var out []journal.Step
	for _, st := range all {
		if st.Seq >= from && st.Seq <= to {
			out = append(out, st)
		}
	}
	return out, nil
}

// StepSource is an optional capability of a [Source]: one step of a run, by seq.
// *journal.Journal satisfies it.
type StepSource interface {
	GetStep(ctx context.Context, runID string, seq int) (journal.Step, error)
}

// stepGetter returns a function that reads one step of a run from src.
func stepGetter(src Source, runID string) func(ctx context.Context, seq int) (journal.Step, error) {
	if ss, ok := src.(StepSource); ok {
		return func(ctx context.Context, seq int) (journal.Step, error) { return ss.GetStep(ctx, runID, seq) }
	}
	return func(ctx context.Context, seq int) (journal.Step, error) {
		steps, err := stepRange(ctx, src, runID, seq, seq)
		if err != nil {
			return journal.Step{}, err
		}
		if len(steps) == 0 {
			return journal.Step{}, fmt.Errorf("step %d of %s: %w", seq, runID, journal.ErrNotFound)
		}
		return steps[0], nil
	}
}
