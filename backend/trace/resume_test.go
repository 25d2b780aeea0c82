package trace_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// testResumes are resumes of testRun: twice after the exec at 3 (a crash,
// then a cancel before the next step), once after the last step.
func testResumes() []journal.Resume {
	return []journal.Resume{
		{RunID: "run_a", N: 1, At: at(25), AfterSeq: 3, Reason: "interrupted"},
		{RunID: "run_a", N: 2, At: at(27), AfterSeq: 3, Reason: "cancelled"},
		{RunID: "run_a", N: 3, At: at(70), AfterSeq: 7, Reason: "interrupted"},
	}
}

// resumedBundle is testBundle with testResumes.
func resumedBundle() trace.Bundle {
	b := testBundle()
	b.Runs[0].Resumes = testResumes()
	return b
}

func TestBuildResumes(t *testing.T) {
	t.Parallel()
	tr, err := trace.Build(testRun(), testSteps(), testResumes()...)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	var order []string
	ids := map[string]bool{}
	for _, s := range tr.Spans {
		order = append(order, string(s.Kind))
		if ids[s.ID] {
			t.Errorf("span id %s appears twice", s.ID)
		}
		ids[s.ID] = true
	}
	want := "run config llm tool command resume resume tool approval llm step resume"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("span kinds = %s, want %s (each resume after the step it follows and its command)", got, want)
	}
	plain, _ := trace.Build(testRun(), testSteps())
	if len(plain.Spans)+3 != len(tr.Spans) {
		t.Errorf("%d spans with resumes, %d without; want 3 more", len(tr.Spans), len(plain.Spans))
	}
	var resumes []trace.Span
	for _, s := range tr.Spans {
		if s.Kind == trace.KindResume {
			resumes = append(resumes, s)
		}
	}
	first := resumes[0]
	if first.ParentID != tr.Spans[0].ID || first.Seq != 0 || !first.Start.Equal(at(25)) || !first.End.Equal(at(25)) ||
		first.Status != trace.StatusOK || first.Name != "resume (interrupted)" {
		t.Errorf("resume span = %+v, want a point at 25 ms under the run, named for its reason", first)
	}
	for k, v := range map[string]any{"corral.span.kind": "resume", "corral.resume.reason": "interrupted", "corral.resume.after_seq": int64(3)} {
		if got := first.Attributes[k]; !equalAttr(got, v) {
			t.Errorf("resume attribute %s = %#v, want %#v", k, got, v)
		}
	}
	if first.ID != trace.SpanID("run_a", 3, 1<<32+1) || resumes[2].ID != trace.SpanID("imp_run_a", 7, 1<<32+3) {
		t.Errorf("resume span ids %s, %s; want SpanID(run, after_seq, 2^32+n), the same for an import", first.ID, resumes[2].ID)
	}
	// The root's times are the steps' and the run's: a resume is inside them.
	if !tr.Spans[0].Start.Equal(plain.Spans[0].Start) || !tr.Spans[0].End.Equal(plain.Spans[0].End) {
		t.Errorf("root %v..%v with resumes, want %v..%v", tr.Spans[0].Start, tr.Spans[0].End, plain.Spans[0].Start, plain.Spans[0].End)
	}

	other := testResumes()
	other[1].RunID = "run_b"
	if _, err := trace.Build(testRun(), testSteps(), other...); err == nil {
		t.Error("Build(a resume of another run) = nil, want an error")
	}
}

// TestResumesRoundTrip exports a run with resumes in each format that reads
// back and checks the resumes return as they were, and that HTML shows them.
func TestResumesRoundTrip(t *testing.T) {
	t.Parallel()
	b := resumedBundle()
	for _, format := range []trace.Format{trace.FormatJSON, trace.FormatOTLP} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			sink := &memSink{}
			imp, err := trace.Import(context.Background(), bytes.NewReader(exportFile(t, b, format)), sink)
			if err != nil {
				t.Fatalf("Import() = %v", err)
			}
			want := testResumes()
			for i := range want {
				want[i].RunID = imp.Runs[0].ID
			}
			if diff := cmp.Diff(want, sink.runs[0].Resumes); diff != "" {
				t.Errorf("imported resumes (-want +got):\n%s", diff)
			}
		})
	}
	var html bytes.Buffer
	if err := trace.Export(&html, b, trace.FormatHTML, trace.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`class="resume"`, "resume (cancelled)", "Resumed (interrupted)", "after step #3"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML report does not contain %q", want)
		}
	}
}

