package proc_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/corral-dev/corral/backend/proc"
)

func TestAlive(t *testing.T) {
	t.Parallel()
	pid, start := proc.Self()
	if pid != os.Getpid() || start == "" {
		t.Fatalf("Self() = %d, %q; want this pid and its start time", pid, start)
	}
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		pid   int
		start string
		want  bool
	}{
		{"this process", pid, start, true},
		{"this process, start unknown", pid, "", true},
		{"this pid, started at another time (reused)", pid, start + "0", false},
		{"an exited process", exited.Process.Pid, "", false},
		{"no pid", 0, "", false},
	}
	for _, tt := range tests {
		if got := proc.Alive(tt.pid, tt.start); got != tt.want {
			t.Errorf("Alive(%s: %d, %q) = %v, want %v", tt.name, tt.pid, tt.start, got, tt.want)
		}
	}
}
