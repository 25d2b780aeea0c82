package agent

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/egress"
	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// Live output bounds: a running command's output reaches subscribers as tool.output
// events coalesced over outputEvery, at most outputRate bytes a second and outputTotal
// bytes a step; what is over is counted, not sent. The step's record keeps the result.
const (
	outputEvery = 100 * time.Millisecond
	outputRate  = 32 << 10
	outputTotal = 256 << 10
	// outputKept is how much of a command's output (head and tail) a step cut off by a
	// cancel keeps for the person deciding about it.
	outputKept = 64 << 10
	// egressLive is how many of a command's connections reach subscribers as tool.egress
	// events; the step's record lists them all.
	egressLive = 100
)

// liveOutput turns a command's output into tool.output events for one tool step. It is
// lossy by design: it drops what is over its bounds and says how much.
type liveOutput struct {
	publish func(Event)
	base    Event // run, seq and tool of the step
	begun   time.Time
	sofar   *sandbox.LimitedBuffer // everything, bounded: kept if the step is cut off

	mu      sync.Mutex
	stream  sandbox.Stream
	pending []byte
	timer   *time.Timer
	n       int // events sent
	sent    int // bytes sent in all
	window  int // bytes sent in the current second
	winAt   time.Time
	dropped int64 // bytes not sent, since the last event
	conns   int   // tool.egress events sent
	closed  bool
}

func newLiveOutput(publish func(Event), base Event) *liveOutput {
	return &liveOutput{publish: publish, base: base, begun: time.Now(), sofar: sandbox.NewLimitedBuffer(outputKept)}
}

// write takes a chunk of stream (sandbox.ExecRequest.Output).
func (o *liveOutput) write(stream sandbox.Stream, chunk []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	_, _ = o.sofar.Write(chunk)
	if stream != o.stream && len(o.pending) > 0 {
		o.flushLocked()
	}
	o.stream = stream
	room := outputTotal - o.sent - len(o.pending)
	if room <= 0 {
		o.dropped += int64(len(chunk))
		return
	}
	if len(chunk) > room {
		o.dropped += int64(len(chunk) - room)
		chunk = chunk[:room]
	}
	o.pending = append(o.pending, chunk...)
	if o.timer == nil {
		o.timer = time.AfterFunc(outputEvery, o.tick)
	}
}

func (o *liveOutput) tick() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.timer = nil
	if !o.closed {
		o.flushLocked()
	}
}

// flushLocked sends what is pending, within the rate; the rest is dropped and counted.
func (o *liveOutput) flushLocked() {
	if len(o.pending) == 0 && o.dropped == 0 {
		return
	}
	now := time.Now()
	if now.Sub(o.winAt) >= time.Second {
		o.winAt, o.window = now, 0
	}
	chunk := o.pending
	if room := outputRate - o.window; len(chunk) > room {
		room = max(room, 0)
		o.dropped += int64(len(chunk) - room)
		chunk = chunk[:room]
	}
	o.pending = nil
	if len(chunk) == 0 && o.dropped == 0 {
		return
	}
	o.n++
	o.sent += len(chunk)
	o.window += len(chunk)
	ev := o.base
	ev.Type = EventToolOutput
	ev.Text = string(chunk)
	ev.Stream = string(o.stream)
	ev.OutputSeq = o.n
	ev.Dropped = o.dropped
	ev.Elapsed = now.Sub(o.begun).Milliseconds()
	o.dropped = 0
	o.publish(ev)
}

// connection sends a connection the command attempted through the egress proxy as a
// tool.egress event (sandbox.ExecRequest.Egress), up to egressLive of them.
func (o *liveOutput) connection(c egress.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || o.conns >= egressLive {
		return
	}
	o.conns++
	ev := o.base
	ev.Type = EventToolEgress
	ev.Egress = &c
	ev.Elapsed = time.Since(o.begun).Milliseconds()
	o.publish(ev)
}

// close sends what is pending and stops; later output is ignored.
func (o *liveOutput) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
	o.flushLocked()
	o.closed = true
}

// cancelled is the tool result a step cut off by a cancel keeps (journal.KeepPartial): that
// the person cancelled it, and its output so far. The step stays cut off; the person reruns,
// skips or fails it.
func (o *liveOutput) cancelled() tool.Result {
	elapsed := time.Since(o.begun).Round(100 * time.Millisecond)
	text := fmt.Sprintf("You cancelled this command while it ran, after %s; it may have taken effect.\n", elapsed)
	if out := o.sofar.String(); out != "" {
		text += "--- output so far ---\n" + strings.ToValidUTF8(out, "\uFFFD")
	} else {
		text += "(no output so far)\n"
	}
	return tool.Result{Content: text, IsError: true, Meta: tool.Meta{DurationMS: elapsed.Milliseconds(), Truncated: o.sofar.Dropped() > 0}}
}

// outputSandbox is the step's sandbox with every command's output and connections
// streamed to live.
type outputSandbox struct {
	sandbox.Sandbox
	live *liveOutput
}

// Exec runs req with its output and connections streamed, unless the caller streams them
// already.
func (s outputSandbox) Exec(ctx context.Context, req sandbox.ExecRequest) (sandbox.ExecResult, error) {
	if req.Output == nil {
		req.Output = s.live.write
	}
	if req.Egress == nil {
		req.Egress = s.live.connection
	}
	return s.Sandbox.Exec(ctx, req)
}
