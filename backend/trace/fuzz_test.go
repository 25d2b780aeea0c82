package trace_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/trace"
)

// FuzzImport feeds arbitrary bytes to Import. A file is either refused with
// one of the package's errors and nothing written, or imported whole; what
// was imported builds into traces, renders, and exports to a file that reads
// back.
//
// CI runs it for a bounded time:
//
//	go test ./backend/trace -run '^$' -fuzz '^FuzzImport$' -fuzztime 20s -fuzzminimizetime 3s
//
// (-fuzzminimizetime keeps the time on finding inputs rather than shrinking
// the large seed files.)
func FuzzImport(f *testing.F) {
	b := testBundle()
	valid := exportFile(f, b, trace.FormatJSON)
	otlp := exportFile(f, b, trace.FormatOTLP)
	var bare bytes.Buffer
	if err := trace.Export(&bare, b, trace.FormatJSON, trace.Options{NoContent: true}); err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		valid, otlp, bare.Bytes(), exportFile(f, twoRuns(), trace.FormatJSON),
		exportFile(f, resumedBundle(), trace.FormatJSON), exportFile(f, resumedBundle(), trace.FormatOTLP),
		valid[:len(valid)/3], otlp[:len(otlp)/2],
		[]byte(`{"format":"corral.trace","version":2}`),
		[]byte(`{"format":"corral.trace","version":1,"content":"full","session":{"id":"s"},"runs":[{"run":{"id":"r","session_id":"s","status":"pending"},"steps":[]}]}`),
		[]byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"corral.format","value":{"stringValue":"corral.trace"}}]}}]}`),
		[]byte(strings.Repeat("[", 300)),
		[]byte(`{"format":1}`),
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx := context.Background()
		sink := &memSink{}
		imp, err := trace.Import(ctx, bytes.NewReader(data), sink)
		if err != nil {
			if len(sink.runs) != 0 {
				t.Fatalf("Import() = %v after writing %d runs", err, len(sink.runs))
			}
			if !errors.Is(err, trace.ErrInvalid) && !errors.Is(err, trace.ErrTooNew) && !errors.Is(err, trace.ErrUnknownFormat) {
				t.Fatalf("Import() = %v, not one of the package's errors", err)
			}
			return
		}
		got := trace.Bundle{Version: trace.Version, Content: trace.ContentFull, Session: imp.Session, Runs: sink.runs}
		if _, err := got.Traces(); err != nil {
			t.Fatalf("imported runs do not build: %v", err)
		}
		if err := trace.Export(io.Discard, got, trace.FormatHTML, trace.Options{}); err != nil {
			t.Fatalf("imported runs do not render: %v", err)
		}
		var again bytes.Buffer
		if err := trace.Export(&again, got, trace.FormatJSON, trace.Options{}); err != nil {
			t.Fatalf("imported runs do not export: %v", err)
		}
		// Redaction may lengthen a field past its limit ("Bearer x" becomes
		// "Bearer [REDACTED]"); nothing else may make the file unreadable.
		if _, _, err := trace.Read(&again); err != nil && !strings.Contains(err.Error(), "over the limit") {
			t.Fatalf("re-exported file does not read: %v", err)
		}
	})
}
