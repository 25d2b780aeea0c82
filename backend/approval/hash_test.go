package approval_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/corral-dev/corral/backend/approval"
)

func TestActionHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		toolA, inA string
		toolB, inB string
		same       bool
	}{
		{"KeyOrder", "exec", `{"command":"ls","cwd":"src"}`, "exec", `{"cwd":"src","command":"ls"}`, true},
		{"Whitespace", "exec", `{"command":"ls"}`, "exec", "  {\n  \"command\" :  \"ls\"\n}\n", true},
		{"NestedKeyOrder", "x", `{"a":{"y":1,"x":[{"b":2,"a":1}]}}`, "x", `{"a":{"x":[{"a":1,"b":2}],"y":1}}`, true},
		{"EscapedString", "exec", `{"command":"\u006cs"}`, "exec", `{"command":"ls"}`, true},
		{"HTMLNotEscaped", "exec", `{"command":"a && b > c"}`, "exec", `{"command":"a \u0026\u0026 b \u003e c"}`, true},
		{"RepeatedKeyLastWins", "exec", `{"command":"ls","command":"rm -rf /"}`, "exec", `{"command":"rm -rf /"}`, true},
		{"DifferentValue", "exec", `{"command":"ls"}`, "exec", `{"command":"ls -a"}`, false},
		{"DifferentTool", "exec", `{"path":"x"}`, "read", `{"path":"x"}`, false},
		{"ArrayOrderMatters", "x", `{"a":[1,2]}`, "x", `{"a":[2,1]}`, false},
		{"NumbersAsWritten", "exec", `{"command":"ls","timeout_seconds":10}`, "exec", `{"command":"ls","timeout_seconds":10.0}`, false},
		{"NotJSONStable", "exec", `{"command":`, "exec", ` {"command":`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := approval.ActionHash(tt.toolA, []byte(tt.inA)), approval.ActionHash(tt.toolB, []byte(tt.inB))
			if (a == b) != tt.same {
				t.Errorf("ActionHash(%s %s) = %s, ActionHash(%s %s) = %s; want same %v", tt.toolA, tt.inA, a, tt.toolB, tt.inB, b, tt.same)
			}
		})
	}
}

// TestActionHashPinned pins the hash's definition: sha256 of the tool
// name, a NUL byte and the canonical JSON. Recorded decisions depend on it.
func TestActionHashPinned(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("exec\x00{\"command\":\"npm test\",\"cwd\":\"web\"}"))
	want := hex.EncodeToString(sum[:])
	if got := approval.ActionHash("exec", []byte(`{ "cwd": "web", "command": "npm test" }`)); got != want {
		t.Errorf("ActionHash() = %s, want %s", got, want)
	}
}
