package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

func exportFile(t testing.TB, b trace.Bundle, f trace.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Export(&buf, b, f, trace.Options{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// twoRuns is a session bundle with two runs.
func twoRuns() trace.Bundle {
	b := testBundle()
	second := b.Runs[0]
	second.Run.ID = "run_b"
	second.Steps = append([]journal.Step(nil), second.Steps...)
	for i := range second.Steps {
		second.Steps[i].RunID = "run_b"
	}
	b.Runs = append(b.Runs, second)
	return b
}

// bundleWith exports b as a JSON bundle and edits it as generic JSON.
func bundleWith(t testing.TB, b trace.Bundle, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(exportFile(t, b, trace.FormatJSON), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	return mustJSON(t, m)
}

func stepOf(m map[string]any, run, step int) map[string]any {
	return m["runs"].([]any)[run].(map[string]any)["steps"].([]any)[step].(map[string]any)
}

func runOf(m map[string]any, run int) map[string]any {
	return m["runs"].([]any)[run].(map[string]any)["run"].(map[string]any)
}

// otlpWith exports b as OTLP and edits the request.
func otlpWith(t testing.TB, b trace.Bundle, edit func(req *coltracepb.ExportTraceServiceRequest)) []byte {
	t.Helper()
	req, err := trace.OTLP(b, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	edit(req)
	data, err := trace.MarshalOTLP(req)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func setAttr(kvs []*commonpb.KeyValue, key string, v *commonpb.AnyValue) {
	for _, kv := range kvs {
		if kv.Key == key {
			kv.Value = v
		}
	}
}

// TestImportRejects feeds files from a newer Corral, truncated files and
// hostile ones to Import over a real journal: each is refused with a clear
// error, and the journal is left empty.
func TestImportRejects(t *testing.T) {
	t.Parallel()
	valid := exportFile(t, testBundle(), trace.FormatJSON)
	nested := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	tests := []struct {
		name string
		file func(t testing.TB) []byte
		want error
		text string
	}{
		{"newer bundle version", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["version"] = 2; m["runs"] = "changed shape" })
		}, trace.ErrTooNew, "version 2"},
		{"version of the wrong type", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["version"] = "1" })
		}, trace.ErrInvalid, "version"},
		{"truncated", func(testing.TB) []byte { return valid[:len(valid)/2] }, trace.ErrInvalid, "truncated"},
		{"truncated by one byte", func(testing.TB) []byte { return bytes.TrimSpace(valid)[:len(bytes.TrimSpace(valid))-1] }, trace.ErrInvalid, "truncated"},
		{"empty", func(testing.TB) []byte { return nil }, trace.ErrInvalid, "empty"},
		{"not JSON", func(testing.TB) []byte { return []byte("PK\x03\x04 zip?") }, trace.ErrInvalid, "not valid JSON"},
		{"another format", func(testing.TB) []byte { return []byte(`{"format":"har","version":1}`) }, trace.ErrUnknownFormat, "har"},
		{"some other JSON", func(testing.TB) []byte { return []byte(`{"hello":"world"}`) }, trace.ErrUnknownFormat, "resourceSpans"},
		{"foreign OTLP", func(testing.TB) []byte {
			return []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}}]},"scopeSpans":[]}]}`)
		}, trace.ErrUnknownFormat, "only OTLP files exported by Corral"},
		{"OTLP from a newer Corral", func(t testing.TB) []byte {
			return otlpWith(t, testBundle(), func(req *coltracepb.ExportTraceServiceRequest) {
				setAttr(req.ResourceSpans[0].Resource.Attributes, "corral.version", &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: 9}})
			})
		}, trace.ErrTooNew, "version 9"},
		{"OTLP attribute of the wrong type", func(t testing.TB) []byte {
			return otlpWith(t, testBundle(), func(req *coltracepb.ExportTraceServiceRequest) {
				setAttr(req.ResourceSpans[0].ScopeSpans[0].Spans[2].Attributes, "corral.step.seq", &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "2"}})
			})
		}, trace.ErrInvalid, "corral.step.seq is not an integer"},
		{"OTLP truncated", func(t testing.TB) []byte {
			d := exportFile(t, testBundle(), trace.FormatOTLP)
			return d[:len(d)-40]
		}, trace.ErrInvalid, ""},
		{"OTLP step without its run", func(t testing.TB) []byte {
			return otlpWith(t, testBundle(), func(req *coltracepb.ExportTraceServiceRequest) {
				ss := req.ResourceSpans[0].ScopeSpans[0]
				ss.Spans = ss.Spans[1:]
			})
		}, trace.ErrInvalid, "belongs to no run"},
		{"huge step name", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 2)["name"] = strings.Repeat("x", 300) })
		}, trace.ErrInvalid, "runs[0].steps[2].name: 300 bytes"},
		{"huge title", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["session"].(map[string]any)["title"] = strings.Repeat("t", 5000) })
		}, trace.ErrInvalid, "session.title"},
		{"huge prompt", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { runOf(m, 0)["prompt"] = strings.Repeat("p", 16<<20+1) })
		}, trace.ErrInvalid, "runs[0].run.prompt"},
		{"deep nesting", func(t testing.TB) []byte {
			return bytes.Replace(valid, []byte(`"input":{"command":"make test"}`), []byte(`"input":`+nested), 1)
		}, trace.ErrInvalid, "nested deeper"},
		{"step seq of the wrong type", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["seq"] = "2" })
		}, trace.ErrInvalid, "wrong type"},
		{"runs of the wrong type", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["runs"] = map[string]any{} })
		}, trace.ErrInvalid, "wrong type"},
		{"input of the wrong type", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["input_base64"] = 12 })
		}, trace.ErrInvalid, "wrong type"},
		{"duplicate seq", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 3)["seq"] = 3 })
		}, trace.ErrInvalid, "seq must increase"},
		{"unknown run status", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { runOf(m, 0)["status"] = "exploded" })
		}, trace.ErrInvalid, "unknown run status"},
		{"unknown step status", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["status"] = "done" })
		}, trace.ErrInvalid, "unknown step status"},
		{"run of another session", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { runOf(m, 0)["session_id"] = "ses_other" })
		}, trace.ErrInvalid, "session"},
		{"id with a path in it", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { runOf(m, 0)["id"] = "../../etc" })
		}, trace.ErrInvalid, "character"},
		{"input twice", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["input_base64"] = "e30=" })
		}, trace.ErrInvalid, "both input"},
		{"bad base64", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 0)["output_base64"] = "!!" })
		}, trace.ErrInvalid, ""},
		{"negative tokens", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["usage"].(map[string]any)["output_tokens"] = -5 })
		}, trace.ErrInvalid, "negative"},
		{"completed without a finish", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { delete(stepOf(m, 0, 1), "finished_at") })
		}, trace.ErrInvalid, "finished_at"},
		{"time out of range", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { stepOf(m, 0, 1)["started_at"] = "3000-01-01T00:00:00Z" })
		}, trace.ErrInvalid, "out of range"},
		{"no runs", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["runs"] = []any{} })
		}, trace.ErrInvalid, "no runs"},
		{"the same run twice", func(t testing.TB) []byte {
			return bundleWith(t, testBundle(), func(m map[string]any) { m["runs"] = append(m["runs"].([]any), m["runs"].([]any)[0]) })
		}, trace.ErrInvalid, "appears twice"},
		{"second run bad", func(t testing.TB) []byte {
			return bundleWith(t, twoRuns(), func(m map[string]any) { stepOf(m, 1, 4)["attempt"] = 0 })
		}, trace.ErrInvalid, "runs[1].steps[4].attempt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			j := openJournal(t)
			_, err := trace.Import(ctx, bytes.NewReader(tc.file(t)), journalSink{j})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Import() = %v, want %v mentioning %q", err, tc.want, tc.text)
			}
			if sessions, err := j.Sessions(ctx); err != nil || len(sessions) != 0 {
				t.Errorf("after a refused import the journal has %d sessions (%v), want none", len(sessions), err)
			}
		})
	}
}

// TestImportSession imports a session's runs into one imported session.
func TestImportSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	j := openJournal(t)
	imp, err := trace.Import(ctx, bytes.NewReader(exportFile(t, twoRuns(), trace.FormatJSON)), journalSink{j})
	if err != nil {
		t.Fatalf("Import() = %v", err)
	}
	runs, err := j.Runs(ctx, journal.RunFilter{SessionID: imp.Session.ID})
	if err != nil || len(runs) != 2 || runs[0].ID != "imp_run_a" || runs[1].ID != "imp_run_b" {
		t.Fatalf("imported session runs = %+v, %v; want imp_run_a and imp_run_b", runs, err)
	}
	if runs[0].Steps != 7 || runs[0].Usage.InputTokens != 210 {
		t.Errorf("imported run summary = %d steps, %+v; want 7 steps and 210 input tokens", runs[0].Steps, runs[0].Usage)
	}
	// Re-exporting an imported run keeps its trace ids and marks it once.
	b, err := trace.LoadRun(ctx, j, "imp_run_a")
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	imp2, err := trace.Import(ctx, bytes.NewReader(exportFile(t, b, trace.FormatJSON)), sink)
	if err != nil {
		t.Fatal(err)
	}
	if imp2.Runs[0].ID != "imp_run_a" || strings.Count(imp2.Session.Title, trace.ImportedTitle) != 1 {
		t.Errorf("re-import = run %s title %q, want imp_run_a marked once", imp2.Runs[0].ID, imp2.Session.Title)
	}
}

// TestReadKeepsNonJSONRecords checks records that are not compact JSON go
// through the bundle byte for byte.
func TestReadKeepsNonJSONRecords(t *testing.T) {
	t.Parallel()
	b := testBundle()
	odd := [][]byte{[]byte("not json \xff\x00"), []byte(`{ "spaced" : true }`), []byte(`"just a string"`)}
	for i, o := range odd {
		b.Runs[0].Steps[i].Output = o
	}
	got, format, err := trace.Read(bytes.NewReader(exportFile(t, b, trace.FormatJSON)))
	if err != nil || format != trace.FormatJSON {
		t.Fatalf("Read() = %v, %v", format, err)
	}
	for i, o := range odd {
		if g := got.Runs[0].Steps[i].Output; !bytes.Equal(g, o) {
			t.Errorf("output %d = %q, want %q", i, g, o)
		}
	}
}
