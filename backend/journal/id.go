package journal

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"time"
)

// idEncoding is base32 with the "extended hex" alphabet in lower case; its
// digits sort in the same order as the bytes they encode.
var idEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

// NewID returns a short random id that sorts by creation time to the
// millisecond: prefix, "_", then 16 characters encoding a 48-bit millisecond
// timestamp and 32 random bits, for example "run_06bnb5ia0q3k2n0g".
func NewID(prefix string) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}
