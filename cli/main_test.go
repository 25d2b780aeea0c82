package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

// envAsCLI makes the test binary behave as the corral command, so tests can run it as a
// separate process and kill it (crash tests) without building the desktop binary.
const envAsCLI = "CORRAL_TEST_AS_CLI"

func TestMain(m *testing.M) {
	mcptest.Main() // serves MCP over stdio when a test starts this binary as a server
	if os.Getenv(envAsCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], &Program{Version: "test", Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}
