package mcp_test

import (
	"os"
	"testing"

	"github.com/corral-dev/corral/backend/mcp/mcptest"
)

func TestMain(m *testing.M) {
	mcptest.Main() // serves over stdio when re-executed as a server
	// A secret in Corral's environment that no server may see (the
	// sandbox scrubs it).
	os.Setenv("HOME_SECRET_FOR_TEST", "leaked")
	os.Exit(m.Run())
}
