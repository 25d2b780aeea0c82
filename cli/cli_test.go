package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/corral-dev/corral/backend/health"
)

func testProgram(t *testing.T, stdout, stderr io.Writer) *Program {
	t.Helper()
	env := map[string]string{"CORRAL_HOME": t.TempDir(), "DOCKER_HOST": "unix:///nonexistent.sock"}
	return &Program{
		Version: "9.9.9",
		Assets:  fstest.MapFS{"index.html": {Data: []byte("<title>Corral UI</title>")}},
		Stdout:  stdout,
		Stderr:  stderr,
		Getenv:  func(k string) string { return env[k] },
	}
}

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, testProgram(t, &out, &errb))
	return code, out.String(), errb.String()
}

// TestHelpListsEveryFlag checks `corral help CMD` and `corral CMD -h` against the flags each
// command really registers, so a new flag cannot go undocumented.
func TestHelpListsEveryFlag(t *testing.T) {
	t.Parallel()
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			c.setup(fs, testProgram(t, io.Discard, io.Discard))
			var names []string
			fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
			if len(names) == 0 {
				t.Fatalf("command %s registers no flags; the test would prove nothing", c.name)
			}

			code, helpOut, _ := run(t, "help", c.name)
			args := []string{c.name, "-h"}
			if c.name == windowCommand.name {
				args = []string{"-h"}
			}
			hCode, _, hErr := run(t, args...)
			if code != ExitOK || hCode != ExitOK {
				t.Fatalf("help %s = %d, %s -h = %d, want 0 and 0", c.name, code, c.name, hCode)
			}
			for _, n := range names {
				for label, text := range map[string]string{"help " + c.name: helpOut, strings.Join(args, " "): hErr} {
					if !strings.Contains(text, "-"+n) {
						t.Errorf("corral %s does not list flag -%s:\n%s", label, n, text)
					}
				}
			}
		})
	}
}

func TestHelpOverviewListsCommands(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "help")
	if code != ExitOK {
		t.Fatalf("corral help = %d, want 0", code)
	}
	for _, c := range commands() {
		if c.name != windowCommand.name && !strings.Contains(out, "  "+c.name) {
			t.Errorf("corral help does not list %q:\n%s", c.name, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "unknown command", args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"serve", "--nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "stray argument", args: []string{"serve", "extra"}, wantErr: `unexpected argument "extra"`},
		{name: "help for unknown", args: []string{"help", "frobnicate"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := run(t, tt.args...)
			if code != ExitUsage || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("corral %v = %d, stderr %q; want %d and %q", tt.args, code, stderr, ExitUsage, tt.wantErr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, _ := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "corral 9.9.9 (commit ") {
		t.Errorf("corral version = %d %q, want 0 and a line starting %q", code, out, "corral 9.9.9 (commit ")
	}
	code, out, _ = run(t, "version", "--json")
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != ExitOK || v["version"] != "9.9.9" || v["os"] == "" {
		t.Errorf("corral version --json = %d %q (%v), want JSON with version 9.9.9", code, out, err)
	}
}

func TestServeRefusesRemote(t *testing.T) {
	t.Parallel()
	code, _, stderr := run(t, "serve", "--addr", "0.0.0.0:0")
	if code != ExitError || !strings.Contains(stderr, "--allow-remote") {
		t.Errorf("corral serve --addr 0.0.0.0:0 = %d %q, want %d and a hint about --allow-remote", code, stderr, ExitError)
	}
}

// TestServe runs `corral serve` on a free port, follows the printed URL like a browser and
// calls System.Health, which must report the data directory the command was given.
func TestServe(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	dataDir := t.TempDir()
	p := testProgram(t, pw, io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir}, p)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != ExitOK {
			t.Errorf("corral serve exited %d after cancel, want 0", code)
		}
	})

	var url string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "http://") {
			url = sc.Text()
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if !strings.Contains(url, "?token=") {
		t.Fatalf("corral serve printed no URL with a token (got %q)", url)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Corral UI") {
		t.Fatalf("GET %s = %q, want the embedded UI", url, page)
	}
	base := strings.SplitN(url, "/?", 2)[0]
	resp, err = c.Post(base+"/api/call/System.Health", "application/json", strings.NewReader("[]"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep health.Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.DataDir != dataDir || rep.DataDirSource != "flag" || rep.Mode != "serve" || rep.Version != "9.9.9" {
		t.Errorf("System.Health over HTTP = %+v, want dataDir %s from flag, mode serve, version 9.9.9", rep, dataDir)
	}
}

// TestRulesAdd: `corral rules add` takes the list, the rule and --scope as typed; a bad
// part is a usage error (exit 2) and saves nothing.
func TestRulesAdd(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	p := testProgram(t, &out, &errb)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"allow at global", []string{"rules", "add", "allow", "exec(npm test)"}, ExitOK, "added allow exec(npm test) at global"},
		{"deny at an agent", []string{"rules", "add", "--scope", "agent:coder", "deny", "write(secrets/**)"}, ExitOK, "added deny write(secrets/**) at agent:coder"},
		{"unknown list", []string{"rules", "add", "maybe", "exec(ls)"}, ExitUsage, "bad rule"},
		{"not a rule", []string{"rules", "add", "allow", "npm test"}, ExitUsage, "bad rule"},
		{"unknown scope", []string{"rules", "add", "--scope", "team", "allow", "exec(ls)"}, ExitUsage, "bad scope"},
	}
	for _, tt := range tests { // in order: one data dir
		out.Reset()
		errb.Reset()
		code := Main(context.Background(), tt.args, p)
		if code != tt.wantCode || !strings.Contains(out.String()+errb.String(), tt.wantOut) {
			t.Errorf("%s: corral %v = %d, %q %q; want %d and %q", tt.name, tt.args, code, out.String(), errb.String(), tt.wantCode, tt.wantOut)
		}
	}
	out.Reset()
	if code := Main(context.Background(), []string{"rules", "ls", "--json"}, p); code != ExitOK {
		t.Fatalf("corral rules ls = %d: %s", code, errb.String())
	}
	if n := strings.Count(out.String(), `"id"`); n != 2 {
		t.Errorf("corral rules ls --json lists %d rules, want the 2 added:\n%s", n, out.String())
	}
}
