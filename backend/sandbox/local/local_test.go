package local_test

import (
	"testing"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/sandbox/local"
	"github.com/corral-dev/corral/backend/sandbox/sandboxtest"
)

func TestConformance(t *testing.T) {
	sandboxtest.Run(t, func(t *testing.T, workspace string) sandbox.Sandbox {
		sb, err := local.New(workspace, local.Options{})
		if err != nil {
			t.Fatalf("local.New(%q) error = %v", workspace, err)
		}
		return sb
	})
}
