package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// history returns the conversation of a session's earlier runs, oldest first, so a follow-up
// run sees what was said and done before it: from the latest compaction on, the compacted
// view (summary and ledger, then the turns after them), never everything again. Tool
// results pass through the follow-up's clip budget (clip.go).
func (r *Runner) history(ctx context.Context, sessionID string, clip int) ([]llm.Message, error) {
	return r.historyUntil(ctx, sessionID, "", 0, clip)
}

// historyUntil is history stopping after step untilSeq of run untilRun ("": all of it). It
// reads one run: the session's latest (or untilRun), whose recorded configuration holds the
// conversation before it, continued with its own turns. A forked session without runs yet
// starts with its origin's conversation up to the fork point.
func (r *Runner) historyUntil(ctx context.Context, sessionID, untilRun string, untilSeq, clip int) ([]llm.Message, error) {
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	if untilRun != "" {
		if i := slices.IndexFunc(runs, func(run journal.Run) bool { return run.ID == untilRun }); i >= 0 {
			runs = runs[:i+1]
		}
	}
	// A subagent's conversation is its parent's tool result, not a turn of the session.
	runs = slices.DeleteFunc(runs, func(run journal.Run) bool { return run.ParentRunID != "" && run.ID != untilRun })
	if len(runs) == 0 {
		f, err := r.config.Journal.ForkOf(ctx, sessionID)
		switch {
		case errors.Is(err, journal.ErrNotFound):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
		}
		return r.historyUntil(ctx, f.FromSession, f.FromRun, f.AtSeq, clip)
	}
	run := runs[len(runs)-1]
	steps, err := r.config.Journal.Steps(ctx, run.ID)
	if err != nil {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	if run.ID == untilRun {
		steps = stepsUpTo(steps, untilSeq)
	}
	var v view
	if len(steps) > 0 && steps[0].Kind == record.KindConfig {
		cfg, err := record.DecodeConfig(steps[0].Output)
		if err != nil {
			return nil, fmt.Errorf("agent: session %s history: run %s configuration: %w", sessionID, run.ID, err)
		}
		v.msgs = cfg.History
	}
	v.run(run.Prompt, steps, clip)
	return v.msgs, nil
}

// Conversation rebuilds a run's own turns from its steps: the prompt, each model response,
// and the tool results that answered it. A trailing response whose tool calls were not all
// answered (the run stopped in between) is left out, so the result is always a valid
// conversation to continue. A compaction in the run replaces the turns before it with its
// summary and kept turns.
func Conversation(prompt string, steps []journal.Step) []llm.Message {
	var v view
	v.run(prompt, steps, 0)
	return v.msgs
}

// view is a session's conversation as the loop carried it, rebuilt from the journal run by
// run: compactions replace what came before them, as they did in the loop.
type view struct {
	msgs []llm.Message
}

// run adds a run's prompt and turns to the view. The run's turns are rebuilt on their own
// and then joined to what came before, so a trimmed or refused end touches only this run.
func (v *view) run(prompt string, steps []journal.Step, clip int) {
	local := []llm.Message{llm.UserText(prompt)}
	var pending []llm.Block // tool uses of the last response not yet answered
	var results []llm.Block
	join := func() {
		for _, m := range local {
			if m.Role == llm.RoleUser {
				v.msgs = appendUser(v.msgs, m.Content...)
			} else {
				v.msgs = append(v.msgs, m)
			}
		}
		local = nil
	}
	defer join()
	for _, st := range steps {
		if st.Kind == record.KindCompact {
			if st.Status == journal.StepCompleted && st.Name == record.NameCompact {
				if c, err := record.DecodeCompaction(st.Output); err == nil {
					v.msgs, local = nil, compactedMessages(c)
				}
			} else if st.Status == journal.StepCompleted && st.Name == record.NameCompactEdit {
				local = trimUnanswered(local, pending, results)
				pending, results = nil, nil
				join()
				v.edit(st)
			}
			continue
		}
		if st.Status == journal.StepFailed && st.Kind == record.KindLLM && strings.HasPrefix(st.Error, tooLongPrefix) {
			continue // the loop compacted and asked again
		}
		if st.Status != journal.StepCompleted {
			break
		}
		switch st.Kind {
		case record.KindLLM:
			resp, err := record.DecodeModelOutput(st.Output)
			if err != nil {
				local = trimUnanswered(local, pending, results)
				return
			}
			if resp.StopReason == llm.StopRefusal {
				// Anthropic's guidance: a refused turn is removed before going on, or the
				// model refuses again. The refusal and the turn that drew it are left out.
				local = dropRefused(trimUnanswered(local, pending, results))
				return
			}
			local = appendAssistant(local, resp.Message())
			pending, results = nil, nil
			for _, b := range resp.Content {
				if b.Type == llm.BlockToolUse {
					pending = append(pending, b)
				}
			}
		case record.KindTool:
			if len(results) >= len(pending) {
				continue
			}
			res, err := record.DecodeToolOutput(st.Output)
			if err != nil {
				local = trimUnanswered(local, pending, results)
				return
			}
			use := pending[len(results)]
			results = append(results, llm.ToolResultBlock(use.ID, clipResult(use.Name, res.Content, clip), res.IsError))
			if len(results) == len(pending) {
				local = appendUser(local, results...)
				pending, results = nil, nil
			}
		}
	}
	local = trimUnanswered(local, pending, results)
}

// edit applies a person's summary edit to the view: the summary is in the first block of
// the first turn for as long as no later compaction replaced it; the ledger after it stays.
func (v *view) edit(st journal.Step) {
	e, err := record.DecodeCompactEdit(st.Output)
	if err != nil || len(v.msgs) == 0 || len(v.msgs[0].Content) == 0 {
		return
	}
	first := v.msgs[0]
	text := first.Content[0].Text
	i := strings.Index(text, ledgerHeading)
	if first.Content[0].Type != llm.BlockText || !strings.HasPrefix(text, compactedMarker) || i < 0 {
		return
	}
	content := append([]llm.Block{llm.TextBlock(compactedText(e.Summary, text[i+len(ledgerHeading):]))}, first.Content[1:]...)
	v.msgs = append([]llm.Message{{Role: first.Role, Content: content}}, v.msgs[1:]...)
}

func trimUnanswered(msgs []llm.Message, pending, results []llm.Block) []llm.Message {
	if len(pending) > len(results) {
		return msgs[:len(msgs)-1]
	}
	return msgs
}

// dropRefused removes the user turn that drew a refusal from the end of msgs, and the
// assistant turn before it whose tool calls that turn answered.
func dropRefused(msgs []llm.Message) []llm.Message {
	if n := len(msgs); n > 0 && msgs[n-1].Role == llm.RoleUser {
		msgs = msgs[:n-1]
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == llm.RoleAssistant && slices.ContainsFunc(msgs[n-1].Content, func(b llm.Block) bool { return b.Type == llm.BlockToolUse }) {
		msgs = msgs[:n-1]
	}
	return msgs
}
