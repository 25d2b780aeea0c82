package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// bigBundle is a run of n steps shaped like a real one: the configuration,
// then model calls each asking for one exec or read, with realistic sizes
// of text, tool input and output (about 1.5 KB a step).
func bigBundle(n int) trace.Bundle {
	b := testBundle()
	h := &b.Runs[0]
	steps := make([]journal.Step, 0, n)
	steps = append(steps, step(1, "config", "run.config", "", cfgOut, 0))
	text := strings.Repeat("I will look at the failing test and fix the off-by-one in the loop. ", 4)
	body := strings.Repeat("ok  \tgithub.com/corral-dev/corral/backend/x\t0.012s\n", 10)
	for seq := 2; seq <= n; seq += 2 {
		ms := seq * 10
		id := fmt.Sprintf("toolu_%d", seq)
		llm := step(seq, "llm", "model", llmIn,
			fmt.Sprintf(`{"content":[{"type":"text","text":%q},{"type":"tool_use","id":%q,"name":"exec","input":{"command":"go test ./... -run TestLoop%d"}}],"stop_reason":"tool_use","usage":{"input_tokens":%d,"output_tokens":80,"cache_read_tokens":4000},"model":"claude-sonnet-4-20250514","id":"msg_%d"}`,
				text, id, seq, 1000+seq, seq), ms)
		llm.Usage = journal.Usage{InputTokens: int64(1000 + seq), OutputTokens: 80, CacheReadTokens: 4000}
		llm.CostUSD = 0.0042
		steps = append(steps, llm)
		if seq+1 <= n {
			steps = append(steps, step(seq+1, "tool", "exec", fmt.Sprintf(`{"command":"go test ./... -run TestLoop%d"}`, seq),
				fmt.Sprintf(`{"content":%q,"meta":{"exit_code":0,"duration_ms":%d}}`, "Exit code: 0\n--- stdout ---\n"+body, 5), ms+5))
		}
	}
	h.Steps = steps
	h.Run.UpdatedAt = steps[len(steps)-1].FinishedAt
	return b
}

// benchSizes are the run lengths every benchmark here is measured at: two sizes a factor
// of ten apart, so that ns/step shows whether the work stays linear (issue 21).
var benchSizes = []int{10_000, 100_000}

// perStep reports the time of one op divided among n steps.
func perStep(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/step")
}

// countWriter stands for the file an export writes: it only counts.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// BenchmarkExport exports a 10,000- and a 100,000-step run in each format.
func BenchmarkExport(b *testing.B) {
	for _, n := range benchSizes {
		bundle := bigBundle(n)
		for _, f := range []trace.Format{trace.FormatJSON, trace.FormatOTLP, trace.FormatHTML} {
			b.Run(fmt.Sprintf("%s/%d", f, n), func(b *testing.B) {
				var w countWriter
				for b.Loop() {
					w = 0
					if err := trace.Export(&w, bundle, f, trace.Options{Now: func() time.Time { return t0 }}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(w)/(1<<20), "MiB")
				perStep(b, n)
			})
		}
	}
}

// BenchmarkImport reads, validates and hands to a sink a 10,000- and a 100,000-step run in
// each format that imports.
func BenchmarkImport(b *testing.B) {
	for _, n := range benchSizes {
		bundle := bigBundle(n)
		for _, f := range []trace.Format{trace.FormatJSON, trace.FormatOTLP} {
			file := exportFile(b, bundle, f)
			b.Run(fmt.Sprintf("%s/%d", f, n), func(b *testing.B) {
				for b.Loop() {
					if _, err := trace.Import(context.Background(), bytes.NewReader(file), &memSink{}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(file))/(1<<20), "MiB")
				perStep(b, n)
			})
		}
	}
}

// BenchmarkBuild builds the trace of a 10,000- and a 100,000-step run, as the UI does.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes {
		h := bigBundle(n).Runs[0]
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := trace.Build(h.Run, h.Steps); err != nil {
					b.Fatal(err)
				}
			}
			perStep(b, n)
		})
	}
}

// BenchmarkLoadOutline reads a 10,000- and a 100,000-step run from a journal as the window
// opens it (its outline: trace.LoadOutline), beside the whole trace read the same way in the
// same run (trace.Load, what the window read before outlines: the baseline); each encoded
// as JSON, as the window receives it (MiB).
func BenchmarkLoadOutline(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		j := openJournal(b)
		bundle := bigBundle(n)
		h := bundle.Runs[0]
		if err := j.ImportRun(ctx, bundle.Session, h.Run, h.Steps, nil); err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name string
			load func() (any, error)
		}{
			{"baseline-trace", func() (any, error) { return trace.Load(ctx, j, h.Run.ID) }},
			{"outline", func() (any, error) { return trace.LoadOutline(ctx, j, h.Run.ID) }},
		} {
			b.Run(fmt.Sprintf("%s/%d", c.name, n), func(b *testing.B) {
				var size int
				for b.Loop() {
					t, err := c.load()
					if err != nil {
						b.Fatal(err)
					}
					data, err := json.Marshal(t)
					if err != nil {
						b.Fatal(err)
					}
					size = len(data)
				}
				b.ReportMetric(float64(size)/(1<<20), "MiB")
				perStep(b, n)
			})
		}
	}
}
