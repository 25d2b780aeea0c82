package local_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
)

// Environment variables that make the test binary a helper process: a
// stand-in for Corral that opens a local sandbox on envHelperWorkspace and
// runs envHelperCommand in it, printing the command's stdout. Tests start it
// with a secret in its environment, or kill it while the command runs.
const (
	envHelperWorkspace = "CORRAL_LOCALTEST_WORKSPACE"
	envHelperCommand   = "CORRAL_LOCALTEST_COMMAND"
)

func TestMain(m *testing.M) {
	if ws := os.Getenv(envHelperWorkspace); ws != "" {
		os.Exit(helper(ws, os.Getenv(envHelperCommand)))
	}
	os.Exit(m.Run())
}

func helper(workspace, command string) int {
	sb, err := local.New(workspace, local.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer sb.Close()
	res, err := sb.Exec(context.Background(), sandbox.ExecRequest{Command: command, Timeout: 5 * time.Minute})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Print(res.Stdout)
	fmt.Fprint(os.Stderr, res.Stderr)
	return res.ExitCode
}
