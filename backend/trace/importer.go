package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/corral-dev/corral/backend/journal"
)

// Sink receives the runs of an import; the journal implements it. Each call
// writes one run, with its steps exactly as given (status, attempt,
// resolution, times) and its resumes in order, creating the session on its
// first run. It should be atomic: all of the run or nothing.
type Sink interface {
	ImportRun(ctx context.Context, session journal.Session, run journal.Run, steps []journal.Step, resumes []journal.Resume) error
}

// ImportedTitle starts the title of an imported session.
const ImportedTitle = "[imported] "

// Imported is what an import wrote.
type Imported struct {
	Session journal.Session
	Runs    []journal.Run
	// Format is the format the file was in: FormatJSON or FormatOTLP.
	Format Format
}

// Read reads a Corral bundle, or an OTLP/JSON file Corral exported, and
// validates all of it: a file over [MaxFileBytes] or nested deeper than
// [MaxDepth], truncated, of the wrong shape, over a field's limit or from a
// newer Corral is an error ([ErrInvalid], [ErrTooNew], [ErrUnknownFormat]).
func Read(r io.Reader) (Bundle, Format, error) {
	return read(r, MaxFileBytes)
}

func read(r io.Reader, limit int64) (Bundle, Format, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Bundle{}, "", fmt.Errorf("trace: read: %w", err)
	}
	if int64(len(data)) > limit {
		return Bundle{}, "", invalid("", "larger than the limit of %d bytes", limit)
	}
	return parse(data)
}

func parse(data []byte) (Bundle, Format, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte order mark an editor may add
	if len(bytes.TrimSpace(data)) == 0 {
		return Bundle{}, "", invalid("", "the file is empty")
	}
	if err := checkDepth(data, MaxDepth); err != nil {
		return Bundle{}, "", err
	}
	top, err := sniff(data)
	if err != nil {
		return Bundle{}, "", err
	}
	switch {
	case top.format != nil:
		var format string
		if json.Unmarshal(top.format, &format) != nil || format != BundleFormat {
			return Bundle{}, "", fmt.Errorf("%w: format is %s, want %q", ErrUnknownFormat, describe(string(top.format)), BundleFormat)
		}
		b, err := decodeBundle(data, top.version)
		return b, FormatJSON, err
	case top.otlp:
		var req coltracepb.ExportTraceServiceRequest
		if err := UnmarshalOTLP(data, &req); err != nil {
			return Bundle{}, "", err
		}
		b, err := fromOTLP(&req)
		return b, FormatOTLP, err
	}
	return Bundle{}, "", fmt.Errorf("%w: neither a bundle (\"format\": %q) nor OTLP/JSON (\"resourceSpans\")", ErrUnknownFormat, BundleFormat)
}

// topLevel is what tells the formats apart.
type topLevel struct {
	format, version json.RawMessage
	otlp            bool
}

// sniff reads the members of the top-level object up to the ones that say
// what the file is. A bundle starts with them, so the rest of the file is
// left for the decoder that reads it.
func sniff(data []byte) (topLevel, error) {
	var top topLevel
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return top, syntaxError(data, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return top, fmt.Errorf("%w: the file is JSON but not an object", ErrUnknownFormat)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return top, syntaxError(data, err)
		}
		key, _ := tok.(string)
		if key == "resourceSpans" || key == "resource_spans" {
			top.otlp = true // the OTLP decoder reads the rest
			return top, nil
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return top, syntaxError(data, err)
		}
		switch key {
		case "format":
			top.format = raw
		case "version":
			top.version = raw
		}
		if top.format != nil && top.version != nil {
			return top, nil
		}
	}
	if _, err := dec.Token(); err != nil {
		return top, syntaxError(data, err)
	}
	return top, nil
}

// Import reads a file as [Read] does and, only if all of it is valid, hands
// its runs to sink as a read-only imported session: the session and run ids
// get the [ImportPrefix] (so importing the same file twice meets
// journal.ErrExists instead of duplicating it) and the title [ImportedTitle].
// Trace and span ids are kept (see [TraceID]).
func Import(ctx context.Context, r io.Reader, sink Sink) (Imported, error) {
	b, format, err := Read(r)
	if err != nil {
		return Imported{}, err
	}
	sess := b.Session
	sess.ID = importID(sess.ID)
	sess.Origin = journal.OriginImported
	if !strings.HasPrefix(sess.Title, ImportedTitle) {
		sess.Title = ImportedTitle + sess.Title
	}
	out := Imported{Session: sess, Format: format}
	for _, h := range b.Runs {
		run := h.Run
		run.ID, run.SessionID = importID(run.ID), sess.ID
		if run.ParentRunID != "" {
			run.ParentRunID = importID(run.ParentRunID)
		}
		run.Steps, run.Usage, run.CostUSD = 0, journal.Usage{}, 0
		steps := make([]journal.Step, len(h.Steps))
		for i, st := range h.Steps {
			st.RunID = run.ID
			st.Replayed = false
			steps[i] = st
		}
		resumes := make([]journal.Resume, len(h.Resumes))
		for i, r := range h.Resumes {
			r.RunID, r.N = run.ID, i+1
			resumes[i] = r
		}
		if err := sink.ImportRun(ctx, sess, run, steps, resumes); err != nil {
			return out, fmt.Errorf("trace: import run %s: %w", h.Run.ID, err)
		}
		if rs, ok := restoreSink(sink); ok {
			for _, r := range h.Restores {
				r.ID, r.RunID = "", run.ID
				if _, err := rs.AddRestore(ctx, r); err != nil {
					return out, fmt.Errorf("trace: import run %s: %w", h.Run.ID, err)
				}
			}
		}
		out.Runs = append(out.Runs, run)
	}
	return out, nil
}

// Named returns a sink that records name (the file's base name) as where each imported
// session came from.
func Named(sink Sink, name string) Sink { return namedSink{sink, name} }

type namedSink struct {
	sink Sink
	name string
}

func (n namedSink) ImportRun(ctx context.Context, s journal.Session, r journal.Run, steps []journal.Step, resumes []journal.Resume) error {
	s.ImportedFrom = n.name
	return n.sink.ImportRun(ctx, s, r, steps, resumes)
}

// restoreSink returns the sink's RestoreSink, through Named.
func restoreSink(s Sink) (RestoreSink, bool) {
	if n, ok := s.(namedSink); ok {
		s = n.sink
	}
	rs, ok := s.(RestoreSink)
	return rs, ok
}

// importID returns the id an imported session or run gets.
func importID(id string) string {
	if IsImported(id) {
		return id
	}
	return ImportPrefix + id
}
