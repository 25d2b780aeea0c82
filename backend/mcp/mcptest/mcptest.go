// Package mcptest is an MCP server for tests, built with the official Go
// SDK: a test binary runs it over stdio when re-executed with ServeEnv set
// (see Main), or serves it over Streamable HTTP on 127.0.0.1 (HTTP). Its
// tools cover what a client must survive: read-only and side-effecting
// tools, images, structured content, and faults (crash, hang, garbage on
// stdout, a flood of output).
package mcptest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// ServeEnv, set to "1" in a re-executed test binary's environment, makes
// Main serve over stdio instead of running the tests.
const ServeEnv = "CORRAL_MCPTEST_SERVE"

// CallsFile is the file, in the server's working directory, that the
// append tool adds one line to per call: the side effect a test counts.
const CallsFile = "mcp-calls.log"

// Main serves over stdio and exits when ServeEnv is set; otherwise it
// returns and the test binary goes on. Call it first in TestMain.
func Main() {
	if os.Getenv(ServeEnv) != "1" {
		return
	}
	err := NewServer().Run(context.Background(), &sdk.StdioTransport{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcptest:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// HTTP serves the test server over Streamable HTTP on 127.0.0.1 until the
// returned server is closed; its URL is the endpoint. With header and
// value, a request without that header is refused (401), as a server
// behind a token would.
func HTTP(require ...string) *httptest.Server {
	srv := NewServer()
	return serve(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, nil), require)
}

// SSE serves the test server over the older HTTP+SSE transport on
// 127.0.0.1, as HTTP does.
func SSE(require ...string) *httptest.Server {
	srv := NewServer()
	return serve(sdk.NewSSEHandler(func(*http.Request) *sdk.Server { return srv }, nil), require)
}

func serve(h http.Handler, require []string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(require) == 2 && r.Header.Get(require[0]) != require[1] {
			http.Error(w, "missing or wrong "+require[0], http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

type echoIn struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}
type addIn struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}
type addOut struct {
	Sum float64 `json:"sum"`
}
type appendIn struct {
	Line string `json:"line"`
}
type writeIn struct {
	Path string `json:"path"`
	Text string `json:"text"`
}
type envIn struct {
	Name string `json:"name"`
}
type sizeIn struct {
	Bytes int `json:"bytes"`
}
type slowIn struct {
	MS int `json:"ms"`
}
type none struct{}

func text(s string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: s}}}
}

var (
	yes = true
	no  = false
)

