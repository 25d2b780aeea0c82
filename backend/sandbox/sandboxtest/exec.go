package sandboxtest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
)

// quick bounds how long a command that must not wait for its background
// children may take; it is far below the children's 30 s.
const quick = 15 * time.Second

func testExec(t *testing.T, newSandbox Factory) {
	t.Run("ExitCode", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		tests := []struct {
			name    string
			command string
			want    int
		}{
			{"Success", "true", 0},
			{"Failure", "false", 1},
			{"Explicit", "exit 42", 42},
			{"CommandNotFound", "corral-no-such-command-xyz", 127},
			{"KilledBySignal", "kill -9 $$", 137},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := b.exec(t, tt.command)
				if res.ExitCode != tt.want {
					t.Errorf("Exec(%q).ExitCode = %d, want %d", tt.command, res.ExitCode, tt.want)
				}
				if res.TimedOut {
					t.Errorf("Exec(%q).TimedOut = true, want false", tt.command)
				}
			})
		}
	})

	t.Run("Streams", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		res := b.exec(t, `printf 'to stdout\n'; printf 'to stderr\n' >&2; printf 'more stdout'`)
		if res.Stdout != "to stdout\nmore stdout" || res.Stderr != "to stderr\n" {
			t.Errorf("Exec streams = (%q, %q), want (%q, %q)", res.Stdout, res.Stderr, "to stdout\nmore stdout", "to stderr\n")
		}
		if res.StdoutDropped != 0 || res.StderrDropped != 0 {
			t.Errorf("Exec dropped = (%d, %d), want (0, 0)", res.StdoutDropped, res.StderrDropped)
		}
		if res.Duration <= 0 {
			t.Errorf("Exec Duration = %v, want > 0", res.Duration)
		}
	})

	t.Run("OutputStreamsWhileRunning", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		var mu sync.Mutex
		streamed := map[sandbox.Stream]string{}
		ready := make(chan struct{})
		var once sync.Once
		req := sandbox.ExecRequest{
			// It prints, then waits for a file the test makes only after seeing the output.
			Command: `echo ready; echo oops >&2; i=0; while [ ! -e go.flag ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; echo done`,
			Output: func(stream sandbox.Stream, chunk []byte) {
				mu.Lock()
				defer mu.Unlock()
				streamed[stream] += string(chunk)
				if strings.Contains(streamed[sandbox.Stdout], "ready\n") && strings.Contains(streamed[sandbox.Stderr], "oops\n") {
					once.Do(func() { close(ready) })
				}
			},
		}
		type result struct {
			res sandbox.ExecResult
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := b.sb.Exec(context.Background(), req)
			done <- result{res, err}
		}()
		select {
		case <-ready:
		case r := <-done:
			t.Fatalf("Exec ended (%+v, %v) before its output was streamed: %q", r.res, r.err, streamed)
		case <-time.After(quick):
			t.Fatalf("no streamed output within %v", quick)
		}
		if err := b.files.WriteFile("go.flag", nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil || r.res.Stdout != "ready\ndone\n" || r.res.Stderr != "oops\n" {
			t.Fatalf("Exec = (%+v, %v), want stdout ready, done and stderr oops", r.res, r.err)
		}
		mu.Lock()
		defer mu.Unlock()
		if streamed[sandbox.Stdout] != r.res.Stdout || streamed[sandbox.Stderr] != r.res.Stderr {
			t.Errorf("streamed output = %q, want what the result captured (%q, %q)", streamed, r.res.Stdout, r.res.Stderr)
		}
	})

	t.Run("EmptyStdin", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		res := b.execReq(t, sandbox.ExecRequest{Command: "cat; echo done", Timeout: quick})
		if res.TimedOut || res.Stdout != "done\n" {
			t.Errorf("Exec(cat) = %+v, want stdin at EOF and output %q", res, "done\n")
		}
	})

	t.Run("WorkingDirectory", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		if err := b.files.WriteFile("sub/deeper/file.txt", []byte("deep\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := b.files.WriteFile("afile", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.mustExec(t, "ln -s sub link-in && ln -s / link-root && ln -s .. link-up")
		workDir := b.sb.Info().WorkDir
		tests := []struct {
			name    string
			dir     string
			wantPwd string
			wantErr error // nil: runs; otherwise errors.Is target, or errAny
		}{
			{"Default", "", workDir, nil},
			{"Dot", ".", workDir, nil},
			{"Sub", "sub", path.Join(workDir, "sub"), nil},
			{"Deeper", "sub/deeper", path.Join(workDir, "sub/deeper"), nil},
			{"LinkInside", "link-in", path.Join(workDir, "link-in"), nil},
			{"Missing", "missing", "", fs.ErrNotExist},
			{"NotADirectory", "afile", "", errAny},
			{"Parent", "..", "", sandbox.ErrOutsideWorkspace},
			{"ParentOfSub", "sub/../..", "", sandbox.ErrOutsideWorkspace},
			{"Absolute", "/etc", "", sandbox.ErrOutsideWorkspace},
			{"LinkToRoot", "link-root", "", sandbox.ErrOutsideWorkspace},
			{"LinkToParent", "link-up", "", sandbox.ErrOutsideWorkspace},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := b.sb.Exec(context.Background(), sandbox.ExecRequest{Command: "pwd", Dir: tt.dir, Timeout: time.Minute})
				if tt.wantErr != nil {
					if err == nil {
						t.Fatalf("Exec(pwd, Dir %q) = %+v, want error %v", tt.dir, res, tt.wantErr)
					}
					if !errors.Is(tt.wantErr, errAny) && !errors.Is(err, tt.wantErr) {
						t.Errorf("Exec(pwd, Dir %q) error = %v, want %v", tt.dir, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("Exec(pwd, Dir %q) error = %v", tt.dir, err)
				}
				if got := strings.TrimSuffix(res.Stdout, "\n"); got != tt.wantPwd {
					t.Errorf("Exec(pwd, Dir %q) = %q, want %q", tt.dir, got, tt.wantPwd)
				}
			})
		}
	})

	t.Run("SharesFilesWithFiles", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		if err := b.files.WriteFile("from-files.txt", []byte("written by Files\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := b.mustExec(t, "cat from-files.txt"); got != "written by Files\n" {
			t.Errorf("cat from-files.txt = %q, want %q", got, "written by Files\n")
		}
		b.mustExec(t, "mkdir -p made/by && printf 'written by exec\n' > made/by/exec.txt")
		data, err := b.files.ReadFile("made/by/exec.txt")
		if err != nil || string(data) != "written by exec\n" {
			t.Errorf("ReadFile(made/by/exec.txt) = %q, %v, want %q", data, err, "written by exec\n")
		}
	})

	t.Run("Environment", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		tests := []struct {
			name    string
			env     []string
			command string
			want    string
		}{
			{"Passed", []string{"CORRAL_A=1", "CORRAL_B=two words"}, `printf '%s|%s' "$CORRAL_A" "$CORRAL_B"`, "1|two words"},
			{"Overrides", []string{"TERM=xterm"}, `printf %s "$TERM"`, "xterm"},
			{"TermIsDumb", nil, `printf %s "$TERM"`, "dumb"},
			{"HomeSet", nil, `[ -n "$HOME" ] && [ -d "$HOME" ] && printf ok`, "ok"},
			{"PathSet", nil, `[ -n "$PATH" ] && printf ok`, "ok"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := b.execReq(t, sandbox.ExecRequest{Command: tt.command, Env: tt.env, Timeout: time.Minute})
				if res.Stdout != tt.want {
					t.Errorf("Exec(%q, Env %q) = %q (stderr %q), want %q", tt.command, tt.env, res.Stdout, res.Stderr, tt.want)
				}
			})
		}
	})

	// Not parallel: it sets host environment variables before making the
	// sandbox, to see that none of them reaches a command.
	t.Run("EnvironmentScrubbed", func(t *testing.T) {
		secrets := []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "CORRAL_TEST_SECRET"}
		for i, name := range secrets {
			t.Setenv(name, fmt.Sprintf("sandboxtest-secret-%d-value", i))
		}
		b := setup(t, newSandbox)
		out := b.mustExec(t, "env")
		for i, name := range secrets {
			if value := fmt.Sprintf("sandboxtest-secret-%d-value", i); strings.Contains(out, value) {
				t.Errorf("env shows the host's %s to the command:\n%s", name, out)
			}
		}
		res := b.execReq(t, sandbox.ExecRequest{Command: `printf %s "$GITHUB_TOKEN"`, Env: []string{"GITHUB_TOKEN=given"}, Timeout: time.Minute})
		if res.Stdout != "given" {
			t.Errorf("GITHUB_TOKEN passed in the request = %q, want %q", res.Stdout, "given")
		}
	})

	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		marker := "sandboxtest-bg-" + randomToken(t)
		res, err := b.sb.Exec(context.Background(), sandbox.ExecRequest{
			Command: "echo before; sh -c 'sleep 30; : " + marker + "' & sleep 30; echo after",
			Timeout: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatalf("Exec error = %v, want a timed-out result", err)
		}
		if !res.TimedOut || res.ExitCode == 0 {
			t.Errorf("Exec = TimedOut %v, ExitCode %d; want TimedOut and a non-zero exit", res.TimedOut, res.ExitCode)
		}
		if res.Stdout != "before\n" {
			t.Errorf("Exec Stdout = %q, want the output before the kill %q", res.Stdout, "before\n")
		}
		if res.Duration > quick {
			t.Errorf("Exec took %v: the background child holding stdout delayed it", res.Duration)
		}
		if pids := b.waitGone(t, marker); len(pids) > 0 {
			t.Errorf("background child survived the timeout: processes %v", pids)
		}
	})

	t.Run("BackgroundChildKilledAtExit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		marker := "sandboxtest-bg-" + randomToken(t)
		res := b.execReq(t, sandbox.ExecRequest{Command: "sh -c 'sleep 30; : " + marker + "' & echo hi", Timeout: time.Minute})
		if res.ExitCode != 0 || res.Stdout != "hi\n" || res.TimedOut {
			t.Errorf("Exec = %+v, want exit 0 and %q", res, "hi\n")
		}
		if res.Duration > quick {
			t.Errorf("Exec took %v: it waited for a background child holding stdout", res.Duration)
		}
		if pids := b.waitGone(t, marker); len(pids) > 0 {
			t.Errorf("background child outlived its command: processes %v", pids)
		}
	})

	t.Run("ContextEnds", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		res, err := b.sb.Exec(ctx, sandbox.ExecRequest{Command: "echo started; sleep 30"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Exec after ctx deadline error = %v, want context.DeadlineExceeded", err)
		}
		if res.TimedOut {
			t.Errorf("Exec after ctx deadline TimedOut = true, want false (the request had no timeout)")
		}
		if d := time.Since(start); d > quick {
			t.Errorf("Exec returned %v after ctx ended", d)
		}
	})

	t.Run("ContextCanceledBeforeStart", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := b.sb.Exec(ctx, sandbox.ExecRequest{Command: "echo ran > ran.txt"})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Exec with canceled ctx error = %v, want context.Canceled", err)
		}
		if _, err := b.files.Stat("ran.txt"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(ran.txt) error = %v: the command ran on a canceled ctx", err)
		}
	})

	t.Run("OutputLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		var out, errOut strings.Builder
		for i := range 2000 {
			fmt.Fprintf(&out, "line %d\n", i)
			fmt.Fprintf(&errOut, "err %d\n", i)
		}
		const limit = 1000
		res := b.execReq(t, sandbox.ExecRequest{
			Command:   `i=0; while [ $i -lt 2000 ]; do echo "line $i"; echo "err $i" >&2; i=$((i+1)); done`,
			MaxOutput: limit,
			Timeout:   time.Minute,
		})
		for _, s := range []struct {
			name    string
			full    string
			got     string
			dropped int64
		}{
			{"stdout", out.String(), res.Stdout, res.StdoutDropped},
			{"stderr", errOut.String(), res.Stderr, res.StderrDropped},
		} {
			wantDropped := int64(len(s.full) - limit)
			want := s.full[:limit/2] + sandbox.OmittedMarker(wantDropped) + s.full[len(s.full)-limit/2:]
			if s.got != want {
				t.Errorf("%s = %q, want head, marker and tail %q", s.name, s.got, want)
			}
			if s.dropped != wantDropped {
				t.Errorf("%s dropped = %d, want %d", s.name, s.dropped, wantDropped)
			}
		}
	})

	t.Run("OutputUnderDefaultLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, newSandbox)
		res := b.exec(t, "head -c 200000 /dev/zero | tr '\\0' a")
		if len(res.Stdout) != 200000 || res.StdoutDropped != 0 {
			t.Errorf("Exec output = %d bytes, %d dropped; want 200000 and 0", len(res.Stdout), res.StdoutDropped)
		}
	})
}

// errAny marks a case that must fail, with any error.
var errAny = errors.New("any error")
