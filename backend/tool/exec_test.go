package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/tool"
)

func TestExec(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "sub/f.txt", "in sub\n")
	tests := []struct {
		name     string
		tool     *tool.Exec
		input    string
		want     want
		exitCode int
		timedOut bool
	}{
		{"Success", &tool.Exec{}, `{"command":"echo hi"}`,
			want{exact: ptr("Exit code: 0\n--- stdout ---\nhi")}, 0, false},
		{"NonZeroExit", &tool.Exec{}, `{"command":"echo oops >&2; exit 3"}`,
			want{isError: true, exact: ptr("Exit code: 3\n--- stderr ---\noops")}, 3, false},
		{"BothStreams", &tool.Exec{}, `{"command":"printf out; printf err >&2"}`,
			want{exact: ptr("Exit code: 0\n--- stdout ---\nout\n--- stderr ---\nerr")}, 0, false},
		{"NoOutput", &tool.Exec{}, `{"command":"true"}`,
			want{exact: ptr("Exit code: 0\n(no output)")}, 0, false},
		{"Cwd", &tool.Exec{}, `{"command":"cat f.txt","cwd":"sub"}`,
			want{contains: []string{"in sub"}}, 0, false},
		{"CwdAbsoluteInside", &tool.Exec{}, `{"command":"cat f.txt","cwd":"$WS/sub"}`,
			want{contains: []string{"in sub"}}, 0, false},
		{"Timeout", &tool.Exec{}, `{"command":"echo started; sleep 30","timeout_seconds":0.2}`,
			want{isError: true, contains: []string{"Timed out after 0.2 s", "started"}}, 137, true},
		{"TimeoutLoweredToMax", &tool.Exec{MaxTimeout: time.Minute}, `{"command":"true","timeout_seconds":3600}`,
			want{contains: []string{"timeout_seconds lowered to the maximum, 60 s", "Exit code: 0"}}, 0, false},
		{"OutputTruncated", &tool.Exec{MaxOutput: 100}, `{"command":"seq 1 1000"}`,
			want{contains: []string{"1\n2\n3\n", "[... 3793 bytes omitted ...]", "999\n1000"}}, 0, false},
		{"InvalidUTF8", &tool.Exec{}, `{"command":"printf 'a\\377b'"}`,
			want{contains: []string{"a\uFFFDb"}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := b.run(t, tt.tool, tt.input)
			tt.want.check(t, tt.input, res)
			if res.Meta.ExitCode == nil || *res.Meta.ExitCode != tt.exitCode {
				t.Errorf("Meta.ExitCode = %v, want %d", res.Meta.ExitCode, tt.exitCode)
			}
			if res.Meta.TimedOut != tt.timedOut {
				t.Errorf("Meta.TimedOut = %v, want %v", res.Meta.TimedOut, tt.timedOut)
			}
		})
	}
}

func TestExecRefuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.file(t, "afile", "x")
	tests := []struct {
		name  string
		input string
		want  want
	}{
		{"InvalidJSON", `{"command":`, want{isError: true, contains: []string{"Invalid input for exec"}}},
		{"UnknownField", `{"command":"true","shell":"bash"}`, want{isError: true, contains: []string{`unknown field "shell"`}}},
		{"EmptyCommand", `{"command":"  "}`, want{isError: true, contains: []string{"command is empty"}}},
		{"MissingCommand", `{}`, want{isError: true, contains: []string{"command is empty"}}},
		{"NegativeTimeout", `{"command":"true","timeout_seconds":-1}`, want{isError: true, contains: []string{"timeout_seconds must be positive"}}},
		{"CwdOutside", `{"command":"true","cwd":"../"}`, want{isError: true, contains: []string{"../ is outside the workspace"}}},
		{"CwdAbsoluteOutside", `{"command":"true","cwd":"/etc"}`, want{isError: true, contains: []string{"/etc is outside the workspace"}}},
		{"CwdMissing", `{"command":"true","cwd":"nope"}`, want{isError: true, contains: []string{"cwd nope does not exist"}}},
		{"CwdIsFile", `{"command":"true","cwd":"afile"}`, want{isError: true, exact: ptr("cwd afile is not a directory.")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.check(t, tt.input, b.run(t, &tool.Exec{}, tt.input))
		})
	}
}

func TestExecCanceled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&tool.Exec{}).Run(ctx, b.sb, json.RawMessage(`{"command":"true"}`))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run with canceled ctx error = %v, want context.Canceled", err)
	}
}

func BenchmarkExecLocal(b *testing.B) {
	bb := setup(b)
	exec := &tool.Exec{}
	input := json.RawMessage(`{"command":"true"}`)
	for b.Loop() {
		res, err := exec.Run(context.Background(), bb.sb, input)
		if err != nil || res.IsError {
			b.Fatalf("Run = %+v, %v", res, err)
		}
	}
}
