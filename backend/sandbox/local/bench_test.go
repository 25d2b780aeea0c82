package local_test

import (
	"context"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// BenchmarkExec is one command round trip: start, run "true", reap, collect
// the output.
func BenchmarkExec(b *testing.B) {
	sb, err := local.New(b.TempDir(), local.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sb.Close() })
	for b.Loop() {
		res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: "true"})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("Exec(true) = %+v, %v", res, err)
		}
	}
}
