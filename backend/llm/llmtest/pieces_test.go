package llmtest

import (
	"reflect"
	"testing"
)

func TestReplyPieces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		reply Reply
		want  []string
	}{
		{"whole", Reply{Body: "0123456789"}, []string{"0123456789"}},
		{"splits, repeated and out of range ignored", Reply{Body: "0123456789", Splits: []int{3, 3, 7, 42}}, []string{"012", "3456", "789"}},
		{"chunk size", Reply{Body: "0123456789", ChunkSize: 4, Splits: []int{1}}, []string{"0123", "4567", "89"}},
		{"empty", Reply{}, []string{""}},
	}
	for _, tt := range tests {
		if got := tt.reply.pieces(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: pieces() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
