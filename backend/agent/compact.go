package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// Compaction: when the next request of a run would pass its threshold (CompactAt percent
// of the context window), or the provider answered that the prompt is too long, the loop
// first records a compaction step (kind compact): a model call that summarizes the older
// turns. The requests after it carry one user turn holding that summary and the ledger
// (ledger.go: what the journal says was done, built by code, not by the model), then the
// most recent turns unchanged. The step records the summary, the ledger and the kept turns,
// so a resumed or replayed run rebuilds the same conversation byte for byte, and a
// follow-up run of the session starts from it (history.go). The full history stays in the
// journal.

// Shares of the context window, in percent.
const (
	// keepShare is the most the recent turns kept unchanged may take.
	keepShare = 30
	// transcriptShare is the most the transcript sent to be summarized may take.
	transcriptShare = 60
	// clipShare is the most one tool result may take in a request (clip.go).
	clipShare = 12
	// ledgerShare is the most the ledger may take before its oldest entries are counted
	// instead of listed.
	ledgerShare = 20
)

// tooLongPrefix starts the error a model step is failed with when the provider answered
// that the prompt is too long and the run compacts instead of pausing: a replay knows the
// step from it.
const tooLongPrefix = "context too long: "

// compactedMarker opens the user turn that stands for the compacted turns.
const compactedMarker = "[Corral compacted the conversation before this point to fit the model's context window.]"

// ledgerHeading separates a compacted turn's summary from its ledger.
const ledgerHeading = "\n\n## Ledger (built by Corral from its journal: complete and exact)\n\n"

// summarySystem is the system prompt of a compaction's model call.
const summarySystem = `You write the working memory of a coding agent whose older conversation is being removed from its context window. The agent will continue from your summary alone, plus an exact ledger Corral appends (every prompt of the person, file written or edited, command run with its exit code, and approval denied), so do not copy that ledger out.
Write a concise summary, in this order: the person's goal and the current request; what was done and learned (decisions, their reasons, findings, errors met and how they were solved); the state of the work now; what is left to do. Keep names exact (files, functions, commands, identifiers). Write only the summary.`

// summaryPrompt closes the request a compaction sends.
const summaryPrompt = "Summarize the conversation above as your instructions say."

// compactedText is the text of the user turn that replaces the compacted turns.
func compactedText(summary, ledger string) string {
	var b strings.Builder
	b.WriteString(compactedMarker)
	b.WriteString("\n\n## Summary of the earlier conversation\n\n")
	b.WriteString(strings.TrimSpace(summary))
	b.WriteString(ledgerHeading)
	b.WriteString(ledger)
	return b.String()
}

