package trace

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"sort"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/corral-dev/corral/backend/journal"
)

// ScopeName is the instrumentation scope of the spans Corral exports.
const ScopeName = "github.com/corral-dev/corral/backend/trace"

// Resource and content attributes of Corral's OTLP files. corral.format on
// the resource is how an import recognises a file Corral wrote.
const (
	attrFormat         = "corral.format"
	attrVersion        = "corral.version"
	attrContent        = "corral.content"
	attrExportedAt     = "corral.exported_at"
	attrSessionTitle   = "corral.session.title"
	attrSessionWS      = "corral.session.workspace"
	attrSessionCreated = "corral.session.created_at"
	attrSessionUpdated = "corral.session.updated_at"
	attrRunPrompt      = "corral.run.prompt"
	attrRunError       = "corral.run.error"
	attrStepInput      = "corral.step.input"
	attrStepOutput     = "corral.step.output"
	attrStepError      = "corral.step.error"
)

// OTLP returns a bundle as an OTLP ExportTraceServiceRequest, with secrets
// redacted (and content omitted) as opts say: one resource (Corral, with the
// session's attributes), one scope, and each run's spans under its own trace
// id. Model calls, tool calls and the run follow the OpenTelemetry GenAI
// semantic conventions; corral.* attributes carry the rest of the history, so
// that [Import] can map the file back.
func OTLP(b Bundle, opts Options) (*coltracepb.ExportTraceServiceRequest, error) {
	return otlpRequest(sanitize(b, opts))
}

func otlpRequest(b Bundle) (*coltracepb.ExportTraceServiceRequest, error) {
	traces, err := b.Traces()
	if err != nil {
		return nil, err
	}
	return otlpFromTraces(b, traces), nil
}

func otlpFromTraces(b Bundle, traces []Trace) *coltracepb.ExportTraceServiceRequest {
	n := 0
	for _, t := range traces {
		n += len(t.Spans)
	}
	spans := make([]*tracepb.Span, 0, n)
	_ = eachOTLPSpan(b, traces, func(sp *tracepb.Span) error { // returns only fn's errors: none
		spans = append(spans, sp)
		return nil
	})
	scope := otlpScope()
	scope.Spans = spans
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   otlpResource(b),
		ScopeSpans: []*tracepb.ScopeSpans{scope},
	}}}
}

// eachOTLPSpan calls fn with the OTLP span of each span of traces, in the order of the
// file, and stops at fn's first error.
func eachOTLPSpan(b Bundle, traces []Trace, fn func(*tracepb.Span) error) error {
	runs := make(map[string]journal.Run, len(b.Runs))
	for i := range traces {
		runs[b.Runs[i].Run.ID] = b.Runs[i].Run
	}
	// A subagent's spans go in its parent's trace, its run span a child of the parent's
	// task step (parentSpanId), when the parent is in the bundle.
	for _, t := range Nest(traces) {
		for _, s := range t.Spans {
			run := runs[t.Run.ID]
			if s.Group != "" {
				run = runs[s.Group]
			}
			if err := fn(otlpSpan(t, run, s)); err != nil {
				return err
			}
		}
	}
	return nil
}

// otlpResource is the one resource of a file: Corral, with the session's attributes.
func otlpResource(b Bundle) *resourcepb.Resource {
	s := b.Session
	return &resourcepb.Resource{Attributes: keyValues(map[string]any{
		"service.name":     "corral",
		attrFormat:         BundleFormat,
		attrVersion:        int64(Version),
		attrContent:        string(b.Content),
		attrExportedAt:     nanos(b.ExportedAt),
		attrSessionID:      s.ID,
		attrSessionTitle:   s.Title,
		attrSessionWS:      s.Workspace,
		attrSessionCreated: nanos(s.CreatedAt),
		attrSessionUpdated: nanos(s.UpdatedAt),
	})}
}

// otlpScope is the one scope of a file, without its spans.
func otlpScope() *tracepb.ScopeSpans {
	return &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: ScopeName, Version: fmt.Sprint(Version)}}
}

