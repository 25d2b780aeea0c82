package agent

import (
	"context"
	"fmt"
	"slices"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// history returns the conversation of a session's earlier runs, oldest first, so a follow-up
// run sees what was said and done before it.
func (r *Runner) history(ctx context.Context, sessionID string) ([]llm.Message, error) {
	return r.historyUntil(ctx, sessionID, "", 0)
}

// historyUntil is history stopping after step untilSeq of run untilRun ("": all of it). A
// forked session's history starts with its origin's up to the fork point (fork.go).
func (r *Runner) historyUntil(ctx context.Context, sessionID, untilRun string, untilSeq int) ([]llm.Message, error) {
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sessionID})
	if err != nil {
		return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
	}
	msgs, err := r.forkPrefix(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		if run.ParentRunID != "" {
			continue // a subagent's conversation is its parent's tool result, not a turn
		}
		steps, err := r.config.Journal.Steps(ctx, run.ID)
		if err != nil {
			return nil, fmt.Errorf("agent: session %s history: %w", sessionID, err)
		}
		if run.ID == untilRun {
			steps = stepsUpTo(steps, untilSeq)
		}
		for _, m := range Conversation(run.Prompt, steps) {
			if m.Role == llm.RoleUser {
				msgs = appendUser(msgs, m.Content...)
			} else {
				msgs = append(msgs, m)
			}
		}
		if run.ID == untilRun {
			break
		}
	}
	return msgs, nil
}

// Conversation rebuilds a run's own turns from its steps: the prompt, each model response,
// and the tool results that answered it. A trailing response whose tool calls were not all
// answered (the run stopped in between) is left out, so the result is always a valid
// conversation to continue.
func Conversation(prompt string, steps []journal.Step) []llm.Message {
	msgs := []llm.Message{llm.UserText(prompt)}
	var pending []llm.Block // tool uses of the last response not yet answered
	var results []llm.Block
	for _, st := range steps {
		if st.Status != journal.StepCompleted {
			break
		}
		switch st.Kind {
		case record.KindLLM:
			resp, err := record.DecodeModelOutput(st.Output)
			if err != nil {
				return trimUnanswered(msgs, pending, results)
			}
			if resp.StopReason == llm.StopRefusal {
				// Anthropic's guidance: a refused turn is removed before going on, or the
				// model refuses again. The refusal and the turn that drew it are left out.
				return dropRefused(trimUnanswered(msgs, pending, results))
			}
			msgs = appendAssistant(msgs, resp.Message())
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
				return trimUnanswered(msgs, pending, results)
			}
			results = append(results, llm.ToolResultBlock(pending[len(results)].ID, res.Content, res.IsError))
			if len(results) == len(pending) {
				msgs = appendUser(msgs, results...)
				pending, results = nil, nil
			}
		}
	}
	return trimUnanswered(msgs, pending, results)
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
