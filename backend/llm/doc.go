// Package llm is the provider-neutral seam between the agent and language
// models: messages and content blocks, tool specifications, streaming events,
// the one-method Model interface, structured errors and the retry policy the
// adapters share.
//
// The adapters live in subpackages named after what they adapt (anthropic,
// openai) next to the bundled scripted model (demo), the fakes used by tests
// (llmtest) and the environment-driven selection (provider).
//
// Package llm must not know any wire format, HTTP endpoint, credential or
// environment variable, and nothing here journals or logs: a Model streams
// one turn and returns it; recording that turn is the caller's job.
package llm
