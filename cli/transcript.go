package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/egress"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/journal"
)

// transcript prints run events for a person: streamed assistant text, one line per tool
// call and result, and a spinner on stderr while a model call is silent (terminals only).
type transcript struct {
	out, errw io.Writer
	tty       bool
	midLine   bool // the last text written did not end with a newline

	// promptShowsApprovals is set when a terminal prompt presents approval requests.
	promptShowsApprovals bool
	// session is the run's session, from its first event, for the "allow this host" hint.
	session string
	// shown are the connections printed as they happened (tool.egress), so the step's
	// result does not print them again.
	shown map[connKey]bool

	mu   sync.Mutex
	stop chan struct{}
}

func newTranscript(out, errw io.Writer) *transcript {
	t := &transcript{out: out, errw: errw}
	if f, ok := errw.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			t.tty = true
		}
	}
	return t
}

func (t *transcript) print(events <-chan agent.Event) {
	defer t.spin("")
	for ev := range events {
		switch ev.Type {
		case agent.EventRunStarted, agent.EventRunResumed:
			verb := "run"
			if ev.Type == agent.EventRunResumed {
				verb = "resuming run"
				if ev.Reason != "" {
					verb = "resuming " + ev.Reason + " run"
				}
			}
			fmt.Fprintf(t.out, "%s %s · session %s · workspace %s\n", verb, ev.RunID, ev.SessionID, ev.Workspace)
			t.session = ev.SessionID
		case agent.EventModelStarted:
			t.spin("waiting for " + ev.Model)
		case agent.EventModelRetry:
			if ev.Discard {
				// The text already printed cannot be taken back; say it is void.
				t.line(fmt.Sprintf("· the answer above broke off (%s); it is discarded and asked again", ev.Error))
			}
			t.spin(fmt.Sprintf("%s; retry %d in %s", ev.Error, ev.Attempt, time.Duration(ev.WaitMS)*time.Millisecond))
		case agent.EventTextDelta:
			t.spin("")
			t.text(ev.Text)
		case agent.EventModelFinished:
			t.spin("")
			if ev.Replayed {
				t.line(fmt.Sprintf("· step %d: model call replayed from the journal", ev.Seq))
			} else if t.midLine {
				t.text("\n")
			}
		case agent.EventCompactStarted:
			t.line(fmt.Sprintf("· compacting the conversation (%s, about %d tokens)", ev.Reason, ev.ContextTokens))
			t.spin("summarizing with " + ev.Model)
		case agent.EventCompactFinished:
			t.spin("")
			if ev.Replayed {
				t.line(fmt.Sprintf("· step %d: compaction replayed from the journal", ev.Seq))
			} else {
				t.line(fmt.Sprintf("· compacted: the older turns are a summary now (step %d; corral compact --show %s reads it)", ev.Seq, ev.RunID))
			}
		case agent.EventToolStarted:
			t.line(fmt.Sprintf("▸ %s %s", ev.Tool, toolSummary(ev.Tool, ev.Input)))
			t.spin("running " + ev.Tool)
		case agent.EventToolFinished:
			t.spin("")
			if ev.Replayed {
				t.line(fmt.Sprintf("· step %d: %s %s replayed from the journal", ev.Seq, ev.Tool, toolSummary(ev.Tool, ev.Input)))
				continue
			}
			mark := "✓"
			if ev.Result.IsError {
				mark = "✗"
			}
			t.line(fmt.Sprintf("  %s %s", mark, resultSummary(ev.Result.Content)))
			var conns []egress.Event
			if ev.Result.Meta != nil {
				conns = ev.Result.Meta.Egress
			}
			for _, c := range conns {
				if !t.shown[connKey{ev.Seq, c.Time.UnixNano(), c.Host, c.Port}] {
					t.connection(c)
				}
			}
			// Only this step's: another command of the same turn may still be running.
			maps.DeleteFunc(t.shown, func(k connKey, _ bool) bool { return k.seq == ev.Seq })
		case agent.EventToolEgress:
			if c := ev.Egress; c != nil {
				if t.shown == nil {
					t.shown = map[connKey]bool{}
				}
				t.shown[connKey{ev.Seq, c.Time.UnixNano(), c.Host, c.Port}] = true
				t.connection(*c)
			}
		case agent.EventApprovalRequested:
			t.spin("")
			if b := ev.Approval.Budget; b != nil {
				// No approver answers a spend cap: the run waits for a person whatever --approve says.
				how := "--raise-cost USD"
				if b.Cap == approval.CapRunTokens {
					how = "--raise-tokens N"
				}
				t.line(fmt.Sprintf("? %s: raise it with corral approve %s %s, or stop with corral deny %s", ev.Approval.Preview.Title, ev.RunID, how, ev.RunID))
			} else if !t.promptShowsApprovals {
				t.line("? approval needed: " + ev.Approval.Preview.Title)
			}
		case agent.EventApprovalDecided:
			if ev.Replayed || ev.Decision == nil {
				continue
			}
			d := ev.Decision
			switch {
			case d.Answer != nil:
				t.line(fmt.Sprintf("  %s by %s", d.Answer.Kind, d.Answer.By))
			case !d.Outcome.Run:
				t.line("  refused: " + d.Assessment.Reason)
			}
		case agent.EventRunCompleted:
			switch journal.RunStatus(ev.Status) {
			case journal.RunRefused:
				t.line("● refused: " + ev.Error)
			case journal.RunCutOff:
				t.line("● cut off: " + ev.Error)
			default:
				t.line("● completed")
			}
		case agent.EventRunFailed:
			t.line("● failed: " + ev.Error)
		case agent.EventRunSuspended:
			if journal.RunStatus(ev.Status) == journal.RunPaused {
				t.line("● paused: " + ev.Error)
				continue
			}
			t.line("● waiting: " + ev.Error)
		case agent.EventRunCancelled:
			t.line("● cancelled")
		}
	}
}