// writeOTLP writes the OTLP/JSON request of a bundle as [MarshalOTLP] would, a span at a
// time: the request is never whole in memory, so the work and the memory stay linear in the
// number of spans (a 100,000-step run's request is a quarter of a gigabyte of JSON, and was
// built as a tree, marshalled and copied twice before a byte was written).
func writeOTLP(w io.Writer, b Bundle, traces []Trace) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	put := func(parts ...[]byte) {
		for _, p := range parts {
			_, _ = bw.Write(p) // a write error sticks in bw; Flush returns it
		}
	}
	resource, err := marshalOTLP(otlpResource(b))
	if err != nil {
		return err
	}
	scope, err := marshalOTLP(otlpScope().Scope)
	if err != nil {
		return err
	}
	// The members are named as the protobuf JSON mapping names them (lowerCamelCase).
	put([]byte(`{"resourceSpans":[{"resource":`), resource, []byte(`,"scopeSpans":[{"scope":`), scope, []byte(`,"spans":[`))
	first := true
	err = eachOTLPSpan(b, traces, func(sp *tracepb.Span) error {
		data, err := marshalOTLP(sp)
		if err != nil {
			return err
		}
		if !first {
			put([]byte{','})
		}
		first = false
		put(data)
		return nil
	})
	if err != nil {
		return err
	}
	put([]byte("]}]}]}\n"))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("trace: write OTLP: %w", err)
	}
	return nil
}

func otlpSpan(t Trace, run journal.Run, s Span) *tracepb.Span {
	attrs := make(map[string]any, len(s.Attributes)+4)
	for k, v := range s.Attributes {
		attrs[k] = v
	}
	switch s.Kind {
	case KindRun:
		if run.Prompt != "" {
			attrs[attrRunPrompt] = run.Prompt
		}
		if s.Error != "" {
			attrs[attrRunError] = s.Error
		}
	case KindCommand:
	case KindResume, KindRestore:
		// Without corral.span.kind a Corral from before resumes (or restores)
		// skips the span as not its own instead of refusing the file;
		// corral.resume.* and corral.restore.* tell this one what it is.
		delete(attrs, attrSpanKind)
	default:
		if len(s.Input) > 0 {
			attrs[attrStepInput] = string(s.Input)
		}
		if len(s.Output) > 0 {
			attrs[attrStepOutput] = string(s.Output)
		}
		if s.Error != "" {
			attrs[attrStepError] = s.Error
		}
	}
	end := s.End
	if end.IsZero() {
		end = s.Start // OTLP has no open spans; corral.step.status says it never finished
	}
	sp := &tracepb.Span{
		TraceId:           mustHex(t.ID),
		SpanId:            mustHex(s.ID),
		ParentSpanId:      mustHex(s.ParentID),
		Name:              s.Name,
		Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
		StartTimeUnixNano: uint64(nanos(s.Start)),
		EndTimeUnixNano:   uint64(nanos(end)),
		Attributes:        keyValues(attrs),
		Status:            &tracepb.Status{},
	}
	if s.Kind == KindModel {
		sp.Kind = tracepb.Span_SPAN_KIND_CLIENT
	}
	switch {
	case s.Status == StatusError:
		sp.Status.Code, sp.Status.Message = tracepb.Status_STATUS_CODE_ERROR, s.Error
	case s.Attributes[attrErrorType] == "tool_error":
		sp.Status.Code, sp.Status.Message = tracepb.Status_STATUS_CODE_ERROR, "the tool reported an error to the model"
	case s.Status == StatusOK:
		sp.Status.Code = tracepb.Status_STATUS_CODE_OK
	}
	for _, ev := range s.Egress {
		sp.Events = append(sp.Events, &tracepb.Span_Event{
			Name:         "corral.egress",
			TimeUnixNano: uint64(nanos(ev.Time)),
			Attributes: keyValues(map[string]any{
				"server.address": ev.Host, "server.port": int64(ev.Port), "http.request.method": ev.Method,
				"corral.egress.allowed": ev.Allowed, "corral.egress.reason": ev.Reason,
				"corral.egress.bytes_in": ev.BytesIn, "corral.egress.bytes_out": ev.BytesOut,
				"corral.egress.duration_ms": ev.DurationMS,
			}),
		})
	}
	if s.RequestedBy != "" {
		sp.Links = []*tracepb.Span_Link{{
			TraceId: mustHex(t.ID), SpanId: mustHex(s.RequestedBy),
			Attributes: keyValues(map[string]any{"corral.link": "requested_by"}),
		}}
	}
	return sp
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// mustHex decodes an id this package made; "" is nil.
func mustHex(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("trace: bad id " + s) // ids come from TraceID and SpanID only
	}
	return b
}

