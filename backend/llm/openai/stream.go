package openai

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/internal/sse"
)

type wireChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
			// ReasoningContent (DeepSeek, vLLM, LM Studio) and Reasoning
			// (Ollama, OpenRouter) carry reasoning apart from the answer.
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
			// Refusal is the model's explanation when it declines.
			Refusal   string `json:"refusal"`
			ToolCalls []struct {
				Index    *int   `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens        int64 `json:"prompt_tokens"`
		CompletionTokens    int64 `json:"completion_tokens"`
		PromptTokensDetails *struct {
			CachedTokens int64 `json:"cached_tokens"`
		} `json:"prompt_tokens_details"`
		CompletionTokensDetails *struct {
			ReasoningTokens int64 `json:"reasoning_tokens"`
		} `json:"completion_tokens_details"`
	} `json:"usage"`
	Error *wireError `json:"error"`
}

type toolCall struct {
	id, name string
	args     strings.Builder
}

type streamState struct {
	emit      func(llm.Event)
	resp      llm.Response
	text      strings.Builder
	reasoning strings.Builder
	refusal   strings.Builder
	// calls are the tool calls in the order they started; slot maps a
	// wire index to its call, which a server that reuses index 0 for
	// every call (Ollama) moves on when a new id arrives.
	calls  []*toolCall
	slot   map[int]int
	last   int // position of the most recent tool call, for servers that omit the index
	finish string
}

// decodeStream reads chunks until "data: [DONE]".
func decodeStream(r io.Reader, emit func(llm.Event)) (llm.Response, error) {
	st := &streamState{emit: emit, slot: map[int]int{}, last: -1}
	dec := sse.NewDecoder(r)
	for {
		ev, err := dec.Next()
		switch {
		case errors.Is(err, io.EOF):
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("openai: %w (no [DONE])", llm.ErrIncompleteStream)}
		case errors.Is(err, sse.ErrUnterminated):
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("openai: %w (cut inside an event)", llm.ErrIncompleteStream)}
		case err != nil:
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("openai: read stream: %w: %w", llm.ErrIncompleteStream, err)}
		}
		if strings.TrimSpace(string(ev.Data)) == "[DONE]" {
			if st.finish == "" {
				return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("openai: %w ([DONE] without a finish_reason)", llm.ErrIncompleteStream)}
			}
			return st.done(), nil
		}
		if err := st.handle(ev); err != nil {
			return llm.Response{}, err
		}
	}
}

func (st *streamState) handle(ev sse.Event) error {
	var c wireChunk
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return fmt.Errorf("openai: %w: %w: %.80q", llm.ErrMalformedStream, err, ev.Data)
	}
	if c.Error != nil {
		return c.Error.apiError(0)
	}
	if st.resp.ID == "" {
		st.resp.ID = c.ID
	}
	if c.Model != "" {
		st.resp.Model = c.Model
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue // only one choice is requested
		}
		// A server that sends both names carries the same text in each.
		r := ch.Delta.ReasoningContent
		if r == "" {
			r = ch.Delta.Reasoning
		}
		if r != "" {
			st.reasoning.WriteString(r)
			st.emit(llm.ThinkingDelta{Index: 0, Thinking: r})
		}
		if t := ch.Delta.Content; t != "" {
			st.text.WriteString(t)
			st.emit(llm.TextDelta{Index: 0, Text: t})
		}
		st.refusal.WriteString(ch.Delta.Refusal)
		for _, d := range ch.Delta.ToolCalls {
			var i int
			var ok bool
			switch {
			case d.Index != nil:
				i, ok = st.slot[*d.Index]
				if ok && d.ID != "" && st.calls[i].id != "" && st.calls[i].id != d.ID {
					ok = false // the index is reused for a new call
				}
			case d.ID != "":
				// Without an index the same id goes on and a new id starts a call.
				ok = st.last >= 0 && st.calls[st.last].id == d.ID
				i = st.last
			case st.last >= 0:
				i, ok = st.last, true
			default:
				return fmt.Errorf("openai: %w: tool call delta without index", llm.ErrMalformedStream)
			}
			if !ok {
				i = len(st.calls)
				st.calls = append(st.calls, &toolCall{id: d.ID})
				if d.Index != nil {
					st.slot[*d.Index] = i
				}
			}
			tc := st.calls[i]
			st.last = i
			if tc.id == "" {
				tc.id = d.ID
			}
			// The name normally arrives whole in the first delta; some servers
			// repeat it, a few stream it in pieces.
			if n := d.Function.Name; n != "" && n != tc.name {
				tc.name += n
			}
			if !ok {
				st.emit(llm.ToolUseStart{Index: i + 1, ID: tc.id, Name: tc.name})
			}
			if a := d.Function.Arguments; a != "" {
				tc.args.WriteString(a)
				st.emit(llm.ToolInputDelta{Index: i + 1, PartialJSON: a})
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			st.finish = *ch.FinishReason
		}
	}
	if u := c.Usage; u != nil {
		st.resp.Usage = llm.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
		if u.PromptTokensDetails != nil {
			cached := min(u.PromptTokensDetails.CachedTokens, u.PromptTokens)
			st.resp.Usage.CacheReadTokens = cached
			st.resp.Usage.InputTokens -= cached
		}
		if u.CompletionTokensDetails != nil {
			st.resp.Usage.ThinkingTokens = u.CompletionTokensDetails.ReasoningTokens
		}
		st.emit(llm.UsageUpdate{Usage: st.resp.Usage})
	}
	return nil
}

func (st *streamState) done() llm.Response {
	resp := st.resp
	resp.Content = []llm.Block{}
	if st.reasoning.Len() > 0 {
		resp.Content = append(resp.Content, llm.Block{Type: llm.BlockThinking, Thinking: st.reasoning.String()})
	}
	if st.text.Len() > 0 {
		resp.Content = append(resp.Content, llm.TextBlock(st.text.String()))
	}
	for i, tc := range st.calls {
		id := tc.id
		if id == "" {
			id = callID(resp.ID, i, tc.name, tc.args.String())
		}
		resp.Content = append(resp.Content, llm.NewToolUse(id, tc.name, tc.args.String()))
	}
	resp.RawStopReason = st.finish
	resp.StopReason = StopReason(st.finish)
	if resp.StopReason == llm.StopEndTurn && len(st.calls) > 0 {
		// Several local servers report "stop" for a turn that calls tools.
		resp.StopReason = llm.StopToolUse
	}
	resp.Refusal = st.refusal.String()
	if resp.Refusal != "" && resp.StopReason == llm.StopEndTurn {
		// The model declined in its refusal field; finish_reason still says "stop".
		resp.StopReason = llm.StopRefusal
	}
	resp.MarkTruncated()
	return resp
}

// StopReason maps a finish_reason onto the normalised stop reasons;
// unknown values pass through.
func StopReason(finish string) llm.StopReason {
	switch finish {
	case "stop", "":
		return llm.StopEndTurn
	case "tool_calls", "function_call":
		return llm.StopToolUse
	case "length":
		return llm.StopMaxTokens
	case "content_filter":
		return llm.StopRefusal
	}
	return llm.StopReason(finish)
}

// callID makes an id for a tool call that came without one (some local
// servers send none; the agent needs one to pair the result with the
// call). It depends only on the response and the call, so a resumed run
// that replays the recorded turn sends the same bytes.
func callID(respID string, i int, name, args string) string {
	if respID != "" {
		return fmt.Sprintf("call_%s_%d", respID, i)
	}
	sum := sha256.Sum256([]byte(name + "\x00" + args))
	return fmt.Sprintf("call_%x_%d", sum[:6], i)
}
