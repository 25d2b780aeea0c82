package trace

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid means a bundle or OTLP file is malformed: not JSON, truncated,
	// a wrong type, a value out of range or over a limit. It is matched by
	// [*FormatError].
	ErrInvalid = errors.New("trace: invalid file")
	// ErrTooNew means the file was written by a newer Corral, in a bundle
	// version this program does not read.
	ErrTooNew = errors.New("trace: file is from a newer Corral")
	// ErrUnknownFormat means the file is neither a Corral bundle nor an OTLP
	// file written by Corral.
	ErrUnknownFormat = errors.New("trace: not a Corral trace file")
	// ErrReplayExhausted means a [Replayer] was asked for a turn its record
	// does not have.
	ErrReplayExhausted = errors.New("trace: replay: no recorded response for this turn")
)

// FormatError reports what is wrong with a file being read, and where.
type FormatError struct {
	// Path locates the value, for example "runs[0].steps[4].name"; empty for
	// the file as a whole.
	Path string
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Path == "" {
		return "trace: invalid file: " + e.Msg
	}
	return fmt.Sprintf("trace: invalid file: %s: %s", e.Path, e.Msg)
}

// Is reports whether target is [ErrInvalid].
func (e *FormatError) Is(target error) bool { return target == ErrInvalid }

func invalid(path, format string, args ...any) error {
	return &FormatError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
