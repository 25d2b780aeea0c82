package approval

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// ActionHash returns a stable hex SHA-256 of a tool call: the tool name and
// its input as canonical JSON (object keys sorted, no insignificant
// whitespace, numbers as written). Two inputs the tool reads the same way
// up to key order and spacing hash the same, so a person's decision can be
// bound to the exact action they saw. Input that is not JSON is hashed as
// its trimmed bytes.
func ActionHash(tool string, input json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(tool))
	h.Write([]byte{0})
	h.Write(canonicalJSON(input))
	return hex.EncodeToString(h.Sum(nil))
}

// canonicalJSON re-encodes input with sorted keys and no spacing. For a
// repeated key the last value is kept, as encoding/json (and so the tools)
// keep it.
func canonicalJSON(input json.RawMessage) []byte {
	trimmed := bytes.TrimSpace(input)
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return trimmed
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps encode with sorted keys
		return trimmed
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