// connKey names a connection of a step.
type connKey struct {
	seq  int
	at   int64
	host string
	port int
}

// connection prints a connection a command attempted, with how to allow a blocked host.
func (t *transcript) connection(c egress.Event) {
	line := "  ⇄ " + egress.Describe(c)
	if !c.Allowed {
		line += " — allow it: corral allow-host " + egress.AllowPattern(c) + " --session " + t.session
	}
	t.line(line)
}

func (t *transcript) text(s string) {
	fmt.Fprint(t.out, s)
	t.midLine = !strings.HasSuffix(s, "\n")
}

func (t *transcript) line(s string) {
	if t.midLine {
		fmt.Fprintln(t.out)
		t.midLine = false
	}
	fmt.Fprintln(t.out, s)
}

// spin shows label with a spinner on the terminal until the next call; "" clears it.
func (t *transcript) spin(label string) {
	if !t.tty {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stop != nil {
		close(t.stop)
		t.stop = nil
		fmt.Fprint(t.errw, "\r\033[K")
	}
	if label == "" {
		return
	}
	stop := make(chan struct{})
	t.stop = stop
	go func() {
		frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		begun := time.Now()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				t.mu.Lock()
				if t.stop == stop {
					fmt.Fprintf(t.errw, "\r\033[K%c %s %ds", frames[i%len(frames)], label, int(time.Since(begun).Seconds()))
				}
				t.mu.Unlock()
			}
		}
	}()
}

// toolSummary is the one-line form of a tool call: the command, or the path.
func toolSummary(name string, input json.RawMessage) string {
	var in map[string]any
	if json.Unmarshal(input, &in) != nil {
		return clip(oneLine(string(input)), 100)
	}
	for _, key := range []string{"command", "path", "pattern"} {
		if v, ok := in[key].(string); ok {
			return clip(oneLine(v), 100)
		}
	}
	return clip(oneLine(string(input)), 100)
}

// resultSummary is the first line of a result and how many more there are.
func resultSummary(content string) string {
	content = strings.TrimRight(content, "\n")
	first, rest, more := strings.Cut(content, "\n")
	s := clip(first, 100)
	if more {
		s += fmt.Sprintf(" (+%d lines)", strings.Count(rest, "\n")+1)
	}
	return s
}