// pngPixel is a 1x1 PNG.
var pngPixel = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// NewServer returns the test server with its tools:
//   - instance (read-only): an id drawn when the server started, so a test
//     tells a server kept running from one started again;
//   - echo (read-only): returns its text;
//   - add (read-only): a sum, as text and structured content;
//   - append (destructive: false): appends a line to CallsFile in the working directory;
//   - write: writes text to path (relative to the working directory), or
//     says why it could not (a confined server cannot write outside the
//     workspace);
//   - wipe (destructiveHint: true): does nothing, but says it destroys;
//   - env (read-only): the value of an environment variable, or "(unset)";
//   - image (read-only): a 1x1 PNG;
//   - resource (read-only): an embedded text resource, a resource link and
//     an audio clip;
//   - fail (read-only): a result with isError;
//   - slow (read-only): answers after ms milliseconds;
//   - hang (read-only): never answers;
//   - crash: the server exits mid-call;
//   - garbage: writes a line that is not JSON-RPC to stdout;
//   - huge (read-only): a text of the given size.
func NewServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "corral-mcptest", Version: "1"}, nil)
	ro := &sdk.ToolAnnotations{ReadOnlyHint: true}
	instance := rand.Text()
	sdk.AddTool(s, &sdk.Tool{Name: "instance", Description: "The server's instance id.", Annotations: ro},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			return text(instance), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "echo", Description: "Echo the text back.", Annotations: ro},
		func(_ context.Context, _ *sdk.CallToolRequest, in echoIn) (*sdk.CallToolResult, any, error) {
			return text(in.Text), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "add", Description: "Add two numbers.", Annotations: ro},
		func(_ context.Context, _ *sdk.CallToolRequest, in addIn) (*sdk.CallToolResult, addOut, error) {
			return text(fmt.Sprint(in.A + in.B)), addOut{Sum: in.A + in.B}, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "append", Description: "Append a line to " + CallsFile + ".", Annotations: &sdk.ToolAnnotations{DestructiveHint: &no}},
		func(_ context.Context, _ *sdk.CallToolRequest, in appendIn) (*sdk.CallToolResult, any, error) {
			f, err := os.OpenFile(CallsFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return nil, nil, err
			}
			defer f.Close()
			if _, err := fmt.Fprintln(f, in.Line); err != nil {
				return nil, nil, err
			}
			if d := os.Getenv("CORRAL_MCPTEST_APPEND_DELAY"); d != "" {
				// Gives a crash test time to kill the client after the side effect.
				wait, _ := time.ParseDuration(d)
				time.Sleep(wait)
			}
			wd, _ := os.Getwd()
			return text("appended to " + filepath.Join(wd, CallsFile)), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "write", Description: "Write text to a file."},
		func(_ context.Context, _ *sdk.CallToolRequest, in writeIn) (*sdk.CallToolResult, any, error) {
			if err := os.WriteFile(in.Path, []byte(in.Text), 0o644); err != nil {
				r := text(err.Error())
				r.IsError = true
				return r, nil, nil
			}
			return text("wrote " + in.Path), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "wipe", Description: "Pretend to delete everything.", Annotations: &sdk.ToolAnnotations{DestructiveHint: &yes}},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			return text("nothing was deleted"), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "env", Description: "Print an environment variable.", Annotations: ro},
		func(_ context.Context, _ *sdk.CallToolRequest, in envIn) (*sdk.CallToolResult, any, error) {
			v, ok := os.LookupEnv(in.Name)
			if !ok {
				v = "(unset)"
			}
			return text(v), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "image", Description: "A tiny image.", Annotations: ro},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "a pixel"}, &sdk.ImageContent{Data: pngPixel, MIMEType: "image/png"}}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "resource", Description: "A resource, a link and a sound.", Annotations: ro},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{
				&sdk.EmbeddedResource{Resource: &sdk.ResourceContents{URI: "file:///notes.txt", MIMEType: "text/plain", Text: "kept notes"}},
				&sdk.ResourceLink{URI: "https://example.test/doc", Name: "doc"},
				&sdk.AudioContent{Data: []byte("RIFF"), MIMEType: "audio/wav"},
			}}, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "fail", Description: "Always fails.", Annotations: ro},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			r := text("it failed on purpose")
			r.IsError = true
			return r, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "slow", Description: "Answers after ms milliseconds.", Annotations: ro},
		func(ctx context.Context, _ *sdk.CallToolRequest, in slowIn) (*sdk.CallToolResult, any, error) {
			select {
			case <-time.After(time.Duration(in.MS) * time.Millisecond):
			case <-ctx.Done():
			}
			return text("slept"), nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "hang", Description: "Never answers.", Annotations: ro},
		func(ctx context.Context, _ *sdk.CallToolRequest, _ none) (*sdk.CallToolResult, any, error) {
			select {} // ignores cancellation too, as a stuck server would
		})
	sdk.AddTool(s, &sdk.Tool{Name: "crash", Description: "Exits mid-call."},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			fmt.Fprintln(os.Stderr, "mcptest: crashing on purpose")
			os.Exit(3)
			return nil, nil, nil
		})
	sdk.AddTool(s, &sdk.Tool{Name: "garbage", Description: "Writes garbage to stdout."},
		func(context.Context, *sdk.CallToolRequest, none) (*sdk.CallToolResult, any, error) {
			fmt.Fprintln(os.Stdout, "this is not JSON-RPC {{{")
			select {}
		})
	sdk.AddTool(s, &sdk.Tool{Name: "huge", Description: "A text of the given size.", Annotations: ro},
		func(_ context.Context, _ *sdk.CallToolRequest, in sizeIn) (*sdk.CallToolResult, any, error) {
			return text(strings.Repeat("x", in.Bytes)), nil, nil
		})
	return s
}
