package app

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

// maxImport bounds a file dropped on the window for import.
const maxImport = 256 << 20

// Traces exports runs for other tools and imports exported files, for the window's export
// button and drag-and-drop (the command line has `corral export` and `corral import`).
type Traces struct {
	journal *journal.Journal
	// secrets returns the saved provider keys, redacted from every export; nil means none.
	secrets func() []string
}

// Trace returns a run's trace: the one model (backend/trace) the window's graph, timeline
// and inspector draw, and every exporter writes, so the picture and the files agree.
func (t *Traces) Trace(runID string) (trace.Trace, error) {
	return trace.Load(context.Background(), t.journal, runID)
}

// Outline returns a run's trace without its content (see trace.LoadOutline): what the
// window's graph and timeline draw first, small enough to open a run of any length at once.
// The views ask for the content of the steps they show with Steps.
func (t *Traces) Outline(runID string) (trace.Outline, error) {
	return trace.LoadOutline(context.Background(), t.journal, runID)
}

// Steps returns the spans of a run's steps from..to (inclusive, at most
// trace.MaxStepRange) with their whole content: the steps a view of an outline shows.
func (t *Traces) Steps(runID string, from, to int) ([]trace.Span, error) {
	return trace.LoadSteps(context.Background(), t.journal, runID, from, to)
}

// ExportFile is an export ready to save: a suggested file name, its media type and content.
type ExportFile struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Content string `json:"content"`
}

// Export renders a run's trace as json (a Corral bundle), otlp or html, redacted (and
// without prompts and outputs when noContent).
func (t *Traces) Export(runID, format string, noContent bool) (ExportFile, error) {
	f, err := trace.ParseFormat(format)
	if err != nil {
		return ExportFile{}, err
	}
	b, err := trace.LoadRun(context.Background(), t.journal, runID)
	if err != nil {
		return ExportFile{}, err
	}
	var buf bytes.Buffer
	if err := trace.Export(&buf, b, f, trace.Options{NoContent: noContent, Redact: t.redactions()}); err != nil {
		return ExportFile{}, err
	}
	ext, typ := "json", "application/json"
	switch f {
	case trace.FormatOTLP:
		ext = "otlp.json"
	case trace.FormatHTML:
		ext, typ = "html", "text/html"
	}
	return ExportFile{Name: fmt.Sprintf("corral-%s.%s", runID, ext), Type: typ, Content: buf.String()}, nil
}

// ImportResult says what an import created.
type ImportResult struct {
	SessionID string   `json:"session_id"`
	RunIDs    []string `json:"run_ids"`
	Format    string   `json:"format"`
}

// Import loads an exported file (its content, as dropped on the window) as a read-only
// session. A file that is not a valid export changes nothing.
func (t *Traces) Import(name, content string) (ImportResult, error) {
	if len(content) > maxImport {
		return ImportResult{}, fmt.Errorf("%s is larger than %d MiB", name, maxImport>>20)
	}
	got, err := trace.Import(context.Background(), strings.NewReader(content), trace.Named(t.journal, path.Base(strings.ReplaceAll(name, "\\", "/"))))
	if err != nil {
		return ImportResult{}, fmt.Errorf("import %s: %w", name, err)
	}
	out := ImportResult{SessionID: got.Session.ID, Format: string(got.Format)}
	for _, r := range got.Runs {
		out.RunIDs = append(out.RunIDs, r.ID)
	}
	return out, nil
}
