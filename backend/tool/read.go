package tool

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Read shows a text file with line numbers. The zero value uses the
// defaults.
type Read struct {
	// DefaultLimit is the number of lines shown when the model gives no
	// limit (default 2000).
	DefaultLimit int
	// MaxBytes caps the text returned by one call (default 256 KiB).
	MaxBytes int
	// MaxLineBytes cuts longer lines (default 2000 bytes).
	MaxLineBytes int
}

const (
	defaultReadLimit     = 2000
	defaultReadMaxBytes  = 256 << 10
	defaultReadLineBytes = 2000
	// sniffBytes is how much of a file is checked for NUL bytes and
	// invalid UTF-8 before it is treated as text.
	sniffBytes = 8 << 10
	// countLimit bounds how far past the shown lines read goes to count
	// the file's lines.
	countLimit = 64 << 20
)

func (r *Read) limits() (limit, maxBytes, lineBytes int) {
	limit, maxBytes, lineBytes = r.DefaultLimit, r.MaxBytes, r.MaxLineBytes
	if limit <= 0 {
		limit = defaultReadLimit
	}
	if maxBytes <= 0 {
		maxBytes = defaultReadMaxBytes
	}
	if lineBytes <= 0 {
		lineBytes = defaultReadLineBytes
	}
	return limit, maxBytes, lineBytes
}

// Name returns "read".
func (r *Read) Name() string { return "read" }

// Description tells the model how read behaves.
func (r *Read) Description() string {
	limit, maxBytes, lineBytes := r.limits()
	return fmt.Sprintf(`Read a text file in the workspace. Lines are returned numbered like cat -n: the line number, a tab, then the line.

- path is relative to the workspace root (an absolute path inside the workspace also works).
- offset is the 1-based line number to start at; limit is the number of lines (default %d). Use them to page through long files: the result says which lines it shows and how many the file has.
- At most %d KiB of text is returned per call, and lines longer than %d bytes are cut; both are stated in the result.
- Binary files (containing NUL bytes or invalid UTF-8) are refused. Directories are refused: use glob to list files.`, limit, maxBytes>>10, lineBytes)
}