// TestResumesCompatible: a bundle without resumes (every file written before
// them) reads as a run never resumed, and an OTLP resume span carries no
// corral.span.kind, so a Corral from before resumes skips it rather than
// refusing the file.
func TestResumesCompatible(t *testing.T) {
	t.Parallel()
	old := bundleWith(t, testBundle(), func(m map[string]any) {})
	if bytes.Contains(old, []byte(`"resumes"`)) {
		t.Errorf("a run without resumes exports a resumes member: %s", old)
	}
	got, _, err := trace.Read(bytes.NewReader(old))
	if err != nil || len(got.Runs[0].Resumes) != 0 {
		t.Errorf("Read(bundle without resumes) = %d resumes, %v; want none", len(got.Runs[0].Resumes), err)
	}
	req, err := trace.OTLP(resumedBundle(), trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
		if !strings.HasPrefix(sp.Name, "resume") {
			continue
		}
		n++
		for _, kv := range sp.Attributes {
			if kv.Key == "corral.span.kind" {
				t.Errorf("OTLP resume span %q has corral.span.kind", sp.Name)
			}
		}
		if sp.StartTimeUnixNano != sp.EndTimeUnixNano || sp.StartTimeUnixNano == 0 {
			t.Errorf("OTLP resume span %q lasts %d..%d, want a point in time", sp.Name, sp.StartTimeUnixNano, sp.EndTimeUnixNano)
		}
	}
	if n != 3 {
		t.Errorf("OTLP has %d resume spans, want 3", n)
	}
}

func TestImportRejectsBadResumes(t *testing.T) {
	t.Parallel()
	resumeOf := func(m map[string]any, k int) map[string]any {
		return m["runs"].([]any)[0].(map[string]any)["resumes"].([]any)[k].(map[string]any)
	}
	tests := []struct {
		name string
		file func(t testing.TB) []byte
		text string
	}{
		{"after a step the run does not have", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { resumeOf(m, 2)["after_seq"] = 8 })
		}, "runs[0].resumes[2].after_seq"},
		{"out of order", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { resumeOf(m, 1)["after_seq"] = 2 })
		}, "runs[0].resumes[1].after_seq"},
		{"negative", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { resumeOf(m, 0)["after_seq"] = -1 })
		}, "runs[0].resumes[0].after_seq"},
		{"no reason", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { resumeOf(m, 0)["reason"] = "" })
		}, "runs[0].resumes[0].reason"},
		{"huge reason", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { resumeOf(m, 0)["reason"] = strings.Repeat("r", 300) })
		}, "runs[0].resumes[0].reason"},
		{"no time", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { delete(resumeOf(m, 0), "at") })
		}, "runs[0].resumes[0].at"},
		{"wrong type", func(t testing.TB) []byte {
			return bundleWith(t, resumedBundle(), func(m map[string]any) { m["runs"].([]any)[0].(map[string]any)["resumes"] = "yes" })
		}, "wrong type"},
		{"OTLP resume of no run", func(t testing.TB) []byte {
			return otlpWith(t, resumedBundle(), func(req *coltracepb.ExportTraceServiceRequest) {
				for _, sp := range req.ResourceSpans[0].ScopeSpans[0].Spans {
					if strings.HasPrefix(sp.Name, "resume") {
						sp.TraceId = bytes.Repeat([]byte{7}, 16)
					}
				}
			})
		}, "belongs to no run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			j := openJournal(t)
			_, err := trace.Import(context.Background(), bytes.NewReader(tc.file(t)), journalSink{j})
			if err == nil || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Import() = %v, want an error mentioning %q", err, tc.text)
			}
			if sessions, _ := j.Sessions(context.Background()); len(sessions) != 0 {
				t.Errorf("after a refused import the journal has %d sessions, want none", len(sessions))
			}
		})
	}
}
