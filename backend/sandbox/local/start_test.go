package local_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// TestStart runs a long-lived program as an MCP server is run: in the
// workspace, with the scrubbed environment plus the request's, talking
// over its standard streams; its output stays readable after it exits,
// and Stop and Close end it and what it started.
func TestStart(t *testing.T) {
	t.Setenv("CORRAL_TEST_SECRET", "leaked")
	ws := t.TempDir()
	sb, err := local.New(ws, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	tests := []struct {
		name  string
		argv  []string
		env   []string
		input string
		want  string
		err   string
	}{
		{name: "echo back", argv: []string{"cat"}, input: "hello\n", want: "hello\n"},
		{name: "in the workspace, scrubbed", argv: []string{"sh", "-c", `echo "$PWD ${CORRAL_TEST_SECRET:-unset} $GIVEN"; echo last words >&2`}, env: []string{"GIVEN=given"},
			want: ws + " unset given\n"},
		{name: "not in PATH", argv: []string{"corral-no-such-program"}, err: "not in the sandbox's PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sb.Start(context.Background(), sandbox.StartRequest{Argv: tt.argv, Env: tt.env})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Start(%v) = %v, want an error with %q", tt.argv, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(p.Stdin, tt.input); err != nil {
				t.Fatal(err)
			}
			p.Stdin.Close()
			out, _ := io.ReadAll(p.Stdout)
			<-p.Done
			if string(out) != tt.want {
				t.Errorf("Start(%v) output = %q, want %q", tt.argv, out, tt.want)
			}
			if err := p.Stop(); err != nil {
				t.Errorf("Stop = %v", err)
			}
		})
	}
	// Stderr written just before exit is still there after the exit.
	p, err := sb.Start(context.Background(), sandbox.StartRequest{Argv: []string{"sh", "-c", "echo bye >&2"}})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done
	if b, _ := io.ReadAll(p.Stderr); string(b) != "bye\n" {
		t.Errorf("stderr after exit = %q, want bye", b)
	}
	// It is confined as Exec's commands are: no writes beside the workspace.
	if !missing("filesystem writes") {
		outside := filepath.Join(t.TempDir(), "escaped")
		p, err := sb.Start(context.Background(), sandbox.StartRequest{Argv: []string{"sh", "-c", "echo x > " + outside}})
		if err != nil {
			t.Fatal(err)
		}
		<-p.Done
		if _, err := os.Stat(outside); err == nil {
			t.Errorf("a started program wrote %s, outside the workspace", outside)
		}
	}
	// Close stops a program that would run forever, and its child.
	p, err = sb.Start(context.Background(), sandbox.StartRequest{Argv: []string{"sh", "-c", "sleep 1000 & echo $!; wait"}})
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(p.Stdout)
	if _, err := out.ReadString('\n'); err != nil { // the child started
		t.Fatal(err)
	}
	sb.Close()
	<-p.Done
	// The child holds the stdout pipe (its pid may be another namespace's):
	// the pipe reaches its end only once the child is gone too.
	if rest, err := io.ReadAll(out); err != nil || len(rest) != 0 {
		t.Errorf("stdout after Close = %q, %v; want its end", rest, err)
	}
}

// missing reports whether the protection called name is not in force here.
func missing(name string) bool {
	for _, p := range local.Probe().Missing() {
		if p.Name == name {
			return true
		}
	}
	return false
}
