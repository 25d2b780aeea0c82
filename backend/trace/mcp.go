package trace

import "github.com/corral-dev/corral/backend/tool"

// mcpAttributes names the MCP server and tool of a call: the OpenTelemetry
// MCP conventions' method, the tool type "extension" (a tool the agent
// reaches through an extension, not one of its own functions), and
// Corral's corral.mcp.* for the server and the tool's name on it.
func mcpAttributes(a map[string]any, m *tool.MCPMeta) {
	if m == nil {
		return
	}
	a["mcp.method.name"] = "tools/call"
	a[attrToolType] = "extension"
	a["corral.mcp.server"] = m.Server
	a["corral.mcp.tool"] = m.Tool
	if n := len(m.Images); n > 0 {
		a["corral.mcp.images"] = int64(n)
	}
	if n := len(m.Resources); n > 0 {
		a["corral.mcp.resources"] = int64(n)
	}
}
