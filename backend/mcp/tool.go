package mcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/corral-dev/corral/backend/sandbox"
	"github.com/corral-dev/corral/backend/tool"
)

// MaxText bounds the text of one result the model sees.
const MaxText = 256 << 10

// ServerStatus is how discovering one server went.
type ServerStatus struct {
	Name      string `json:"name"`
	Transport string `json:"transport"`
	Tools     int    `json:"tools"`
	// Error says why the server offers no tools (it could not start, is
	// not configured, ...).
	Error string `json:"error,omitempty"`
}

// Discovery is the tools a run's servers offer, as the run records them.
type Discovery struct {
	Servers []ServerStatus `json:"servers"`
	Tools   []ToolSpec     `json:"tools"`
}

// Discover starts (or reaches) each named server in pl and lists its
// tools, named so that none collides with reserved (the built-in tools) or
// another. A server that fails is reported in its status and offers no
// tools; the error is ctx's only.
func (h *Host) Discover(ctx context.Context, pl Place, agent string, names []string, reserved []string) (Discovery, error) {
	taken := map[string]bool{}
	for _, n := range reserved {
		taken[n] = true
	}
	d := Discovery{Servers: []ServerStatus{}, Tools: []ToolSpec{}}
	for _, name := range names {
		st := ServerStatus{Name: name}
		srv, err := h.Server(agent, name)
		if err == nil && srv.Disabled {
			err = fmt.Errorf("server %q is disabled", name)
		}
		var tools []*sdk.Tool
		if err == nil {
			st.Transport = srv.Transport
			tools, err = h.Tools(ctx, pl, srv)
		}
		if ctx.Err() != nil {
			return d, ctx.Err()
		}
		if err != nil {
			st.Error = err.Error()
			d.Servers = append(d.Servers, st)
			continue
		}
		for _, t := range tools {
			s := Spec(name, t, taken)
			if _, own, _ := h.own(agent, name); own {
				s.Agent = agent
			}
			d.Tools = append(d.Tools, s)
		}
		st.Tools = len(tools)
		d.Servers = append(d.Servers, st)
	}
	return d, nil
}

// Spec describes a server's tool as a run records it, naming it so it
// does not collide with the names in taken (which it joins).
func Spec(server string, t *sdk.Tool, taken map[string]bool) ToolSpec {
	schema, err := json.Marshal(t.InputSchema)
	if err != nil || t.InputSchema == nil || string(schema) == "null" {
		schema = json.RawMessage(`{"type":"object"}`)
	}
	s := ToolSpec{Name: ToolName(server, t.Name, taken), Server: server, Tool: t.Name, Title: t.Title, Description: t.Description, InputSchema: schema, Destructive: true, OpenWorld: true}
	if a := t.Annotations; a != nil {
		s.ReadOnly, s.Idempotent = a.ReadOnlyHint, a.IdempotentHint
		if s.Title == "" {
			s.Title = a.Title
		}
		if a.DestructiveHint != nil {
			s.Destructive, s.DestructiveDeclared = *a.DestructiveHint, *a.DestructiveHint
		}
		if a.OpenWorldHint != nil {
			s.OpenWorld = *a.OpenWorldHint
		}
	}
	if s.ReadOnly {
		s.Destructive, s.DestructiveDeclared = false, false
	}
	return s
}

// Tool is one MCP server's tool as a tool.Tool: the loop offers, gates,
// journals and runs it like a built-in one.
type Tool struct {
	Spec ToolSpec
	Host *Host
	// Place, if set, says where its server runs given the sandbox Run is
	// given (the run's session and sandbox); nil means in that sandbox.
	Place func(sb sandbox.Sandbox) Place
}

var _ tool.Tool = (*Tool)(nil)

// NewTool returns the tool spec describes, called through h in the
// sandbox Run is given.
func NewTool(h *Host, spec ToolSpec) *Tool { return &Tool{Spec: spec, Host: h} }

// Name is the offered name, mcp__SERVER__TOOL.
func (t *Tool) Name() string { return t.Spec.Name }

// Description is the server's description of the tool, naming the server.
func (t *Tool) Description() string {
	d := strings.TrimSpace(t.Spec.Description)
	if d == "" {
		d = t.Spec.Title
	}
	return fmt.Sprintf("[MCP server %s, tool %s] %s", t.Spec.Server, t.Spec.Tool, d)
}

// Schema is the tool's input schema, as the server declared it.
func (t *Tool) Schema() json.RawMessage { return t.Spec.InputSchema }

// Idempotent is the tool's readOnlyHint: only a read-only call cut off by
// a crash is simply run again; any other waits for a person.
func (t *Tool) Idempotent() bool { return t.Spec.ReadOnly }

