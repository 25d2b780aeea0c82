package trace

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
)

// This file scans JSON text without decoding it into values: to rewrite
// string values in place (redaction, OTLP ids) while every other byte,
// including key order and number spelling, stays as it was; and to bound the
// nesting depth of untrusted input cheaply, before a decoder sees it.

// stringFunc is called for each string of a JSON text. key is the name of the
// object member the string is the value of, or of the member holding the
// array it is an element of ("" at the top level); isKey marks member names.
// It returns the replacement and whether there is one.
type stringFunc func(key, s string, isKey bool) (string, bool)

// rewriteStrings returns data with fn applied to every string in it, and
// whether anything changed. data must be valid JSON. When nothing changes the
// result is data itself.
func rewriteStrings(data []byte, fn stringFunc) ([]byte, bool) {
	type level struct {
		object bool
		key    string // the current member's name, or the array's member name
	}
	var (
		stack     = make([]level, 0, 16)
		expectKey bool
		out       []byte // nil until the first change
		copied    int    // data[:copied] is already in out
	)
	current := func() (string, bool) {
		if len(stack) == 0 {
			return "", false
		}
		top := stack[len(stack)-1]
		return top.key, top.object
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			key, _ := current()
			stack = append(stack, level{object: c == '{', key: key})
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			_, expectKey = current()
		case ':':
			expectKey = false
		case '"':
			end := stringEnd(data, i)
			tok := data[i : end+1]
			s := unquote(tok)
			key, _ := current()
			isKey := expectKey
			if repl, ok := fn(key, s, isKey); ok && repl != s {
				if out == nil {
					out = make([]byte, 0, len(data)+64)
				}
				out = append(out, data[copied:i]...)
				out = appendQuoted(out, repl)
				copied = end + 1
			}
			if isKey {
				stack[len(stack)-1].key = s
			}
			i = end
		}
	}
	if out == nil {
		return data, false
	}
	return append(out, data[copied:]...), true
}

// stringEnd returns the index of the quote closing the string that starts at
// data[start], or the last index if it is unterminated.
func stringEnd(data []byte, start int) int {
	for j := start + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(data) - 1
}

// unquote decodes a JSON string token.
func unquote(tok []byte) string {
	if len(tok) >= 2 && bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1])
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return string(bytes.Trim(tok, `"`))
	}
	return s
}

// appendQuoted appends s as a JSON string, without escaping <, > and &.
func appendQuoted(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// checkDepth reports an error if JSON text nests objects and arrays deeper
// than max. It looks at brackets outside strings only; whether the text is
// otherwise valid is left to the decoder.
func checkDepth(data []byte, max int) error {
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			depth++
			if depth > max {
				return invalid("", "JSON nested deeper than %d levels at byte %d", max, i)
			}
		case '}', ']':
			depth--
		case '"':
			i = stringEnd(data, i)
		}
	}
	return nil
}

// syntaxError describes a decoding error of untrusted JSON for a person.
func syntaxError(data []byte, err error) error {
	var (
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
		b64 base64.CorruptInputError
	)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return invalid("", "the file ends early (truncated?)")
	case errors.As(err, &se):
		if se.Offset >= int64(len(data)) {
			return invalid("", "the file ends early (truncated?): %v", err)
		}
		return invalid("", "not valid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		path := te.Field
		if path == "" {
			path = "(top level)"
		}
		return invalid(path, "wrong type at byte %d: %s where %s was expected", te.Offset, te.Value, jsonKind(te.Type))
	case errors.As(err, &b64):
		return invalid("", "input_base64 or output_base64 is not base64: %v", err)
	}
	return invalid("", "%v", err)
}

// jsonKind names what JSON a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time"
		}
		return "an object"
	}
	return "another type"
}

// describe formats a value for an error message, cut short.
func describe(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
