package tool

import "encoding/json"

// MCPMeta is what an MCP server's tool returned besides the text the model
// sees: which server and tool, and its images, resources and structured
// content for the UI and exports.
type MCPMeta struct {
	Server string `json:"server"`
	Tool   string `json:"tool"`
	// Images are the image (and audio) contents, base64, at most
	// MaxMCPMedia bytes each (larger ones keep their size only).
	Images []MCPMedia `json:"images,omitempty"`
	// Resources are embedded resources and resource links.
	Resources []MCPResource `json:"resources,omitempty"`
	// Structured is the result's structured content, as sent.
	Structured json.RawMessage `json:"structured,omitempty"`
}

// MaxMCPMedia bounds one image or audio clip kept in a result's meta.
const MaxMCPMedia = 1 << 20

// MCPMedia is an image or audio content of an MCP result.
type MCPMedia struct {
	MIMEType string `json:"mime_type"`
	// Data is base64; empty when the content was over MaxMCPMedia.
	Data  string `json:"data,omitempty"`
	Bytes int    `json:"bytes"`
}

// MCPResource is an embedded resource or a resource link of an MCP result.
type MCPResource struct {
	URI      string `json:"uri"`
	Name     string `json:"name,omitempty"`
	MIMEType string `json:"mime_type,omitempty"`
	// Link reports a link to the resource rather than its contents.
	Link bool `json:"link,omitempty"`
	// Bytes is the size of the contents (text or blob).
	Bytes int `json:"bytes,omitempty"`
}