// Schema describes the input {path, offset?, limit?}.
func (r *Read) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "path": {"type": "string", "description": "File path, relative to the workspace root."},
    "offset": {"type": "integer", "minimum": 1, "description": "1-based line number to start reading at (default 1)."},
    "limit": {"type": "integer", "minimum": 1, "description": "Maximum number of lines to return."}
  },
  "required": ["path"],
  "additionalProperties": false
}`)
}

// Idempotent is true: reading changes nothing.
func (r *Read) Idempotent() bool { return true }

type readInput struct {
	Path   string `json:"path"`
	Offset int    `json:"offset"`
	Limit  int    `json:"limit"`
}

// Run reads the file.
func (r *Read) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in readInput
	if res, ok := decode(r.Name(), input, &in); !ok {
		return res, nil
	}
	if in.Offset < 0 || in.Limit < 0 {
		return failure("offset and limit must be positive."), nil
	}
	name, bad := resolvePath(sb.Info(), in.Path)
	if bad != nil {
		return *bad, nil
	}
	f, err := sb.Files().Open(name)
	if err != nil {
		return fileFailure(name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileFailure(name, err)
	}
	if fi.IsDir() {
		return failure("%s is a directory; use glob to list its files.", name), nil
	}
	if !fi.Mode().IsRegular() {
		return failure("%s is not a regular file (%s).", name, fi.Mode().Type()), nil
	}

	defLimit, maxBytes, lineBytes := r.limits()
	first := max(in.Offset, 1)
	limit := in.Limit
	if limit == 0 {
		limit = defLimit
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(sniffBytes)
	if why := binaryReason(head, len(head) < sniffBytes); why != "" {
		return failure("%s looks like a binary file (%s, %s); read shows text files only.", name, why, byteSize(fi.Size())), nil
	}

	var out strings.Builder
	lineNo, shown, cutLines := 0, 0, 0
	capped := false
	for {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		line, more, err := readLine(br, lineBytes)
		if len(line) == 0 && more == 0 && errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fileFailure(name, err)
		}
		lineNo++
		if lineNo >= first && shown < limit && !capped {
			text := strings.ToValidUTF8(string(line), "\uFFFD")
			if more > 0 {
				text += fmt.Sprintf(" [... line cut: %d more bytes]", more)
				cutLines++
			}
			entry := fmt.Sprintf("%6d\t%s\n", lineNo, text)
			if out.Len()+len(entry) > maxBytes && shown > 0 {
				capped = true
			} else {
				out.WriteString(entry)
				shown++
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if shown >= limit || capped {
			countRest(br, &lineNo)
			break
		}
	}
	total := lineNo
	meta := Meta{Path: name, Bytes: fi.Size(), Lines: shown}
	if total == 0 {
		return Result{Content: fmt.Sprintf("%s is empty.", name), Meta: meta}, nil
	}
	if shown == 0 {
		return failure("offset %d is past the end of %s, which has %s.", first, name, plural(total, "line")), nil
	}
	last := first + shown - 1
	var notes []string
	if capped {
		notes = append(notes, fmt.Sprintf("output capped at %d KiB", maxBytes>>10))
	}
	if cutLines > 0 {
		notes = append(notes, fmt.Sprintf("%s cut at %d bytes", plural(cutLines, "long line"), lineBytes))
	}
	if first > 1 || last < total || total < 0 || len(notes) > 0 {
		meta.Truncated = true
		totalText := fmt.Sprintf("%d", total)
		if total < 0 {
			totalText = fmt.Sprintf("more than %d", -total)
		}
		s := fmt.Sprintf("[lines %d-%d of %s", first, last, totalText)
		if len(notes) > 0 {
			s += "; " + strings.Join(notes, "; ")
		}
		if last < total || total < 0 {
			s += fmt.Sprintf("; continue with offset=%d", last+1)
		}
		out.WriteString(s + "]")
	}
	return Result{Content: strings.TrimSuffix(out.String(), "\n"), Meta: meta}, nil
}

// countRest adds the remaining lines (reading up to countLimit bytes) to
// lineNo, negating it when it gave up: -n means "more than n".
func countRest(br *bufio.Reader, lineNo *int) {
	buf := make([]byte, 64<<10)
	read, last := 0, byte('\n')
	for read < countLimit {
		n, err := br.Read(buf)
		if n > 0 {
			*lineNo += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
			read += n
		}
		if err != nil {
			if last != '\n' {
				*lineNo++ // a last line without newline
			}
			return
		}
	}
	*lineNo = -*lineNo
}

// readLine returns the next line without its newline, cut to max bytes
// (on a rune boundary), and how many bytes were cut.
func readLine(br *bufio.Reader, maxLen int) (line []byte, more int, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		end := len(chunk)
		if err == nil && end > 0 {
			end-- // the newline
		}
		room := maxLen - len(line)
		switch {
		case room >= end:
			line = append(line, chunk[:end]...)
		case room > 0:
			cut := room
			for cut > 0 && !utf8.RuneStart(chunk[cut]) {
				cut--
			}
			line = append(line, chunk[:cut]...)
			more += end - cut
		default:
			more += end
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			return bytes.TrimSuffix(line, []byte{'\r'}), more, nil
		}
		return bytes.TrimSuffix(line, []byte{'\r'}), more, err
	}
}

// binaryReason says why data looks binary, or "" for text. complete
// reports that data is the whole file (so a rune cut at its end is an
// error rather than the sniff window's edge).
func binaryReason(data []byte, complete bool) string {
	if bytes.IndexByte(data, 0) >= 0 {
		return "it contains NUL bytes"
	}
	if !complete {
		// Ignore a rune cut by the end of the window.
		for i := 0; i < utf8.UTFMax && i < len(data); i++ {
			if utf8.RuneStart(data[len(data)-1-i]) {
				if !utf8.FullRune(data[len(data)-1-i:]) {
					data = data[:len(data)-1-i]
				}
				break
			}
		}
	}
	if !utf8.Valid(data) {
		return "it is not valid UTF-8"
	}
	return ""
}

// byteSize formats n bytes for the model.
func byteSize(n int64) string {
	switch {
	case n < 10<<10:
		return plural(int(n), "byte")
	case n < 10<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d MiB", n>>20)
	}
}