// keyValues converts attributes, sorted by key so that output is stable.
func keyValues(m map[string]any) []*commonpb.KeyValue {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*commonpb.KeyValue, 0, len(keys))
	for _, k := range keys {
		if v := anyValue(m[k]); v != nil {
			out = append(out, &commonpb.KeyValue{Key: k, Value: v})
		}
	}
	return out
}

func anyValue(v any) *commonpb.AnyValue {
	switch v := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(v)}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v}}
	case []string:
		vals := make([]*commonpb.AnyValue, len(v))
		for i, s := range v {
			vals[i] = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vals}}}
	}
	return nil
}

// The OTLP/JSON members that hold trace and span ids. The OTLP specification
// ("JSON Protobuf Encoding") has them as hex strings, where the protobuf JSON
// mapping has base64 for bytes; MarshalOTLP and UnmarshalOTLP convert.
var idMembers = map[string]bool{
	"traceId": true, "spanId": true, "parentSpanId": true,
	"trace_id": true, "span_id": true, "parent_span_id": true,
}

// MarshalOTLP encodes a request as OTLP/JSON: the protobuf JSON mapping with
// lowerCamelCase names, enums as integers and trace and span ids in hex, as
// the OTLP specification requires.
func MarshalOTLP(req *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	return marshalOTLP(req)
}

// marshalOTLP encodes any part of a request as MarshalOTLP encodes the whole.
func marshalOTLP(m proto.Message) ([]byte, error) {
	data, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("trace: marshal OTLP: %w", err)
	}
	return rewriteIDs(data, func(s string) (string, bool) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return s, false
		}
		return hex.EncodeToString(b), true
	}), nil
}

// UnmarshalOTLP decodes OTLP/JSON (hex ids, as MarshalOTLP writes and the
// specification requires) into req, ignoring unknown fields.
func UnmarshalOTLP(data []byte, req *coltracepb.ExportTraceServiceRequest) error {
	fromHex := func(s string) (string, bool) {
		if len(s) != 32 && len(s) != 16 {
			return s, false // not an id in hex: leave it to protojson
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			return s, false
		}
		return base64.StdEncoding.EncodeToString(b), true
	}
	var fixed []byte
	if bytes.Contains(data, []byte(`_id"`)) {
		// Proto field names (trace_id): rare, so the thorough scan.
		fixed, _ = rewriteStrings(data, func(key, s string, isKey bool) (string, bool) {
			if isKey || !idMembers[key] {
				return s, false
			}
			return fromHex(s)
		})
	} else {
		fixed = rewriteIDs(data, fromHex)
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true, RecursionLimit: MaxDepth}).Unmarshal(fixed, req); err != nil {
		return fmt.Errorf("%w: OTLP: %w", ErrInvalid, err)
	}
	return nil
}

