// Package mcp gives agents the tools of Model Context Protocol servers: the
// servers' configuration (DATA_DIR/mcp.json, in the mcpServers shape other
// agents use, so a configuration can be pasted in unchanged), connections to
// them (stdio programs started through the run's sandbox, Streamable HTTP and
// SSE endpoints) kept for the life of a sandbox, their tools named so they
// cannot collide (mcp__server__tool), and calls turned into tool results.
//
// It speaks MCP through the official Go SDK (github.com/modelcontextprotocol/go-sdk).
// It must not know about the journal, approvals or the agent loop: the loop
// records what this package reports and gates what it calls.
package mcp