// Run calls the tool on its server, started in its Place (else in sb) if
// not yet running.
// Whatever the server does wrong (gone from the configuration, cannot
// start, crashes, hangs, floods, garbles) is a result the model sees.
func (t *Tool) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (tool.Result, error) {
	if t.Host == nil {
		return t.failure("MCP servers are not available in this Corral."), nil
	}
	srv, err := t.Host.Server(t.Spec.Agent, t.Spec.Server)
	if errors.Is(err, ErrUnknownServer) {
		return t.failure(fmt.Sprintf("The MCP server %q is no longer configured, so %s cannot be called. Continue without it.", t.Spec.Server, t.Spec.Tool)), nil
	}
	if err != nil {
		return t.failure(fmt.Sprintf("The MCP configuration cannot be read: %v", err)), nil
	}
	if srv.Disabled {
		return t.failure(fmt.Sprintf("The MCP server %q is disabled, so %s cannot be called. Continue without it.", t.Spec.Server, t.Spec.Tool)), nil
	}
	if input != nil && !json.Valid(input) {
		return t.failure("The input is not valid JSON; nothing was called."), nil
	}
	pl := In(sb)
	if t.Place != nil {
		pl = t.Place(sb)
	}
	res, err := t.Host.Call(ctx, pl, srv, t.Spec.Tool, input)
	if err != nil {
		if ctx.Err() != nil {
			return tool.Result{}, ctx.Err()
		}
		return t.failure(fmt.Sprintf("The MCP server %q failed; the tool %s did not answer: %v", t.Spec.Server, t.Spec.Tool, err)), nil
	}
	return Convert(t.Spec.Server, t.Spec.Tool, res), nil
}

func (t *Tool) failure(text string) tool.Result {
	return tool.Result{Content: text, IsError: true, Meta: tool.Meta{MCP: &tool.MCPMeta{Server: t.Spec.Server, Tool: t.Spec.Tool}}}
}

// Convert turns an MCP result into a tool result: its text contents (and a
// line per image, audio clip or resource) for the model, at most MaxText
// bytes; images, resources and structured content in Meta.MCP.
func Convert(server, toolName string, res *sdk.CallToolResult) tool.Result {
	meta := &tool.MCPMeta{Server: server, Tool: toolName}
	var parts []string
	for _, c := range res.Content {
		switch c := c.(type) {
		case *sdk.TextContent:
			parts = append(parts, c.Text)
		case *sdk.ImageContent:
			meta.Images = append(meta.Images, media(c.MIMEType, c.Data))
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *sdk.AudioContent:
			meta.Images = append(meta.Images, media(c.MIMEType, c.Data))
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", c.MIMEType, len(c.Data)))
		case *sdk.ResourceLink:
			meta.Resources = append(meta.Resources, tool.MCPResource{URI: c.URI, Name: c.Name, MIMEType: c.MIMEType, Link: true})
			parts = append(parts, fmt.Sprintf("[resource link %s %s]", c.URI, c.Name))
		case *sdk.EmbeddedResource:
			if r := c.Resource; r != nil {
				meta.Resources = append(meta.Resources, tool.MCPResource{URI: r.URI, MIMEType: r.MIMEType, Bytes: len(r.Text) + len(r.Blob)})
				if r.Text != "" {
					parts = append(parts, fmt.Sprintf("[resource %s]\n%s", r.URI, r.Text))
				} else {
					parts = append(parts, fmt.Sprintf("[resource %s, %s, %d bytes]", r.URI, r.MIMEType, len(r.Blob)))
				}
			}
		}
	}
	if res.StructuredContent != nil {
		if blob, err := json.Marshal(res.StructuredContent); err == nil {
			meta.Structured = blob
			if len(parts) == 0 {
				parts = append(parts, string(blob))
			}
		}
	}
	out := tool.Result{Content: strings.Join(parts, "\n"), IsError: res.IsError, Meta: tool.Meta{MCP: meta}}
	if len(out.Content) > MaxText {
		dropped := len(out.Content) - MaxText
		out.Content = out.Content[:MaxText] + fmt.Sprintf("\n[... %d more bytes of the result were left out]", dropped)
		out.Meta.Truncated = true
	}
	if out.Content == "" {
		out.Content = "(the tool returned no content)"
	}
	return out
}

func media(mime string, data []byte) tool.MCPMedia {
	m := tool.MCPMedia{MIMEType: mime, Bytes: len(data)}
	if len(data) <= tool.MaxMCPMedia {
		m.Data = base64.StdEncoding.EncodeToString(data)
	}
	return m
}
