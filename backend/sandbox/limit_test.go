package sandbox_test

import (
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
)

func TestLimitedBuffer(t *testing.T) {
	t.Parallel()
	digits := strings.Repeat("0123456789", 10) // 100 bytes
	tests := []struct {
		name    string
		limit   int
		chunks  []int // sizes of successive writes of digits
		want    string
		dropped int64
	}{
		{"Empty", 10, nil, "", 0},
		{"UnderLimit", 10, []int{4, 3}, "0123456", 0},
		{"ExactlyLimit", 10, []int{10}, "0123456789", 0},
		{"OneOver", 10, []int{11}, "01234" + sandbox.OmittedMarker(1) + "6789" + "0", 1},
		{"ManySmallWrites", 10, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, "01234" + sandbox.OmittedMarker(10) + "56789", 10},
		{"OneBigWrite", 10, []int{100}, "01234" + sandbox.OmittedMarker(90) + "56789", 90},
		{"TailWrapsMidChunk", 10, []int{7, 6}, "01234" + sandbox.OmittedMarker(3) + "89012", 3},
		{"OddLimit", 7, []int{20}, "012" + sandbox.OmittedMarker(13) + "6789", 13},
		{"TinyLimit", 0, []int{5}, "0" + sandbox.OmittedMarker(3) + "4", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := sandbox.NewLimitedBuffer(tt.limit)
			var written strings.Builder
			for _, n := range tt.chunks {
				// Continue the digit sequence where the last write ended.
				start := written.Len() % 10
				chunk := (digits[start:] + digits)[:n]
				written.WriteString(chunk)
				if got, err := b.Write([]byte(chunk)); got != n || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", n, got, err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := b.Dropped(); got != tt.dropped {
				t.Errorf("Dropped() = %d, want %d", got, tt.dropped)
			}
			if got := b.Len(); got != int64(written.Len()) {
				t.Errorf("Len() = %d, want %d", got, written.Len())
			}
		})
	}
}

// TestLimitedBufferChunking checks that how the bytes arrive does not change
// what is kept.
func TestLimitedBufferChunking(t *testing.T) {
	t.Parallel()
	var data strings.Builder
	for i := range 500 {
		data.WriteString(strings.Repeat(string(rune('a'+i%26)), i%13+1))
	}
	const limit = 101
	whole := sandbox.NewLimitedBuffer(limit)
	_, _ = whole.Write([]byte(data.String()))
	for size := 1; size < 300; size += 7 {
		b := sandbox.NewLimitedBuffer(limit)
		s := data.String()
		for len(s) > 0 {
			n := min(size, len(s))
			_, _ = b.Write([]byte(s[:n]))
			s = s[n:]
		}
		if b.String() != whole.String() || b.Dropped() != whole.Dropped() {
			t.Errorf("writes of %d bytes kept %q (dropped %d), want %q (dropped %d)", size, b.String(), b.Dropped(), whole.String(), whole.Dropped())
		}
	}
}
