package anthropic

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

// wireEvent is the union of the stream's event payloads.
type wireEvent struct {
	Type    string `json:"type"`
	Message *struct {
		ID    string    `json:"id"`
		Model string    `json:"model"`
		Usage wireUsage `json:"usage"`
	} `json:"message"`
	Index        *int `json:"index"`
	ContentBlock *struct {
		Type      string          `json:"type"`
		Text      string          `json:"text"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		Thinking  string          `json:"thinking"`
		Signature string          `json:"signature"`
		Data      string          `json:"data"`
	} `json:"content_block"`
	Delta *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		Thinking    string `json:"thinking"`
		Signature   string `json:"signature"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *wireUsage `json:"usage"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// wireUsage has pointers so that a message_delta only overrides the counts
// it carries.
type wireUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
}

func (w wireUsage) apply(u *llm.Usage) {
	set := func(dst *int64, src *int64) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.InputTokens, w.InputTokens)
	set(&u.OutputTokens, w.OutputTokens)
	set(&u.CacheWriteTokens, w.CacheCreationInputTokens)
	set(&u.CacheReadTokens, w.CacheReadInputTokens)
}

type block struct {
	kind       string // "text", "tool_use", "thinking", "redacted_thinking", or another type that is skipped
	text       strings.Builder
	id, name   string
	input      strings.Builder
	startInput json.RawMessage
	signature  strings.Builder
	data       string
}

type streamState struct {
	emit    func(llm.Event)
	resp    llm.Response
	started bool
	blocks  map[int]*block
}

// decodeStream reads the event stream until message_stop.
func decodeStream(r io.Reader, emit func(llm.Event)) (llm.Response, error) {
	st := &streamState{emit: emit, blocks: map[int]*block{}}
	dec := sse.NewDecoder(r)
	for {
		ev, err := dec.Next()
		switch {
		case errors.Is(err, io.EOF):
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("anthropic: %w (no message_stop)", llm.ErrIncompleteStream)}
		case errors.Is(err, sse.ErrUnterminated):
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("anthropic: %w (cut inside an event)", llm.ErrIncompleteStream)}
		case err != nil:
			return llm.Response{}, &llm.TransientError{Err: fmt.Errorf("anthropic: read stream: %w: %w", llm.ErrIncompleteStream, err)}
		}
		done, err := st.handle(ev)
		if err != nil {
			return llm.Response{}, err
		}
		if done {
			return st.finish(), nil
		}
	}
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("anthropic: %w: %s", llm.ErrMalformedStream, fmt.Sprintf(format, args...))
}

func (st *streamState) handle(ev sse.Event) (done bool, err error) {
	var w wireEvent
	if err := json.Unmarshal(ev.Data, &w); err != nil {
		return false, malformed("event %q: %v: %.80q", ev.Name, err, ev.Data)
	}
	if w.Type == "" {
		w.Type = ev.Name
	}
	if w.Type == "error" || w.Error != nil {
		e := &llm.APIError{Provider: Provider}
		if w.Error != nil {
			e.Type, e.Message = w.Error.Type, w.Error.Message
		}
		return false, e
	}
	if w.Type == "ping" {
		return false, nil
	}
	switch w.Type {
	case "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop":
		if !st.started {
			return false, malformed("%s before message_start", w.Type)
		}
	}
	switch w.Type {
	case "message_start":
		if st.started {
			return false, malformed("second message_start")
		}
		if w.Message == nil {
			return false, malformed("message_start without message")
		}
		st.started = true
		st.resp.ID, st.resp.Model = w.Message.ID, w.Message.Model
		w.Message.Usage.apply(&st.resp.Usage)
		st.emit(llm.UsageUpdate{Usage: st.resp.Usage})
	case "content_block_start":
		if w.Index == nil || w.ContentBlock == nil {
			return false, malformed("content_block_start without index or content_block")
		}
		i := *w.Index
		if _, dup := st.blocks[i]; dup {
			return false, malformed("content block %d started twice", i)
		}
		cb := w.ContentBlock
		b := &block{kind: cb.Type, id: cb.ID, name: cb.Name, startInput: cb.Input, data: cb.Data}
		st.blocks[i] = b
		switch cb.Type {
		case "text":
			if cb.Text != "" {
				b.text.WriteString(cb.Text)
				st.emit(llm.TextDelta{Index: i, Text: cb.Text})
			}
		case "thinking":
			b.signature.WriteString(cb.Signature)
			if cb.Thinking != "" {
				b.text.WriteString(cb.Thinking)
				st.emit(llm.ThinkingDelta{Index: i, Thinking: cb.Thinking})
			}
		case "tool_use":
			st.emit(llm.ToolUseStart{Index: i, ID: cb.ID, Name: cb.Name})
		}
	case "content_block_delta":
		if w.Index == nil || w.Delta == nil {
			return false, malformed("content_block_delta without index or delta")
		}
		i := *w.Index
		b, ok := st.blocks[i]
		if !ok {
			return false, malformed("delta for content block %d that was not started", i)
		}
		switch w.Delta.Type {
		case "text_delta":
			if b.kind != "text" {
				return false, malformed("text_delta for %s block %d", b.kind, i)
			}
			b.text.WriteString(w.Delta.Text)
			if w.Delta.Text != "" {
				st.emit(llm.TextDelta{Index: i, Text: w.Delta.Text})
			}
		case "input_json_delta":
			if b.kind != "tool_use" {
				return false, malformed("input_json_delta for %s block %d", b.kind, i)
			}
			b.input.WriteString(w.Delta.PartialJSON)
			if w.Delta.PartialJSON != "" {
				st.emit(llm.ToolInputDelta{Index: i, PartialJSON: w.Delta.PartialJSON})
			}
		case "thinking_delta":
			if b.kind != "thinking" {
				return false, malformed("thinking_delta for %s block %d", b.kind, i)
			}
			b.text.WriteString(w.Delta.Thinking)
			if w.Delta.Thinking != "" {
				st.emit(llm.ThinkingDelta{Index: i, Thinking: w.Delta.Thinking})
			}
		case "signature_delta":
			if b.kind != "thinking" {
				return false, malformed("signature_delta for %s block %d", b.kind, i)
			}
			b.signature.WriteString(w.Delta.Signature)
		}
		// citations_delta and future delta types carry nothing this adapter
		// keeps.
	case "content_block_stop":
		if w.Index == nil {
			return false, malformed("content_block_stop without index")
		}
		if _, ok := st.blocks[*w.Index]; !ok {
			return false, malformed("stop for content block %d that was not started", *w.Index)
		}
	case "message_delta":
		if w.Delta != nil && w.Delta.StopReason != "" {
			// Anthropic's stop values are the normalised ones.
			st.resp.RawStopReason = w.Delta.StopReason
			st.resp.StopReason = llm.StopReason(w.Delta.StopReason)
		}
		if w.Usage != nil {
			w.Usage.apply(&st.resp.Usage)
			st.emit(llm.UsageUpdate{Usage: st.resp.Usage})
		}
	case "message_stop":
		return true, nil
	}
	// Unknown event types are ignored, as the API's versioning policy asks.
	return false, nil
}

func (st *streamState) finish() llm.Response {
	idx := make([]int, 0, len(st.blocks))
	for i := range st.blocks {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	resp := st.resp
	resp.Content = []llm.Block{}
	for _, i := range idx {
		b := st.blocks[i]
		switch b.kind {
		case "text":
			if b.text.Len() > 0 {
				resp.Content = append(resp.Content, llm.TextBlock(b.text.String()))
			}
		case "tool_use":
			input := b.input.String()
			if strings.TrimSpace(input) == "" && len(b.startInput) > 0 && string(b.startInput) != "null" {
				input = string(b.startInput)
			}
			resp.Content = append(resp.Content, llm.NewToolUse(b.id, b.name, input))
		case "thinking":
			resp.Content = append(resp.Content, llm.Block{Type: llm.BlockThinking, Thinking: b.text.String(), Signature: b.signature.String()})
		case "redacted_thinking":
			resp.Content = append(resp.Content, llm.Block{Type: llm.BlockRedactedThinking, Data: b.data})
		}
	}
	if resp.StopReason == "" {
		resp.StopReason = llm.StopEndTurn
		if len(resp.ToolUses()) > 0 {
			resp.StopReason = llm.StopToolUse
		}
	}
	resp.MarkTruncated()
	return resp
}
