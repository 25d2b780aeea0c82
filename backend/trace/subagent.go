package trace

import (
	"context"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// ChildSource is an optional capability of a [Source]: it lists the subagent runs a run's
// task calls started (*journal.Journal has it). Without it runs are traced and exported
// without their subagents.
type ChildSource interface {
	Children(ctx context.Context, parentID string) ([]journal.Run, error)
}

// Subagent span attributes: a subagent's spans join its parent's trace, so each says whose
// run it is (corral.run.id), and the subagent's run span says which run and step started it.
const (
	attrParentRun = "corral.run.parent_id"
	attrParentSeq = "corral.run.parent_seq"
)

// children loads the histories of run's subagents and theirs, depth first, parents before
// their children.
func children(ctx context.Context, src Source, runID string) ([]History, error) {
	cs, ok := src.(ChildSource)
	if !ok {
		return nil, nil
	}
	kids, err := cs.Children(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("trace: load subagents of run %s: %w", runID, err)
	}
	var out []History
	for _, k := range kids {
		h, err := history(ctx, src, k)
		if err != nil {
			return nil, err
		}
		more, err := children(ctx, src, k.ID)
		if err != nil {
			return nil, err
		}
		out = append(append(out, h), more...)
	}
	return out, nil
}

// Nest grafts each subagent's trace into its parent's (see [Graft]) where both are in
// traces, deepest first, and returns the traces left at the top, in their order.
func Nest(traces []Trace) []Trace {
	index := make(map[string]int, len(traces))
	for i, t := range traces {
		index[t.Run.ID] = i
	}
	parentOf := func(t Trace) (int, int, bool) {
		if len(t.Spans) == 0 {
			return 0, 0, false
		}
		a := t.Spans[0].Attributes
		p, _ := a[attrParentRun].(string)
		seq, _ := a[attrParentSeq].(int64)
		i, ok := index[p]
		return i, int(seq), ok && p != t.Run.ID
	}
	depth := func(t Trace) int {
		d := 0
		for cur := t; d < len(traces); d++ {
			i, _, ok := parentOf(cur)
			if !ok {
				break
			}
			cur = traces[i]
		}
		return d
	}
	// Deepest first, so a child carries its own children when it is grafted.
	maxDepth := 0
	depths := make([]int, len(traces))
	for i, t := range traces {
		depths[i] = depth(t)
		maxDepth = max(maxDepth, depths[i])
	}
	work := append([]Trace(nil), traces...)
	for d := maxDepth; d > 0; d-- {
		for i := range work {
			if depths[i] != d {
				continue
			}
			p, seq, _ := parentOf(traces[i])
			work[p] = Graft(work[p], work[i], seq)
		}
	}
	var out []Trace
	for i, t := range work {
		if depths[i] == 0 {
			out = append(out, t)
		}
	}
	return out
}

// Graft returns parent with a subagent's trace inside it, as a group under the parent's
// step that waited for the subagent (the task call's tool step, or the subagent step that
// started it when there is none): the child's spans join the parent's trace, each with
// Group set to the child's run id (a grandchild's keep theirs), its run span's parent is
// that step, and the child's tokens and cost are rolled up into that step and the
// parent's run. parentSeq is the subagent step's seq.
func Graft(parent, child Trace, parentSeq int) Trace {
	if len(child.Spans) == 0 || len(parent.Spans) == 0 {
		return parent
	}
	at := waitSpan(parent.Spans, parentSeq)
	if at < 0 {
		return parent
	}
	out := parent
	out.Spans = make([]Span, 0, len(parent.Spans)+len(child.Spans))
	out.Spans = append(out.Spans, parent.Spans[:at+1]...)
	host := &out.Spans[at]
	// The host's own usage stays in its attributes (what exports carry); the span's
	// figures show the subagent's too.
	root := child.Spans[0]
	host.Usage = host.Usage.Add(root.Usage)
	host.CostUSD += root.CostUSD
	out.Spans[0].Usage = out.Spans[0].Usage.Add(root.Usage)
	out.Spans[0].CostUSD += root.CostUSD
	out.Run.Usage = out.Run.Usage.Add(root.Usage)
	out.Run.CostUSD += root.CostUSD
	// The child goes after the host's own derived spans (a command), before the next step.
	end := at + 1
	for end < len(parent.Spans) && parent.Spans[end].ParentID == parent.Spans[at].ID {
		out.Spans = append(out.Spans, parent.Spans[end])
		end++
	}
	hostID := parent.Spans[at].ID
	for i, sp := range child.Spans {
		sp.Attributes = cloneAttrs(sp.Attributes)
		sp.Attributes[attrRunID] = child.Run.ID
		if sp.Group == "" {
			sp.Group = child.Run.ID
		}
		if i == 0 {
			sp.ParentID = hostID
		}
		out.Spans = append(out.Spans, sp)
	}
	out.Spans = append(out.Spans, parent.Spans[end:]...)
	return out
}

// waitSpan is the index of the span a subagent started at step seq is grafted under: the
// tool step of the task call whose subagent step is seq (the k-th subagent step of a turn
// is answered by the turn's k-th task tool step), or the subagent step itself.
func waitSpan(spans []Span, seq int) int {
	spawn, k := -1, 0
	for i, sp := range spans {
		if sp.Seq == seq && sp.Kind == KindSubagent && sp.ParentID == spans[0].ID {
			spawn = i
			break
		}
	}
	if spawn < 0 {
		return -1
	}
	for i := spawn - 1; i > 0; i-- {
		if spans[i].ParentID != spans[0].ID {
			continue // a derived span
		}
		if spans[i].Kind != KindSubagent {
			break
		}
		k++
	}
	seen := 0
	for i := spawn + 1; i < len(spans); i++ {
		sp := spans[i]
		if sp.ParentID != spans[0].ID || sp.Kind == KindSubagent {
			continue
		}
		if sp.Kind == KindModel {
			break // the next turn: the call was never answered
		}
		if sp.Kind == KindTool && sp.Attributes[attrStepName] == record.NameTask {
			if seen == k {
				return i
			}
			seen++
		}
	}
	return spawn
}

func cloneAttrs(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
