// Package demo is a scripted llm.Model bundled in the binary and used when
// no provider credentials exist. It plays a short coding session (write a
// POSIX shell script, run it, fix it, test it, summarise) through the same
// interface and tools as a real model.
//
// The next turn is a pure function of the request: the demo finds its own
// last tool call by ID (toolu_demo_NN) and reads that call's result, so a
// run resumed after a crash gets the same turn again. It keeps no state
// between calls, and must not know about the journal, the sandbox or the
// tool implementations beyond their names and input shapes.
package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/llm"
)

// DefaultDelay is the pause between streamed chunks in the app.
const DefaultDelay = 20 * time.Millisecond

// ModelName is reported in Response.Model.
const ModelName = "corral-demo"

// Options configure the demo model.
type Options struct {
	// Delay is the pause between streamed chunks; zero streams at once
	// (tests). The app uses DefaultDelay.
	Delay time.Duration
}

// Model is the scripted model. It is safe for concurrent use.
type Model struct {
	delay time.Duration
}

var _ llm.Model = (*Model)(nil)

// New returns the demo model.
func New(opts Options) *Model {
	return &Model{delay: opts.Delay}
}

// Stream plays the next scripted turn for req.
func (m *Model) Stream(ctx context.Context, req llm.Request, onEvent func(llm.Event)) (llm.Response, error) {
	if onEvent == nil {
		onEvent = func(llm.Event) {}
	}
	resp := Respond(req)
	onEvent(llm.UsageUpdate{Usage: llm.Usage{
		InputTokens:      resp.Usage.InputTokens,
		CacheReadTokens:  resp.Usage.CacheReadTokens,
		CacheWriteTokens: resp.Usage.CacheWriteTokens,
		OutputTokens:     1,
	}})
	first := true
	pause := func() error {
		if first || m.delay <= 0 {
			first = false
			return ctx.Err()
		}
		t := time.NewTimer(m.delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
	for i, b := range resp.Content {
		switch b.Type {
		case llm.BlockText:
			for _, piece := range words(b.Text) {
				if err := pause(); err != nil {
					return llm.Response{}, fmt.Errorf("demo: %w", err)
				}
				onEvent(llm.TextDelta{Index: i, Text: piece})
			}
		case llm.BlockToolUse:
			if err := pause(); err != nil {
				return llm.Response{}, fmt.Errorf("demo: %w", err)
			}
			onEvent(llm.ToolUseStart{Index: i, ID: b.ID, Name: b.Name})
			for _, piece := range pieces(string(b.Input), 24) {
				if err := pause(); err != nil {
					return llm.Response{}, fmt.Errorf("demo: %w", err)
				}
				onEvent(llm.ToolInputDelta{Index: i, PartialJSON: piece})
			}
		}
	}
	onEvent(llm.UsageUpdate{Usage: resp.Usage})
	return resp, nil
}

type outcome int

const (
	ok outcome = iota
	denied
	edited
	failed
	missing
)

// result is what became of one of the demo's tool calls.
type result struct {
	outcome outcome
	tool    string
	content string
}

// Steps of the session, also the NN in the tool call IDs.
const (
	stepWrite = iota + 1
	stepRun
	stepEdit
	stepRerun
	stepWriteTest
	stepRunTest
	stepSummary
)

const idPrefix = "toolu_demo_"

// Respond returns the next turn for req without streaming it.
func Respond(req llm.Request) llm.Response {
	turn := 0
	last := -1
	for i, m := range req.Messages {
		if m.Role == llm.RoleAssistant {
			turn++
			last = i
		}
	}
	history := results(req.Messages)
	var text string
	var call *llm.Block
	switch {
	case last < 0:
		text, call = planStep(stepWrite, req, history, result{})
	default:
		step, prev := lastCall(req.Messages[last])
		if step == 0 {
			text = "The scripted demo session is over, so there is nothing more I can do here." + footer
			break
		}
		r, found := history[step]
		if !found {
			r = result{outcome: missing, tool: prev}
		}
		text, call = planStep(next(step, r), req, history, r)
	}
	resp := llm.Response{
		ID:         fmt.Sprintf("msg_demo_%02d", turn+1),
		Model:      ModelName,
		Content:    []llm.Block{llm.TextBlock(text)},
		StopReason: llm.StopEndTurn,
	}
	if call != nil {
		resp.Content = append(resp.Content, *call)
		resp.StopReason = llm.StopToolUse
	}
	resp.Usage = usage(req, resp, turn)
	return resp
}

// lastCall returns the step of the demo tool call in an assistant message
// (0 if it has none) and the tool's name.
func lastCall(m llm.Message) (int, string) {
	for _, b := range m.Content {
		if b.Type != llm.BlockToolUse {
			continue
		}
		if s, found := strings.CutPrefix(b.ID, idPrefix); found {
			if n, err := strconv.Atoi(s); err == nil {
				return n, b.Name
			}
		}
	}
	return 0, ""
}

// results maps each demo tool call's step to its result.
func results(msgs []llm.Message) map[int]result {
	tools := map[string]string{}
	out := map[int]result{}
	for _, m := range msgs {
		for _, b := range m.Content {
			switch b.Type {
			case llm.BlockToolUse:
				tools[b.ID] = b.Name
			case llm.BlockToolResult:
				name, known := tools[b.ToolUseID]
				s, isDemo := strings.CutPrefix(b.ToolUseID, idPrefix)
				step, err := strconv.Atoi(s)
				if !known || !isDemo || err != nil {
					continue
				}
				out[step] = result{outcome: classify(b), tool: name, content: b.Content}
			}
		}
	}
	return out
}

// classify reads a tool result. The agent words denials and user edits so
// that these phrases appear in the result.
func classify(b llm.Block) outcome {
	c := strings.ToLower(b.Content)
	has := func(phrases ...string) bool {
		for _, p := range phrases {
			if strings.Contains(c, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("denied by the user", "user denied", "rejected by the user", "user rejected", "declined by the user", "user declined", "not approved"):
		return denied
	case b.IsError:
		return failed
	case has("edited by the user", "user edited", "modified by the user", "user modified"):
		return edited
	}
	return ok
}

// next is the step after step ended with r.
func next(step int, r result) int {
	went := r.outcome == ok || r.outcome == edited
	switch step {
	case stepWrite:
		if went {
			return stepRun
		}
		return stepSummary
	case stepRun:
		return stepEdit
	case stepEdit:
		if went {
			return stepRerun
		}
		return stepWriteTest
	case stepRerun:
		return stepWriteTest
	case stepWriteTest:
		if went {
			return stepRunTest
		}
		return stepSummary
	}
	return stepSummary
}

// acknowledge says what happened to the previous call, if it did not
// simply succeed.
func acknowledge(r result) string {
	switch r.outcome {
	case denied:
		if m := said(r.content); m != "" {
			return fmt.Sprintf("Understood: you denied the `%s` call and told me “%s”. I won't run it; I'll go on without it.\n\n", r.tool, m)
		}
		return fmt.Sprintf("Understood: you denied the `%s` call, so I'll skip it.\n\n", r.tool)
	case edited:
		return fmt.Sprintf("I see you edited the `%s` call before it ran; I'll carry on from your version.\n\n", r.tool)
	case failed:
		return fmt.Sprintf("That `%s` call failed: %s\n\n", r.tool, firstLine(r.content))
	case missing:
		return fmt.Sprintf("I didn't get a result for the `%s` call; carrying on.\n\n", r.tool)
	}
	return ""
}

// said returns what the person told the model with a denial, if the result
// carries it: the agent words it "The user said: ..." (or "says").
func said(content string) string {
	lower := strings.ToLower(content)
	for _, p := range []string{"the user said:", "the user says:"} {
		if i := strings.Index(lower, p); i >= 0 {
			if m := firstLine(content[i+len(p):]); m != "(no output)" {
				return m
			}
		}
	}
	return ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = strings.ToValidUTF8(s[:160], "") + "..."
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

func went(history map[int]result, step int) bool {
	r, found := history[step]
	return found && (r.outcome == ok || r.outcome == edited)
}

// planStep returns the text and tool call for step, after prev.
func planStep(step int, req llm.Request, history map[int]result, prev result) (string, *llm.Block) {
	ack := acknowledge(prev)
	switch step {
	case stepWrite:
		intro := "I'm Corral's built-in demo model: no model provider is configured, so I'll play a short scripted session to show how runs, tool calls and approvals work"
		if task := firstLine(firstUserText(req)); task != "(no output)" {
			intro += fmt.Sprintf(" (I can't work on “%s” itself)", task)
		}
		text := intro + ".\n\nThe plan: write a small POSIX shell script that lists the most frequent words in a file, try it on a sample, fix what we find, and pin the behaviour down with a test.\n\nFirst, the script:"
		return text, toolUse(step, "write", struct {
			Path    string `json:"path"`
			Content string `json:"content"`
		}{scriptName, script})
	case stepRun:
		return ack + "Now let's try it on a two-line sample.", toolUse(step, "exec", execInput{sampleCommand, 10})
	case stepEdit:
		text := "The counts are case-sensitive: \"The\" and \"the\" are tallied as two different words."
		if !went(history, stepRun) {
			text = "Reading the script again, there's a bug: the counts are case-sensitive, so \"The\" and \"the\" would be tallied as two different words."
		}
		return ack + text + " I'll fold everything to lower case before counting.", toolUse(step, "edit", struct {
			Path      string `json:"path"`
			OldString string `json:"old_string"`
			NewString string `json:"new_string"`
		}{scriptName, editOld, editNew})
	case stepRerun:
		cmd := rerunCommand
		if !went(history, stepRun) {
			cmd = sampleCommand
		}
		return ack + "Let's run it on the same sample again; \"the\" should now count 3.", toolUse(step, "exec", execInput{cmd, 10})
	case stepWriteTest:
		text := "That's the expected ranking."
		if !went(history, stepEdit) {
			text = "I'll leave the script as it is."
		} else if !went(history, stepRerun) {
			text = "The fix is in place."
		}
		return ack + text + " To keep the behaviour from regressing, here's a small test that checks case folding, tie order and punctuation:", toolUse(step, "write", struct {
			Path    string `json:"path"`
			Content string `json:"content"`
		}{testName, testScript})
	case stepRunTest:
		return ack + "Now run the test:", toolUse(step, "exec", execInput{testCommand, 10})
	}
	return summary(history, prev), nil
}

func summary(history map[int]result, prev result) string {
	if !went(history, stepWrite) {
		return acknowledge(prev) + "Without `wordcount.sh` there's nothing to run or test, so I'll stop here. Ask again if you'd like me to try a different approach." + footer
	}
	var b strings.Builder
	b.WriteString(acknowledge(prev))
	test, tested := history[stepRunTest]
	switch {
	case !went(history, stepWriteTest):
		b.WriteString("Done, without a test.")
	case !tested || test.outcome == denied:
		b.WriteString("Done. You can run the test yourself with `sh test_wordcount.sh`.")
	case test.outcome == failed || !strings.Contains(test.content, "PASS") || strings.Contains(test.content, "FAIL"):
		b.WriteString("The test did not pass in this environment; its output above shows which check differs.")
	default:
		b.WriteString("All checks pass.")
	}
	b.WriteString(" Summary:\n\n- `wordcount.sh [FILE] [TOP]` prints the TOP most frequent words of FILE (default: the top 5, from stdin).\n- Words are runs of letters and digits")
	if went(history, stepEdit) {
		b.WriteString(", compared case-insensitively")
	}
	b.WriteString("; ties are listed alphabetically.\n")
	if went(history, stepWriteTest) {
		b.WriteString("- `test_wordcount.sh` checks case folding, tie order and punctuation, and prints PASS.\n")
	}
	return strings.TrimRight(b.String(), "\n") + footer
}

func firstUserText(req llm.Request) string {
	for _, m := range req.Messages {
		if m.Role != llm.RoleUser {
			continue
		}
		for _, b := range m.Content {
			if b.Type == llm.BlockText {
				return b.Text
			}
		}
	}
	return ""
}

type execInput struct {
	Command        string `json:"command"`
	TimeoutSeconds int    `json:"timeout_seconds"`
}

func toolUse(step int, name string, input any) *llm.Block {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(input); err != nil {
		panic(fmt.Sprintf("demo: encode %s input: %v", name, err)) // static inputs
	}
	b := llm.NewToolUse(fmt.Sprintf("%s%02d", idPrefix, step), name, buf.String())
	return &b
}

// usage estimates tokens at four bytes each. The system prompt and tools
// count as a cached prefix: written on the first turn, read afterwards.
func usage(req llm.Request, resp llm.Response, turn int) llm.Usage {
	tokens := func(n int) int64 { return int64(n+3) / 4 }
	tools, _ := json.Marshal(req.Tools)
	msgs, _ := json.Marshal(req.Messages)
	prefix := tokens(len(req.System) + len(tools))
	u := llm.Usage{InputTokens: tokens(len(msgs)) + 3}
	if turn == 0 {
		u.CacheWriteTokens = prefix
	} else {
		u.CacheReadTokens = prefix
	}
	out := 0
	for _, b := range resp.Content {
		out += len(b.Text) + len(b.Name) + len(b.Input)
	}
	u.OutputTokens = tokens(out)
	return u
}

// words splits text into word-sized deltas, each word with the space after it.
func words(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, " \n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// pieces splits s into pieces of at most n bytes on rune boundaries.
func pieces(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && end > 1 && !utf8.RuneStart(s[end]) {
			end--
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}