// compactedMessages is the conversation after a compaction: the summary and ledger as a
// user turn, then the kept turns (a kept user turn first is merged into it).
func compactedMessages(c record.Compaction) []llm.Message {
	msgs := []llm.Message{llm.UserText(compactedText(c.Summary, c.Ledger))}
	for _, m := range c.Kept {
		if m.Role == llm.RoleUser {
			msgs = appendUser(msgs, m.Content...)
		} else {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// cutPoint is the index of the first message kept unchanged: the earliest turn boundary
// after which at most keepBytes remain, else the latest boundary. A boundary is an
// assistant turn, or a user turn without tool results (whose calls would be summarized
// away). 0 means there is nothing to compact.
func cutPoint(msgs []llm.Message, keepBytes int) int {
	latest, tail := 0, 0
	best := 0
	for i := len(msgs) - 1; i >= 1; i-- {
		tail += messageSize(msgs[i])
		if !boundary(msgs[i]) {
			continue
		}
		if latest == 0 {
			latest = i
		}
		if tail <= keepBytes {
			best = i
		}
	}
	if best == 0 {
		return latest
	}
	return best
}

func boundary(m llm.Message) bool {
	if m.Role == llm.RoleAssistant {
		return true
	}
	for _, b := range m.Content {
		if b.Type == llm.BlockToolResult {
			return false
		}
	}
	return true
}

// compactIfNeeded compacts req's messages first when req would pass the run's threshold
// (by the one estimate, NextRequestTokens); it returns the conversation to send.
func (l *loop) compactIfNeeded(ctx context.Context, req llm.Request) ([]llm.Message, error) {
	msgs := req.Messages
	if h, ok := l.cur.Peek(); ok {
		// Replaying: the record says whether the run compacted here, whatever today's
		// estimate would decide, so a run recorded by another version resumes alike.
		if h.Kind != record.KindCompact {
			return msgs, nil
		}
		out, _, err := l.compact(ctx, msgs, record.CompactThreshold, 0)
		return out, err
	}
	limit := threshold(l.cfg)
	if limit == 0 {
		return msgs, nil
	}
	est := int(l.NextRequestTokens(req))
	if est < limit || !worthCompacting(msgs, cutPoint(msgs, l.cfg.ContextWindow*bytesPerToken*keepShare/100), l.cfg.ContextWindow) {
		return msgs, nil
	}
	out, _, err := l.compact(ctx, msgs, record.CompactThreshold, est)
	return out, err
}

// minGainShare is the least, in percent of the window, that a compaction must take out of
// the conversation (besides an earlier summary) to be worth its model call: below it the
// run goes on, and a compaction waits for the provider to refuse (too_long).
const minGainShare = 10

// worthCompacting reports whether summarizing msgs[:cut] frees enough: an earlier
// compaction's turn is not counted, as it comes back in another form.
func worthCompacting(msgs []llm.Message, cut, window int) bool {
	if cut == 0 {
		return false
	}
	from := 0
	if first := msgs[0]; len(first.Content) > 0 && strings.HasPrefix(first.Content[0].Text, compactedMarker) {
		from = 1
	}
	gain := 0
	for _, m := range msgs[from:cut] {
		gain += messageSize(m)
	}
	return gain >= window*bytesPerToken*minGainShare/100
}

// compact records a compaction step over msgs and returns the conversation after it;
// done is false when there was nothing to compact (msgs is returned as it is).
//
// A compaction the history has at this point is replayed from its record: its input (where
// it cut, the estimate) is the recorded one, not what today's rules make of msgs.
func (l *loop) compact(ctx context.Context, msgs []llm.Message, reason string, est int) ([]llm.Message, bool, error) {
	cut := cutPoint(msgs, l.cfg.ContextWindow*bytesPerToken*keepShare/100)
	in := record.CompactInput{V: record.CompactionVersion, Reason: reason, Messages: len(msgs), Summarized: cut, Tokens: est, Window: l.cfg.ContextWindow}
	input, _ := json.Marshal(in)
	if h, ok := l.cur.Peek(); ok && h.Kind == record.KindCompact {
		rec, err := record.DecodeCompactInput(h.Input)
		if err != nil {
			return msgs, false, fmt.Errorf("agent: run %s step %d: recorded compaction input: %w", l.run.ID, h.Seq, err)
		}
		if rec.Summarized > len(msgs) {
			return msgs, false, fmt.Errorf("agent: run %s step %d: the recorded compaction summarized %d messages of %d", l.run.ID, h.Seq, rec.Summarized, len(msgs))
		}
		cut, input = rec.Summarized, h.Input
	}
	if cut == 0 {
		return msgs, false, nil
	}
	seq := l.cur.Seq() + 1
	begun := time.Now()
	st, err := l.step(ctx, journal.StepSpec{Name: record.NameCompact, Kind: record.KindCompact, Idempotent: true, Input: input}, func(ctx context.Context) (journal.StepResult, error) {
		l.r.publish(Event{Type: EventCompactStarted, RunID: l.run.ID, Seq: seq, Model: l.cfg.Model, Reason: reason, ContextTokens: int64(est)})
		if l.model == nil {
			m, err := l.d.models.Model(l.cfg)
			if err != nil {
				return journal.StepResult{}, &modelFault{seq: seq, err: err}
			}
			l.model = m
		}
		ledger, err := l.r.ledger(ctx, l.run.SessionID, l.run.ID, seq, l.cfg.ContextWindow*bytesPerToken*ledgerShare/100)
		if err != nil {
			return journal.StepResult{}, err
		}
		c, usage, err := summarize(ctx, l.model, l.cfg, msgs[:cut], ledger, func(ev llm.Event) { l.streamEvent(seq, ev) })
		if err != nil {
			return journal.StepResult{}, &modelFault{seq: seq, err: err}
		}
		c.Kept = msgs[cut:]
		out, err := json.Marshal(c)
		if err != nil {
			return journal.StepResult{}, err
		}
		return journal.StepResult{Output: out, Usage: journalUsage(usage), CostUSD: l.d.prices.Cost(l.cfg.Model, usage)}, nil
	})
	if err != nil {
		return msgs, false, err
	}
	c, err := record.DecodeCompaction(st.Output)
	if err != nil {
		return msgs, false, fmt.Errorf("agent: run %s step %d: recorded compaction: %w", l.run.ID, st.Seq, err)
	}
	u := llm.Usage{InputTokens: st.Usage.InputTokens, OutputTokens: st.Usage.OutputTokens, CacheReadTokens: st.Usage.CacheReadTokens, CacheWriteTokens: st.Usage.CacheWriteTokens}
	l.r.publish(Event{Type: EventCompactFinished, RunID: l.run.ID, Seq: st.Seq, Model: l.cfg.Model, Replayed: st.Replayed,
		Usage: &u, CostUSD: st.CostUSD, Text: c.Summary, Duration: time.Since(begun).Milliseconds()})
	l.spent.base = llm.Baseline{} // the old request is no longer a prefix of the next
	return compactedMessages(c), true, nil
}

func journalUsage(u llm.Usage) journal.Usage {
	return journal.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadTokens, CacheWriteTokens: u.CacheWriteTokens}
}

// summarize asks model for the summary of older (the turns a compaction replaces) and
// returns the compaction record without its kept turns.
func summarize(ctx context.Context, model llm.Model, cfg RunConfig, older []llm.Message, ledger string, onEvent func(llm.Event)) (record.Compaction, llm.Usage, error) {
	budget := cfg.ContextWindow * bytesPerToken * transcriptShare / 100
	req := llm.Request{
		Model: cfg.Model, System: summarySystem, MaxTokens: cfg.MaxTokens, MaxTokensField: cfg.MaxTokensField,
		Messages: []llm.Message{llm.UserText(transcript(older, budget) + "\n\n" + summaryPrompt)},
	}
	resp, err := model.Stream(ctx, req, onEvent)
	if err != nil {
		return record.Compaction{}, resp.Usage, err
	}
	summary := strings.TrimSpace(resp.Text())
	if summary == "" {
		return record.Compaction{}, resp.Usage, errors.New("the model wrote no summary")
	}
	return record.Compaction{V: record.CompactionVersion, Summary: summary, Ledger: ledger}, resp.Usage, nil
}

// transcriptResult is the most of one tool result the transcript to summarize shows.
const transcriptResult = 1024

// transcript renders turns as text for the model to summarize (no tool blocks: the
// summary request offers no tools): each turn labelled, tool results clipped. Past budget
// bytes, the oldest turns after the first (an earlier summary, when there is one) are
// left out, and it says so.
func transcript(msgs []llm.Message, budget int) string {
	parts := make([]string, len(msgs))
	total := 0
	for i, m := range msgs {
		parts[i] = renderTurn(m)
		total += len(parts[i])
	}
	first, dropped := 1, 0
	for total > budget && first < len(parts)-1 {
		total -= len(parts[first])
		parts[first] = ""
		first++
		dropped++
	}
	var b strings.Builder
	b.WriteString("<conversation>\n")
	for i, p := range parts {
		if i == 1 && dropped > 0 {
			fmt.Fprintf(&b, "[%d turns left out here to fit the context window; the ledger lists what they did]\n\n", dropped)
		}
		if p != "" {
			b.WriteString(p)
			b.WriteString("\n")
		}
	}
	b.WriteString("</conversation>")
	return b.String()
}

func renderTurn(m llm.Message) string {
	var b strings.Builder
	for _, blk := range m.Content {
		switch blk.Type {
		case llm.BlockText:
			fmt.Fprintf(&b, "[%s] %s\n", m.Role, blk.Text)
		case llm.BlockToolUse:
			fmt.Fprintf(&b, "[assistant calls %s] %s\n", blk.Name, blk.Input)
		case llm.BlockToolResult:
			label := "tool result"
			if blk.IsError {
				label = "tool error"
			}
			fmt.Fprintf(&b, "[%s] %s\n", label, clipText(blk.Content, transcriptResult, "the journal keeps it whole"))
		}
	}
	return b.String()
}

// tooLong is a model call the provider refused as too long, in a run that compacts
// instead: the step is recorded failed with tooLongPrefix, and the loop compacts and asks
// again.
type tooLong struct{ err error }

func (e *tooLong) Error() string { return tooLongPrefix + e.err.Error() }
func (e *tooLong) Unwrap() error { return e.err }

// failedTooLong reports whether err is a model step recorded failed because the prompt was
// too long (now, or in the history being replayed).
func failedTooLong(err error) bool {
	var failed *journal.StepFailedError
	return errors.As(err, &failed) && failed.Kind == record.KindLLM && strings.HasPrefix(failed.Message, tooLongPrefix)
}

// done ends a run's walk: trailing compaction steps recorded after the run ended (corral
// compact, a summary edit) are passed over, then the history must hold nothing more.
func (l *loop) done(ctx context.Context) error {
	for {
		h, ok := l.cur.Peek()
		if !ok || h.Kind != record.KindCompact {
			return l.cur.Done()
		}
		spec := journal.StepSpec{Name: h.Name, Kind: h.Kind, Idempotent: h.Idempotent, Input: h.Input}
		if l.hooks.Step != nil {
			l.hooks.Step(l.cur.Seq()+1, spec)
		}
		if _, err := l.cur.Begin(ctx, spec); err != nil {
			return err
		}
	}
}

// ErrNotCompactable means the run or session cannot be compacted now.
var ErrNotCompactable = errors.New("agent: cannot compact")

// Compacted is what Compact did.
type Compacted struct {
	RunID string
	Seq   int
	// Messages is how many messages the conversation had, Summarized how many the summary
	// replaced.
	Messages, Summarized int
	Summary, Ledger      string
	CostUSD              float64
}

// Compact compacts a session's conversation by hand (corral compact): id is a run or a
// session; the step is recorded at the end of the session's latest run, which must have
// ended. Follow-up runs start from the compacted conversation. A compaction cut off by a
// crash is run again by the next Compact.
func (r *Runner) Compact(ctx context.Context, id string) (Compacted, error) {
	run, cfg, err := r.compactTarget(ctx, id)
	if err != nil {
		return Compacted{}, err
	}
	msgs, err := r.history(ctx, run.SessionID, clipBudget(cfg))
	if err != nil {
		return Compacted{}, err
	}
	window := cfg.ContextWindow
	if window == 0 {
		window = defaultWindow
	}
	cut := cutPoint(msgs, window*bytesPerToken*keepShare/100)
	if cut == 0 {
		return Compacted{}, fmt.Errorf("%w: session %s has too little conversation to compact", ErrNotCompactable, run.SessionID)
	}
	seq, err := r.config.Journal.LastSeq(ctx, run.ID)
	if err != nil {
		return Compacted{}, fmt.Errorf("agent: %w", err)
	}
	if last, err := r.config.Journal.GetStep(ctx, run.ID, seq); err == nil && last.Kind == record.KindCompact && last.Name == record.NameCompact && last.Status == journal.StepStarted {
		seq-- // a compaction cut off: run it again
	}
	seq++
	in, _ := json.Marshal(record.CompactInput{V: record.CompactionVersion, Reason: record.CompactManual, Messages: len(msgs), Summarized: cut, Window: cfg.ContextWindow})
	cfg.ContextWindow = window
	st, err := r.config.Journal.Step(ctx, run.ID, seq, journal.StepSpec{Name: record.NameCompact, Kind: record.KindCompact, Idempotent: true, Input: in}, func(ctx context.Context) (journal.StepResult, error) {
		model, err := r.config.Models.Model(cfg)
		if err != nil {
			return journal.StepResult{}, err
		}
		ledger, err := r.ledger(ctx, run.SessionID, run.ID, seq, window*bytesPerToken*ledgerShare/100)
		if err != nil {
			return journal.StepResult{}, err
		}
		c, usage, err := summarize(ctx, model, cfg, msgs[:cut], ledger, nil)
		if err != nil {
			return journal.StepResult{}, err
		}
		c.Kept = msgs[cut:]
		out, err := json.Marshal(c)
		if err != nil {
			return journal.StepResult{}, err
		}
		return journal.StepResult{Output: out, Usage: journalUsage(usage), CostUSD: r.config.Prices.Cost(cfg.Model, usage)}, nil
	})
	if err != nil {
		return Compacted{}, fmt.Errorf("agent: compact run %s: %w", run.ID, err)
	}
	c, err := record.DecodeCompaction(st.Output)
	if err != nil {
		return Compacted{}, fmt.Errorf("agent: compact run %s: %w", run.ID, err)
	}
	return Compacted{RunID: run.ID, Seq: st.Seq, Messages: len(msgs), Summarized: cut, Summary: c.Summary, Ledger: c.Ledger, CostUSD: st.CostUSD}, nil
}

// defaultWindow is the window a manual compaction measures by when the run knows none.
const defaultWindow = 200_000

// compactTarget is the run whose end a manual compaction or summary edit is recorded at:
// the latest run of the session id names (id is a run or a session), which must have ended.
func (r *Runner) compactTarget(ctx context.Context, id string) (journal.Run, RunConfig, error) {
	sessionID := id
	if run, err := r.config.Journal.Run(ctx, id); err == nil {
		sessionID = run.SessionID
	}
	sess, err := r.config.Journal.Session(ctx, sessionID)
	if err != nil {
		return journal.Run{}, RunConfig{}, fmt.Errorf("agent: compact %s: no such run or session: %w", id, err)
	}
	if sess.Imported() {
		return journal.Run{}, RunConfig{}, fmt.Errorf("%w: session %s was imported and is read-only", ErrNotCompactable, sess.ID)
	}
	runs, err := r.config.Journal.Runs(ctx, journal.RunFilter{SessionID: sess.ID})
	if err != nil {
		return journal.Run{}, RunConfig{}, fmt.Errorf("agent: session %s runs: %w", sess.ID, err)
	}
	if len(runs) == 0 {
		return journal.Run{}, RunConfig{}, fmt.Errorf("%w: session %s has no runs", ErrNotCompactable, sess.ID)
	}
	run := runs[len(runs)-1]
	switch run.Status {
	case journal.RunCompleted, journal.RunFailed, journal.RunRefused, journal.RunCutOff:
	default:
		return run, RunConfig{}, fmt.Errorf("%w: run %s is %s; a run compacts itself when its context fills, and a session is compacted by hand once its latest run has ended", ErrNotCompactable, run.ID, run.Status)
	}
	cfgStep, err := r.config.Journal.GetStep(ctx, run.ID, 1)
	if err != nil {
		return run, RunConfig{}, fmt.Errorf("agent: compact: %w", err)
	}
	cfg, err := record.DecodeConfig(cfgStep.Output)
	if err != nil {
		return run, RunConfig{}, fmt.Errorf("agent: compact: run %s configuration: %w", run.ID, err)
	}
	return run, cfg, nil
}

// Summary is the latest compaction of a session, as the person reads and edits it.
type Summary struct {
	RunID string
	Seq   int
	// Summary is the text follow-up requests carry (a person's edit, else the model's).
	Summary string
	Ledger  string
	// Edited reports the summary is a person's edit.
	Edited bool
	At     time.Time
}

// LatestSummary returns the latest compaction of the session id names (a run or a
// session); ok is false when it has none.
func (r *Runner) LatestSummary(ctx context.Context, id string) (Summary, bool, error) {
	sessionID := id
	if run, err := r.config.Journal.Run(ctx, id); err == nil {
		sessionID = run.SessionID
	}
	runs, err := r.sessionRuns(ctx, sessionID, "", 0, record.KindCompact)
	if err != nil {
		return Summary{}, false, err
	}
	var out Summary
	found := false
	for _, rs := range runs {
		if rs.run.SessionID != sessionID {
			continue
		}
		for _, st := range rs.steps {
			if st.Kind != record.KindCompact || st.Status != journal.StepCompleted {
				continue
			}
			switch st.Name {
			case record.NameCompact:
				c, err := record.DecodeCompaction(st.Output)
				if err != nil {
					continue
				}
				out, found = Summary{RunID: st.RunID, Seq: st.Seq, Summary: c.Summary, Ledger: c.Ledger, At: st.FinishedAt}, true
			case record.NameCompactEdit:
				e, err := record.DecodeCompactEdit(st.Output)
				if err == nil && found && e.Run == out.RunID && e.Seq == out.Seq {
					out.Summary, out.Edited, out.At = e.Summary, true, st.FinishedAt
				}
			}
		}
	}
	return out, found, nil
}

// EditSummary replaces the summary of the session's latest compaction with a person's
// text, as a step (compact.edit) at the end of the session's latest run, which must have
// ended; follow-up runs carry the edited summary.
func (r *Runner) EditSummary(ctx context.Context, id, summary string) (Summary, error) {
	summary = strings.TrimSpace(summary)
	if summary == "" {
		return Summary{}, fmt.Errorf("%w: the summary is empty", ErrNotCompactable)
	}
	run, _, err := r.compactTarget(ctx, id)
	if err != nil {
		return Summary{}, err
	}
	latest, ok, err := r.LatestSummary(ctx, run.SessionID)
	if err != nil {
		return Summary{}, err
	}
	if !ok {
		return Summary{}, fmt.Errorf("%w: session %s has no compaction to edit", ErrNotCompactable, run.SessionID)
	}
	seq, err := r.config.Journal.LastSeq(ctx, run.ID)
	if err != nil {
		return Summary{}, fmt.Errorf("agent: %w", err)
	}
	out, _ := json.Marshal(record.CompactEdit{V: record.CompactionVersion, Run: latest.RunID, Seq: latest.Seq, Summary: summary})
	st, err := r.config.Journal.Record(ctx, run.ID, seq+1, journal.StepSpec{Name: record.NameCompactEdit, Kind: record.KindCompact, Idempotent: true}, journal.StepResult{Output: out})
	if err != nil {
		return Summary{}, fmt.Errorf("agent: edit summary: %w", err)
	}
	latest.Summary, latest.Edited, latest.At = summary, true, st.FinishedAt
	return latest, nil
}

// messageSize is the JSON size of one message, about what a provider's wire format takes:
// what the cut measures, erring high as the wire does.
func messageSize(m llm.Message) int {
	b, err := json.Marshal(m)
	if err != nil {
		return 0
	}
	return len(b)
}
