package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/trace"
)

func testBundle() trace.Bundle {
	run := testRun()
	return trace.Bundle{
		Version: trace.Version, Content: trace.ContentFull,
		Session: journal.Session{ID: "ses_a", Title: "fix it", Workspace: "/w", CreatedAt: t0, UpdatedAt: at(100)},
		Runs:    []trace.History{{Run: run, Steps: testSteps()}},
	}
}

// requiredAttrs are the GenAI attributes each kind of span must carry.
var requiredAttrs = map[string][]string{
	"invoke_agent": {"gen_ai.operation.name", "gen_ai.agent.name", "gen_ai.provider.name", "gen_ai.request.model"},
	"chat": {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system", "gen_ai.request.model", "gen_ai.response.model",
		"gen_ai.response.id", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"},
	"execute_tool": {"gen_ai.operation.name", "gen_ai.tool.name", "gen_ai.tool.call.id"},
}

func attrsOf(kvs []*commonpb.KeyValue) map[string]*commonpb.AnyValue {
	m := map[string]*commonpb.AnyValue{}
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue()
	}
	return m
}

// TestOTLPParsesWithOfficialTypes decodes the export with the official
// protobuf definitions and checks the OTLP/JSON rules and the GenAI
// attributes of every span.
func TestOTLPParsesWithOfficialTypes(t *testing.T) {
	t.Parallel()
	b := testBundle()
	var buf bytes.Buffer
	if err := trace.Export(&buf, b, trace.FormatOTLP, trace.Options{}); err != nil {
		t.Fatalf("Export(otlp) = %v", err)
	}
	data := buf.Bytes()

	// The raw JSON: ids in hex, enums as integers, lowerCamelCase names.
	var raw struct {
		ResourceSpans []struct {
			ScopeSpans []struct {
				Spans []map[string]any `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	rawSpans := raw.ResourceSpans[0].ScopeSpans[0].Spans
	for _, s := range rawSpans {
		tid, _ := s["traceId"].(string)
		sid, _ := s["spanId"].(string)
		if !hexT.MatchString(tid) || !hexS.MatchString(sid) {
			t.Errorf("span %v: traceId %q spanId %q, want lowercase hex of 16 and 8 bytes", s["name"], tid, sid)
		}
		if p, ok := s["parentSpanId"].(string); ok && !hexS.MatchString(p) {
			t.Errorf("span %v: parentSpanId %q, want hex", s["name"], p)
		}
		if _, ok := s["kind"].(float64); !ok {
			t.Errorf("span %v: kind %#v, want an integer", s["name"], s["kind"])
		}
	}
	if bytes.Contains(data, []byte(`"trace_id"`)) || bytes.Contains(data, []byte(`SPAN_KIND_`)) {
		t.Errorf("export uses proto field names or enum names; OTLP/JSON wants lowerCamelCase and integers")
	}
	// Plain protobuf JSON reads the hex ids as base64 and gets the wrong bytes:
	// the reason for the fix-up.
	var naive coltracepb.ExportTraceServiceRequest
	if err := protojson.Unmarshal(data, &naive); err == nil && len(naive.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId) == 16 {
		t.Errorf("protojson read hex ids as 16 bytes; the ids are not hex")
	}

	var req coltracepb.ExportTraceServiceRequest
	if err := trace.UnmarshalOTLP(data, &req); err != nil {
		t.Fatalf("UnmarshalOTLP() = %v", err)
	}
	want, _ := trace.Build(b.Runs[0].Run, b.Runs[0].Steps)
	spans := req.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()
	if len(spans) != len(want.Spans) {
		t.Fatalf("%d spans, want %d", len(spans), len(want.Spans))
	}
	res := attrsOf(req.GetResourceSpans()[0].GetResource().GetAttributes())
	if res["service.name"].GetStringValue() != "corral" || res["corral.format"].GetStringValue() != "corral.trace" {
		t.Errorf("resource = %v, want service.name corral and corral.format", res)
	}
	for i, sp := range spans {
		w := want.Spans[i]
		if got := string(hexOf(sp.GetTraceId())); got != want.ID {
			t.Errorf("span %d trace id %s, want %s", i, got, want.ID)
		}
		if got := string(hexOf(sp.GetSpanId())); got != w.ID {
			t.Errorf("span %d id %s, want %s", i, got, w.ID)
		}
		if got := string(hexOf(sp.GetParentSpanId())); got != w.ParentID {
			t.Errorf("span %d parent %s, want %s", i, got, w.ParentID)
		}
		if sp.GetStartTimeUnixNano() != uint64(w.Start.UnixNano()) {
			t.Errorf("span %d start %d, want %d", i, sp.GetStartTimeUnixNano(), w.Start.UnixNano())
		}
		a := attrsOf(sp.GetAttributes())
		op := a["gen_ai.operation.name"].GetStringValue()
		if w.Kind == trace.KindRun || w.Kind == trace.KindModel || w.Kind == trace.KindTool {
			if op == "" {
				t.Errorf("span %q has no gen_ai.operation.name", sp.GetName())
			}
		}
		for _, key := range requiredAttrs[op] {
			if _, ok := a[key]; !ok {
				t.Errorf("%s span %q lacks %s", op, sp.GetName(), key)
			}
		}
		switch op {
		case "chat":
			if sp.GetKind() != tracepb.Span_SPAN_KIND_CLIENT {
				t.Errorf("chat span kind %v, want CLIENT", sp.GetKind())
			}
			if fr := a["gen_ai.response.finish_reasons"].GetArrayValue().GetValues(); len(fr) != 1 {
				t.Errorf("finish reasons %v, want one", fr)
			}
		case "execute_tool":
			if len(sp.GetLinks()) != 1 {
				t.Errorf("tool span %q has %d links, want one to its model call", sp.GetName(), len(sp.GetLinks()))
			}
		}
	}
	if a := attrsOf(spans[0].GetAttributes()); a["gen_ai.agent.name"].GetStringValue() != "coder" || spans[0].GetName() != "invoke_agent coder" {
		t.Errorf("root span %q attributes %v, want invoke_agent coder", spans[0].GetName(), a)
	}
}

func hexOf(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// receiver is an OTLP/HTTP receiver on 127.0.0.1 that answers with a script
// of statuses, then 200.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	header   http.Header
	bodies   [][]byte
	paths    []string
	types    []string
	reply    string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	r.paths = append(r.paths, req.URL.Path)
	r.types = append(r.types, req.Header.Get("Content-Type"))
	r.header = req.Header.Clone()
	w.Header().Set("Content-Type", "application/json")
	if len(r.statuses) > 0 {
		code := r.statuses[0]
		r.statuses = r.statuses[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"code":3,"message":"receiver says no"}`)
		return
	}
	reply := r.reply
	if reply == "" {
		reply = `{}`
	}
	_, _ = io.WriteString(w, reply)
}

func TestPush(t *testing.T) {
	t.Parallel()
	noWait := func(int) time.Duration { return 0 }
	tests := []struct {
		name         string
		statuses     []int
		reply        string
		suffix       string
		wantErr      error
		wantStatus   int
		wantRequests int
	}{
		{name: "accepted", wantRequests: 1},
		{name: "endpoint with the path", suffix: "/v1/traces", wantRequests: 1},
		{name: "retried on 503 then accepted", statuses: []int{503, 502}, wantRequests: 3},
		{name: "retried on 429 with Retry-After", statuses: []int{429}, wantRequests: 2},
		{name: "gives up after the attempts", statuses: []int{503, 503, 503, 503, 503}, wantStatus: 503, wantRequests: 4},
		{name: "bad request is not retried", statuses: []int{400}, wantStatus: 400, wantRequests: 1},
		{name: "500 is not retried", statuses: []int{500}, wantStatus: 500, wantRequests: 1},
		{name: "partial success", reply: `{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}`, wantErr: trace.ErrPartialSuccess, wantStatus: 200, wantRequests: 1},
		{name: "warning only", reply: `{"partialSuccess":{"errorMessage":"slow down"}}`, wantRequests: 1},
	}
	req, err := trace.OTLP(testBundle(), trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := &receiver{statuses: tc.statuses, reply: tc.reply}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			err := trace.Push(context.Background(), srv.URL+tc.suffix, req, trace.PushOptions{
				Backoff: noWait, Header: http.Header{"Authorization": {"Bearer test"}}})
			var pe *trace.PushError
			switch {
			case tc.wantStatus == 0 && err != nil:
				t.Fatalf("Push() = %v, want nil", err)
			case tc.wantStatus != 0 && (!errors.As(err, &pe) || pe.Status != tc.wantStatus):
				t.Fatalf("Push() = %v, want a PushError with status %d", err, tc.wantStatus)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("Push() = %v, want %v", err, tc.wantErr)
			}
			if pe != nil && tc.wantStatus >= 400 && !strings.Contains(pe.Error(), "receiver says no") {
				t.Errorf("Push() error %q, want the receiver's message", pe.Error())
			}
			if len(rcv.bodies) != tc.wantRequests {
				t.Fatalf("%d requests arrived, want %d", len(rcv.bodies), tc.wantRequests)
			}
			for i := range rcv.bodies {
				if rcv.paths[i] != "/v1/traces" || rcv.types[i] != "application/json" {
					t.Errorf("request %d: POST %s as %s, want /v1/traces as application/json", i, rcv.paths[i], rcv.types[i])
				}
			}
			if rcv.header.Get("Authorization") != "Bearer test" {
				t.Errorf("Authorization header %q did not arrive", rcv.header.Get("Authorization"))
			}
			var got coltracepb.ExportTraceServiceRequest
			if err := trace.UnmarshalOTLP(rcv.bodies[0], &got); err != nil {
				t.Fatalf("receiver could not decode the request: %v", err)
			}
			if n := len(got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()); n != 9 {
				t.Errorf("receiver got %d spans, want 9", n)
			}
		})
	}
}

