package llmtest

import (
	"embed"
	"fmt"
)

// transcripts are the providers' documented streams; testdata/README.md
// names the page each comes from.
//
//go:embed testdata/anthropic/*.sse testdata/openai/*.sse
var transcripts embed.FS

// Transcript returns the documented stream name ("anthropic/thinking.sse",
// "openai/tool_calls.sse"). It panics on an unknown name, which is a
// mistake in the test.
func Transcript(name string) string {
	b, err := transcripts.ReadFile("testdata/" + name)
	if err != nil {
		panic(fmt.Sprintf("llmtest: no transcript %q: %v", name, err))
	}
	return string(b)
}

// Replay is a reply that streams the documented transcript name.
func Replay(name string) Reply {
	return Reply{Body: Transcript(name)}
}
