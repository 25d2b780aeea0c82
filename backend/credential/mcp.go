package credential

import "regexp"

// mcpName is what an MCP server's secret is called: MCP_ and upper-case
// letters, digits and '_' (written ${MCP_...} in DATA_DIR/mcp.json, where
// the server's env or headers need it).
var mcpName = regexp.MustCompile(`^MCP_[A-Z0-9_]{1,96}$`)

// IsMCPName reports whether name is an MCP server's secret, kept like a
// provider key (keychain, else the file) and read through Getenv.
func IsMCPName(name string) bool { return mcpName.MatchString(name) }

// ValuesOf returns the stored values of the named credentials, for
// redaction (Values covers the providers' keys; MCP secrets are named by
// the configuration that uses them). Unreadable ones are left out.
func (c *Credentials) ValuesOf(names []string) []string {
	var out []string
	for _, n := range names {
		if v, _, err := c.Get(n); err == nil && v != "" {
			out = append(out, v)
		}
	}
	return out
}