func TestPushEndpoint(t *testing.T) {
	t.Parallel()
	req, _ := trace.OTLP(testBundle(), trace.Options{})
	for _, ep := range []string{"", "localhost:4318", "ftp://x/y", "http://"} {
		if err := trace.Push(context.Background(), ep, req, trace.PushOptions{}); err == nil || !strings.Contains(err.Error(), "not an http") {
			t.Errorf("Push(%q) = %v, want an error about the endpoint", ep, err)
		}
	}
	// Nothing listens: the error says so after the attempts.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := trace.Push(context.Background(), url, req, trace.PushOptions{Attempts: 2, Backoff: func(int) time.Duration { return 0 }})
	var pe *trace.PushError
	if !errors.As(err, &pe) || pe.Status != 0 || pe.Attempts != 2 {
		t.Errorf("Push(closed) = %v, want a PushError with no response after 2 attempts", err)
	}
}

// TestExportOTLPIsTheRequest: Export writes the OTLP file a span at a time; what it writes
// is the JSON of the whole request, as OTLP and MarshalOTLP give it.
func TestExportOTLPIsTheRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		bundle trace.Bundle
		opts   trace.Options
	}{
		{"small run", testBundle(), trace.Options{}},
		{"without content", testBundle(), trace.Options{NoContent: true}},
		{"model and tool calls", bigBundle(40), trace.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Now = func() time.Time { return t0 } // the export's time is in the file
			req, err := trace.OTLP(tt.bundle, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := trace.MarshalOTLP(req)
			if err != nil {
				t.Fatal(err)
			}
			var file bytes.Buffer
			if err := trace.Export(&file, tt.bundle, trace.FormatOTLP, tt.opts); err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(file.Bytes(), &got); err != nil {
				t.Fatalf("Export(otlp) wrote invalid JSON: %v\n%s", err, file.Bytes())
			}
			if err := json.Unmarshal(whole, &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Export(otlp) differs from MarshalOTLP(OTLP()) (-want +got):\n%s", diff)
			}
			if !bytes.HasSuffix(file.Bytes(), []byte("}\n")) {
				t.Errorf("Export(otlp) does not end in a newline after the request")
			}
		})
	}
}
