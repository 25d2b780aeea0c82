package diff

import (
	"bytes"
	"unicode/utf8"
)

// Binary says why data should not be diffed as text ("it contains NUL
// bytes", "it is not valid UTF-8"), or returns "" for text.
func Binary(data []byte) string {
	if bytes.IndexByte(data, 0) >= 0 {
		return "it contains NUL bytes"
	}
	if !utf8.Valid(data) {
		return "it is not valid UTF-8"
	}
	return ""
}
