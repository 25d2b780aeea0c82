package cli

import (
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/llm/llmtest"
)

// diskFullTurns fill the disk with a command, then finish.
var diskFullTurns = []llm.Response{
	{Content: []llm.Block{llm.NewToolUse("toolu_fill", "exec", `{"command":"dd if=/dev/zero of=fill bs=65536 2>/dev/null; echo filled"}`)}},
	{Content: []llm.Block{llm.TextBlock("The disk was filled.")}},
}

func diskFullScript(n int, req llmtest.Request) llmtest.Reply {
	r, err := llmtest.DecodeAnthropicRequest(req.Body)
	if err != nil {
		return llmtest.AnthropicError(400, "invalid_request_error", err.Error())
	}
	k := min(turnOf(r), len(diskFullTurns)-1)
	resp := diskFullTurns[k]
	resp.ID, resp.Model = fmt.Sprintf("msg_full_%d", k), "claude-test"
	resp.StopReason = llm.StopEndTurn
	if len(resp.ToolUses()) > 0 {
		resp.StopReason = llm.StopToolUse
	}
	resp.Usage = llm.Usage{InputTokens: 10, OutputTokens: 5}
	return llmtest.Reply{Body: llmtest.AnthropicBody(resp, 0)}
}

// TestDiskFullLeavesRunResumable puts the data directory and the workspace on a small tmpfs
// (in a user and mount namespace the test creates) and lets a command fill it, so recording
// the command's result hits a real full disk (ENOSPC, SQLITE_FULL). The run is never left
// failed: it stops resumable with the command step still started; once space is freed the
// cut-off command goes to a person (it is a side effect), and after that the run completes.
func TestDiskFullLeavesRunResumable(t *testing.T) {
	t.Parallel()
	if err := exec.Command("unshare", "-rm", "true").Run(); err != nil {
		t.Skipf("no user and mount namespaces here (unshare -rm: %v)", err)
	}
	srv := httptest.NewServer(llmtest.NewAnthropicHandler(diskFullScript))
	t.Cleanup(srv.Close)
	host, small := t.TempDir(), t.TempDir()
	// Everything on the small disk happens in one shell, in the namespace; what the test
	// reads is written to host.
	script := `
mount -t tmpfs -o size=4m tmpfs "$T" || exit 99
mkdir "$T/ws" "$T/data"
step() { name=$1; shift; "$CORRAL" "$@" > "$H/$name.out" 2> "$H/$name.err"; echo $? > "$H/$name.code"; }
step run run --json --approve all --provider anthropic --base-url "$URL" --workspace "$T/ws" --data-dir "$T/data" "Fill the disk"
RUN=$(grep -o '"run_id":"[^"]*"' "$H/run.out" | head -n 1 | cut -d'"' -f4)
echo "$RUN" > "$H/run.id"
step full show "$RUN" --json --data-dir "$T/data"
rm -f "$T/ws/fill"
step resume1 resume "$RUN" --approve all --data-dir "$T/data"
step resolve resolve "$RUN" --action skip --data-dir "$T/data"
step resume2 resume "$RUN" --approve all --data-dir "$T/data"
step done show "$RUN" --json --data-dir "$T/data"
`
	cmd := exec.Command("unshare", "-rm", "sh", "-c", script)
	cmd.Env = append(os.Environ(), envAsCLI+"=1", "ANTHROPIC_API_KEY=test-key", "CORRAL_PROVIDER=", "CORRAL_MODEL=",
		"CORRAL="+os.Args[0], "T="+small, "H="+host, "URL="+srv.URL)
	cmd.Env = append(cmd.Env, "CORRAL_HOME="+filepath.Join(host, "home"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("namespace script: %v\n%s", err, out)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(host, name))
		return strings.TrimSpace(string(b))
	}
	code := func(name string) int {
		n, err := strconv.Atoi(read(name + ".code"))
		if err != nil {
			t.Fatalf("%s: no exit code (%v); stderr:\n%s", name, err, read(name+".err"))
		}
		return n
	}
	if read("run.id") == "" {
		t.Fatalf("corral run recorded no run; stderr:\n%s", read("run.err"))
	}
	if c := code("run"); c != ExitPaused {
		t.Errorf("corral run on a full disk: exit %d, want %d (paused)\n%s", c, ExitPaused, read("run.err"))
	}
	if !strings.Contains(read("run.err")+read("run.out"), "disk") {
		t.Errorf("corral run stderr = %q, want it to name the full disk", read("run.err"))
	}
	full := read("full.out")
	if strings.Contains(full, `"status": "failed"`) || !strings.Contains(full, `"status": "started"`) {
		t.Errorf("the run after the full disk = %s; want it not failed, with the command step still started", full)
	}
	if c := code("resume1"); c != ExitSuspended {
		t.Errorf("corral resume after freeing space: exit %d, want %d (the cut-off command goes to a person)\n%s", c, ExitSuspended, read("resume1.err"))
	}
	if c := code("resolve"); c != ExitOK {
		t.Errorf("corral resolve: exit %d\n%s", c, read("resolve.err"))
	}
	if c := code("resume2"); c != ExitOK {
		t.Errorf("corral resume after the resolution: exit %d, want 0\n%s", c, read("resume2.err"))
	}
	if done := read("done.out"); !strings.Contains(done, `"status": "completed"`) {
		t.Errorf("the run at the end = %s, want completed", done)
	}
}