// rewriteIDs applies conv to the string values of the members traceId,
// spanId and parentSpanId. It finds them by searching for the member names
// rather than scanning every byte: in OTLP/JSON no object key comes from
// user content (attributes are {"key": ..., "value": ...}), and text that
// merely contains a quoted name is inside a string, where the name is not
// followed by a colon outside it.
func rewriteIDs(data []byte, conv func(string) (string, bool)) []byte {
	var (
		out  []byte
		done int
		pos  int
	)
	for {
		k := bytes.Index(data[pos:], []byte(`Id"`))
		if k < 0 {
			break
		}
		nameEnd := pos + k + 2 // the closing quote of the name
		pos = nameEnd + 1
		q := bytes.LastIndexByte(data[max(0, nameEnd-13):nameEnd], '"')
		if q < 0 {
			continue
		}
		nameStart := max(0, nameEnd-13) + q + 1
		if !idMembers[string(data[nameStart:nameEnd])] {
			continue
		}
		v := skipSpace(data, pos)
		if v >= len(data) || data[v] != ':' {
			continue
		}
		v = skipSpace(data, v+1)
		if v >= len(data) || data[v] != '"' {
			continue
		}
		end := stringEnd(data, v)
		pos = end + 1
		repl, ok := conv(unquote(data[v : end+1]))
		if !ok {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(data))
		}
		out = append(out, data[done:v]...)
		out = appendQuoted(out, repl)
		done = end + 1
	}
	if out == nil {
		return data
	}
	return append(out, data[done:]...)
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// fromOTLP maps an OTLP request Corral wrote back to the bundle it came from.
func fromOTLP(req *coltracepb.ExportTraceServiceRequest) (Bundle, error) {
	var rs *tracepb.ResourceSpans
	for _, r := range req.GetResourceSpans() {
		if a := attrMap(r.GetResource().GetAttributes()); a.str(attrFormat) == BundleFormat {
			if rs != nil {
				return Bundle{}, invalid("resourceSpans", "more than one Corral resource")
			}
			rs = r
		}
	}
	if rs == nil {
		return Bundle{}, fmt.Errorf("%w: an OTLP file without the %s=%s resource attribute; only OTLP files exported by Corral can be imported",
			ErrUnknownFormat, attrFormat, BundleFormat)
	}
	ra := attrMap(rs.GetResource().GetAttributes())
	if v := ra.int(attrVersion); v > Version {
		return Bundle{}, fmt.Errorf("%w: trace version %d; this program reads version %d and older; update Corral", ErrTooNew, v, Version)
	}
	b := Bundle{
		Version: Version, Content: Content(ra.str(attrContent)), ExportedAt: fromNanos(ra.int(attrExportedAt)),
		Session: journal.Session{
			ID: ra.str(attrSessionID), Title: ra.str(attrSessionTitle), Workspace: ra.str(attrSessionWS),
			CreatedAt: fromNanos(ra.int(attrSessionCreated)), UpdatedAt: fromNanos(ra.int(attrSessionUpdated)),
		},
	}
	if err := ra.err("resource"); err != nil {
		return Bundle{}, err
	}
	index := map[string]int{} // trace id -> b.Runs
	byRun := map[string]int{} // run id -> b.Runs, for a subagent's spans in its parent's trace
	var steps, resumes, restores []*tracepb.Span
	for _, ss := range rs.GetScopeSpans() {
		for _, sp := range ss.GetSpans() {
			a := attrMap(sp.GetAttributes())
			switch SpanKind(a.str(attrSpanKind)) {
			case KindRun:
				tid := hex.EncodeToString(sp.GetTraceId())
				run := journal.Run{
					ID: a.str(attrRunID), SessionID: a.str(attrSessionID), Agent: a.str(attrAgentName),
					Prompt: a.str(attrRunPrompt), Status: journal.RunStatus(a.str(attrRunStatus)),
					Workspace: a.str(attrRunWorkspace), Sandbox: a.str(attrRunSandbox), Error: a.str(attrRunError),
					CreatedAt: fromNanos(a.int(attrRunCreated)), UpdatedAt: fromNanos(a.int(attrRunUpdated)),
					ParentRunID: a.str(attrParentRun), ParentSeq: int(clampInt(a.int(attrParentSeq))),
				}
				if _, dup := byRun[run.ID]; dup {
					return Bundle{}, invalid("spans", "two run spans of run %s", describe(run.ID))
				}
				byRun[run.ID] = len(b.Runs)
				if len(sp.GetParentSpanId()) == 0 {
					// A subagent's run span sits under its parent's step, in its trace.
					if _, dup := index[tid]; dup {
						return Bundle{}, invalid("spans", "two run spans in trace %s", tid)
					}
					index[tid] = len(b.Runs)
				}
				b.Runs = append(b.Runs, History{Run: run})
				if err := a.err("span " + sp.GetName()); err != nil {
					return Bundle{}, err
				}
			case KindCommand, "":
				// derived from a tool span, a resume, or not Corral's
				if _, ok := a.m[attrResumeAfter]; ok {
					resumes = append(resumes, sp)
				}
				if _, ok := a.m[attrRestoreSeq]; ok {
					restores = append(restores, sp)
				}
			case KindResume:
				resumes = append(resumes, sp)
			case KindRestore:
				restores = append(restores, sp)
			default:
				steps = append(steps, sp)
			}
		}
	}
	runOf := func(sp *tracepb.Span) (int, bool) {
		if id := attrMap(sp.GetAttributes()).str(attrRunID); id != "" {
			i, ok := byRun[id]
			return i, ok
		}
		i, ok := index[hex.EncodeToString(sp.GetTraceId())]
		return i, ok
	}
	for _, sp := range steps {
		i, ok := runOf(sp)
		if !ok {
			return Bundle{}, invalid("spans", "span %q belongs to no run", describe(sp.GetName()))
		}
		st, err := otlpStep(b.Runs[i].Run.ID, sp)
		if err != nil {
			return Bundle{}, err
		}
		b.Runs[i].Steps = append(b.Runs[i].Steps, st)
	}
	for _, sp := range resumes {
		i, ok := runOf(sp)
		if !ok {
			return Bundle{}, invalid("spans", "resume %q belongs to no run", describe(sp.GetName()))
		}
		a := attrMap(sp.GetAttributes())
		r := journal.Resume{
			RunID: b.Runs[i].Run.ID, At: fromNanos(int64(min(sp.GetStartTimeUnixNano(), math.MaxInt64))),
			AfterSeq: int(clampInt(a.int(attrResumeAfter))), Reason: a.str(attrResumeReason),
		}
		if err := a.err(fmt.Sprintf("span %q", describe(sp.GetName()))); err != nil {
			return Bundle{}, err
		}
		b.Runs[i].Resumes = append(b.Runs[i].Resumes, r)
	}
	for _, sp := range restores {
		i, ok := index[hex.EncodeToString(sp.GetTraceId())]
		if !ok {
			return Bundle{}, invalid("spans", "restore %q belongs to no run", describe(sp.GetName()))
		}
		a := attrMap(sp.GetAttributes())
		r := journal.Restore{
			RunID: b.Runs[i].Run.ID, At: fromNanos(int64(min(sp.GetStartTimeUnixNano(), math.MaxInt64))),
			Seq: int(clampInt(a.int(attrRestoreSeq))), Phase: a.str(attrRestorePhase),
			Changed: int(clampInt(a.int(attrRestoreChanged))), Git: a.bool(attrRestoreGit), Warnings: a.strs(attrRestoreWarnings),
		}
		if err := a.err(fmt.Sprintf("span %q", describe(sp.GetName()))); err != nil {
			return Bundle{}, err
		}
		b.Runs[i].Restores = append(b.Runs[i].Restores, r)
	}
	for i := range b.Runs {
		h := &b.Runs[i]
		sort.SliceStable(h.Restores, func(x, y int) bool { return h.Restores[x].At.Before(h.Restores[y].At) })
		sort.SliceStable(h.Steps, func(x, y int) bool { return h.Steps[x].Seq < h.Steps[y].Seq })
		// Spans come in the trace's order, which places resumes by the step they
		// follow; a file that reordered them is put back in that order.
		sort.SliceStable(h.Resumes, func(x, y int) bool { return h.Resumes[x].AfterSeq < h.Resumes[y].AfterSeq })
		for k := range h.Resumes {
			h.Resumes[k].N = k + 1
		}
	}
	return b, validate(b)
}

