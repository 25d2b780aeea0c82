package trace

import (
	"fmt"
	"io"
	"strings"
)

// Format names an export format.
type Format string

// The export formats.
const (
	// FormatJSON is the Corral bundle (docs/trace-bundle.md): the full
	// history, enough to rebuild every view, and what Import reads.
	FormatJSON Format = "json"
	// FormatOTLP is OTLP/JSON, an ExportTraceServiceRequest, for any
	// OpenTelemetry backend; Import reads it back too.
	FormatOTLP Format = "otlp"
	// FormatHTML is a self-contained report: graph, timeline and transcript.
	FormatHTML Format = "html"
)

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatJSON, FormatOTLP, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("trace: unknown format %q (want json, otlp or html)", s)
}

// Export writes a bundle in a format, after redacting secrets and, with
// opts.NoContent, omitting content; b itself is not changed.
func Export(w io.Writer, b Bundle, f Format, opts Options) error {
	clean := sanitize(b, opts)
	traces, err := clean.Traces() // a history out of order is refused before anything is written
	if err != nil {
		return err
	}
	switch f {
	case FormatJSON:
		return writeBundle(w, clean)
	case FormatOTLP:
		return writeOTLP(w, clean, traces)
	case FormatHTML:
		return writeHTML(w, clean, traces)
	}
	return fmt.Errorf("trace: unknown format %q (want json, otlp or html)", f)
}
