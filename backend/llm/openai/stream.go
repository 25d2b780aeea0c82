package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
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
			Content   string `json:"content"`
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
	} `json:"usage"`
	Error *wireError `json:"error"`
}

type toolCall struct {
	id, name string
	args     strings.Builder
}

type streamState struct {
	emit   func(llm.Event)
	resp   llm.Response
	text   strings.Builder
	calls  map[int]*toolCall
	last   int // index of the most recent tool call, for servers that omit it
	finish string
}

// decodeStream reads chunks until "data: [DONE]".
func decodeStream(r io.Reader, emit func(llm.Event)) (llm.Response, error) {
	st := &streamState{emit: emit, calls: map[int]*toolCall{}, last: -1}
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
		if t := ch.Delta.Content; t != "" {
			st.text.WriteString(t)
			st.emit(llm.TextDelta{Index: 0, Text: t})
		}
		for _, d := range ch.Delta.ToolCalls {
			i := st.last
			switch {
			case d.Index != nil:
				i = *d.Index
			case d.ID != "" && (i < 0 || st.calls[i].id != d.ID):
				i = len(st.calls)
			}
			if i < 0 {
				return fmt.Errorf("openai: %w: tool call delta without index", llm.ErrMalformedStream)
			}
			tc, ok := st.calls[i]
			if !ok {
				tc = &toolCall{id: d.ID}
				st.calls[i] = tc
			}
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
		st.emit(llm.UsageUpdate{Usage: st.resp.Usage})
	}
	return nil
}

func (st *streamState) done() llm.Response {
	resp := st.resp
	resp.Content = []llm.Block{}
	if st.text.Len() > 0 {
		resp.Content = append(resp.Content, llm.TextBlock(st.text.String()))
	}
	idx := make([]int, 0, len(st.calls))
	for i := range st.calls {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		tc := st.calls[i]
		id := tc.id
		if id == "" {
			// Some local servers send no ids; the agent needs one to pair the
			// result with the call.
			id = fmt.Sprintf("call_%s_%d", resp.ID, i)
		}
		resp.Content = append(resp.Content, llm.NewToolUse(id, tc.name, tc.args.String()))
	}
	switch st.finish {
	case "stop", "":
		resp.StopReason = llm.StopEndTurn
	case "tool_calls", "function_call":
		resp.StopReason = llm.StopToolUse
	case "length":
		resp.StopReason = llm.StopMaxTokens
	case "content_filter":
		resp.StopReason = llm.StopContentRules
	default:
		resp.StopReason = llm.StopReason(st.finish)
	}
	if resp.StopReason == llm.StopEndTurn && len(idx) > 0 {
		// Several local servers report "stop" for a turn that calls tools.
		resp.StopReason = llm.StopToolUse
	}
	return resp
}