func otlpStep(runID string, sp *tracepb.Span) (journal.Step, error) {
	a := attrMap(sp.GetAttributes())
	cacheRead, cacheWrite := a.int(attrCacheRead), a.int(attrCacheWrite)
	st := journal.Step{
		RunID: runID, Seq: int(clampInt(a.int(attrStepSeq))), Name: a.str(attrStepName), Kind: a.str(attrStepKind),
		Status: journal.StepStatus(a.str(attrStepStatus)), Idempotent: a.bool(attrStepIdempotent),
		Attempt: int(clampInt(a.int(attrStepAttempt))), Resolution: journal.Action(a.str(attrStepResolution)),
		RerunPending: a.bool(attrStepRerun), Error: a.str(attrStepError), CostUSD: a.float(attrCost),
		Usage: journal.Usage{
			InputTokens: a.int(attrInputTokens) - cacheRead - cacheWrite, OutputTokens: a.int(attrOutputTokens),
			CacheReadTokens: cacheRead, CacheWriteTokens: cacheWrite,
		},
		StartedAt: fromNanos(int64(min(sp.GetStartTimeUnixNano(), math.MaxInt64))),
	}
	if in := a.str(attrStepInput); in != "" {
		st.Input = []byte(in)
	}
	if out := a.str(attrStepOutput); out != "" {
		st.Output = []byte(out)
	}
	if st.Status != journal.StepStarted {
		st.FinishedAt = fromNanos(int64(min(sp.GetEndTimeUnixNano(), math.MaxInt64)))
	}
	return st, a.err(fmt.Sprintf("span %q", describe(sp.GetName())))
}

