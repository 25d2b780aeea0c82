package tool_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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

func TestExecTracksChanges(t *testing.T) {
	t.Parallel()
	type change = tool.FileChange
	tests := []struct {
		name      string
		tool      *tool.Exec
		linuxOnly bool // told by change time or inode, which only Linux reports here
		input     string
		changed   []change
		omitted   int
		untracked string // a substring of Meta.Untracked; "" = tracked
		line      string // a substring of Content; "" = no "Files changed" line
	}{
		{name: "Created", input: `{"command":"echo hi > new.txt"}`,
			changed: []change{{Path: "new.txt", Op: "created", Bytes: 3}}, line: "\nFiles changed: new.txt (new)"},
		{name: "Appended", input: `{"command":"echo two >> a.txt"}`,
			changed: []change{{Path: "a.txt", Op: "modified", Bytes: 8}}, line: "Files changed: a.txt"},
		{name: "Deleted", input: `{"command":"rm a.txt"}`,
			changed: []change{{Path: "a.txt", Op: "deleted"}}, line: "Files changed: a.txt (deleted)"},
		{name: "ReplacedByDirectory", input: `{"command":"rm a.txt && mkdir a.txt"}`,
			changed: []change{{Path: "a.txt", Op: "deleted"}}, line: "a.txt (deleted)"},
		{name: "Chmod", input: `{"command":"chmod +x a.txt"}`,
			changed: []change{{Path: "a.txt", Op: "modified", Bytes: 4}}, line: "Files changed: a.txt"},
		{name: "SameSizeTimesRestored", linuxOnly: true, input: `{"command":"touch -r a.txt ref && printf 'ONE\\n' > a.txt && touch -r ref a.txt && rm ref"}`,
			changed: []change{{Path: "a.txt", Op: "modified", Bytes: 4}}, line: "Files changed: a.txt"},
		{name: "RenamedOverKeepingTimes", linuxOnly: true, input: `{"command":"printf 'TWO\\n' > t && touch -r a.txt t && mv t a.txt"}`,
			changed: []change{{Path: "a.txt", Op: "modified", Bytes: 4}}, line: "Files changed: a.txt"},
		{name: "Nested", input: `{"command":"mkdir -p d/e && echo x > d/e/f.txt && echo y > b.txt"}`,
			changed: []change{{Path: "b.txt", Op: "created", Bytes: 2}, {Path: "d/e/f.txt", Op: "created", Bytes: 2}},
			line:    "Files changed: b.txt (new), d/e/f.txt (new)"},
		{name: "Nothing", input: `{"command":"cat a.txt"}`},
		{name: "IgnoredVCSAndLinks", input: `{"command":"mkdir -p build .git && echo x > build/out && echo y > x.log && echo z > .git/HEAD && ln -s a.txt link"}`},
		{name: "BecameIgnored", input: `{"command":"echo 'a.txt' >> .gitignore"}`,
			changed: []change{{Path: ".gitignore", Op: "modified", Bytes: 19}}, line: "Files changed: .gitignore"},
		{name: "NonZeroExit", input: `{"command":"echo x > n.txt; exit 2"}`,
			changed: []change{{Path: "n.txt", Op: "created", Bytes: 2}}, line: "n.txt (new)"},
		{name: "TimedOut", input: `{"command":"echo x > n.txt; sleep 30","timeout_seconds":0.2}`,
			changed: []change{{Path: "n.txt", Op: "created", Bytes: 2}}, line: "n.txt (new)"},
		{name: "Capped", input: `{"command":"for i in $(seq 100 304); do : > f$i; done"}`,
			omitted: 5, line: "Files changed: f100 (new), f101 (new), f102 (new), f103 (new), f104 (new), f105 (new), f106 (new), f107 (new), f108 (new), f109 (new) and 195 more"},
		{name: "OverTheLimit", tool: &tool.Exec{MaxTrackedFiles: 2}, input: `{"command":"echo hi > new.txt"}`,
			untracked: "more than 2 files"},
		{name: "Off", tool: &tool.Exec{MaxTrackedFiles: -1}, input: `{"command":"echo hi > new.txt"}`,
			untracked: "turned off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.linuxOnly && runtime.GOOS != "linux" {
				t.Skip("change time and inode are read on Linux only")
			}
			b := setup(t)
			b.file(t, "a.txt", "one\n")
			b.file(t, ".gitignore", "build/\n*.log\n")
			b.touch(t, "a.txt", 1)
			ex := tt.tool
			if ex == nil {
				ex = &tool.Exec{}
			}
			res := b.run(t, ex, tt.input)
			m := res.Meta
			if tt.untracked != "" {
				if m.ChangesTracked || m.Changed != nil || !strings.Contains(m.Untracked, tt.untracked) {
					t.Errorf("Run(%s).Meta = tracked %v changed %v untracked %q, want untracked %q", tt.input, m.ChangesTracked, m.Changed, m.Untracked, tt.untracked)
				}
			} else if !m.ChangesTracked || m.Untracked != "" {
				t.Errorf("Run(%s).Meta = tracked %v untracked %q, want tracked", tt.input, m.ChangesTracked, m.Untracked)
			}
			if tt.omitted > 0 {
				if len(m.Changed) != 200 || m.ChangedOmitted != tt.omitted || m.Changed[0].Path != "f100" || m.Changed[199].Path != "f299" {
					t.Errorf("Run(%s).Meta = %d changed (%v … %v), %d omitted, want 200 from f100 to f299, %d omitted", tt.input,
						len(m.Changed), m.Changed[0], m.Changed[len(m.Changed)-1], m.ChangedOmitted, tt.omitted)
				}
			} else if diff := cmp.Diff(tt.changed, m.Changed, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Run(%s).Meta.Changed (-want +got):\n%s", tt.input, diff)
			}
			if tt.line == "" && strings.Contains(res.Content, "Files changed") || !strings.Contains(res.Content, tt.line) {
				t.Errorf("Run(%s).Content =\n%s\nwant the line %q", tt.input, res.Content, tt.line)
			}
		})
	}
}

// TestExecTracksChangesJSON: the tracked changes survive the journal's JSON, and a command
// that changed nothing is tracked with no files.
func TestExecTracksChangesJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.run(t, &tool.Exec{}, `{"command":"echo hi > new.txt"}`)
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back tool.Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s\n%s", diff, data)
	}
	if !strings.Contains(string(data), `"changes_tracked":true,"changed":[{"path":"new.txt","op":"created","bytes":3}]`) {
		t.Errorf("json.Marshal(result) = %s, want the changed files", data)
	}
	if nothing := b.run(t, &tool.Exec{}, `{"command":"true"}`); !nothing.Meta.ChangesTracked || nothing.Meta.Changed != nil {
		t.Errorf("Run(true).Meta = %+v, want tracked with nothing changed", nothing.Meta)
	}
}