func clampInt(v int64) int64 { return max(min(v, math.MaxInt32), math.MinInt32) }

// attrs reads typed attributes, remembering the first of the wrong type.
type attrs struct {
	m   map[string]*commonpb.AnyValue
	bad string
}

func attrMap(kvs []*commonpb.KeyValue) *attrs {
	a := &attrs{m: make(map[string]*commonpb.AnyValue, len(kvs))}
	for _, kv := range kvs {
		a.m[kv.GetKey()] = kv.GetValue()
	}
	return a
}

func (a *attrs) wrong(key, want string) {
	if a.bad == "" {
		a.bad = fmt.Sprintf("attribute %s is not %s", key, want)
	}
}

func (a *attrs) str(key string) string {
	v, ok := a.m[key]
	if !ok {
		return ""
	}
	s, ok := v.GetValue().(*commonpb.AnyValue_StringValue)
	if !ok {
		a.wrong(key, "a string")
		return ""
	}
	return s.StringValue
}

func (a *attrs) int(key string) int64 {
	v, ok := a.m[key]
	if !ok {
		return 0
	}
	i, ok := v.GetValue().(*commonpb.AnyValue_IntValue)
	if !ok {
		a.wrong(key, "an integer")
		return 0
	}
	return i.IntValue
}

func (a *attrs) float(key string) float64 {
	v, ok := a.m[key]
	if !ok {
		return 0
	}
	switch f := v.GetValue().(type) {
	case *commonpb.AnyValue_DoubleValue:
		return f.DoubleValue
	case *commonpb.AnyValue_IntValue:
		return float64(f.IntValue)
	}
	a.wrong(key, "a number")
	return 0
}

func (a *attrs) bool(key string) bool {
	v, ok := a.m[key]
	if !ok {
		return false
	}
	b, ok := v.GetValue().(*commonpb.AnyValue_BoolValue)
	if !ok {
		a.wrong(key, "a boolean")
		return false
	}
	return b.BoolValue
}

func (a *attrs) strs(key string) []string {
	v, ok := a.m[key]
	if !ok {
		return nil
	}
	arr, ok := v.GetValue().(*commonpb.AnyValue_ArrayValue)
	if !ok {
		a.wrong(key, "a list of strings")
		return nil
	}
	var out []string
	for _, e := range arr.ArrayValue.GetValues() {
		s, ok := e.GetValue().(*commonpb.AnyValue_StringValue)
		if !ok {
			a.wrong(key, "a list of strings")
			return nil
		}
		out = append(out, s.StringValue)
	}
	return out
}

func (a *attrs) err(where string) error {
	if a.bad == "" {
		return nil
	}
	return invalid(where, "%s", a.bad)
}
