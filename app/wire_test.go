package app

// The UI's wire contract: every bound method the frontend calls, and every event it
// subscribes to, carries JSON whose keys and shapes equal the TypeScript declarations in
// frontend/src/lib/api/types.ts and frontend/src/lib/events.ts, and the journal records the
// UI reads from a trace span's input and output have the keys it reads. The Go side is read
// by reflection (the methods of App.Bindings, their argument and result types, the event
// payloads, the record types); the TypeScript side by a small parser of the declarations
// (interfaces, type aliases) and of the api module's calls (call<T>('Struct.Method', ...)).
// See docs/ARCHITECTURE.md, "The UI's wire contract".

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/agent"
	"github.com/corral-dev/corral/backend/approval"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/tool"
)

// frontendLib is the frontend's library directory, seen from this package.
var frontendLib = filepath.Join("..", "frontend", "src", "lib")

// wireDeclFiles hold the TypeScript view types; wireAPIFiles the api module's calls.
var (
	wireDeclFiles = []string{"api/types.ts", "events.ts"}
	wireAPIFiles  = []string{"api/index.ts", "api/sessions.ts", "api/settings.ts"}
)

// wireEvent is one event of the catalog (or one journal record): its name, its payload's Go
// type and the TypeScript type the frontend reads it as.
type wireEvent struct {
	name string
	goT  reflect.Type
	ts   string
}

// wireEvents is the event catalog (events.go) with each payload's Go type and the
// TypeScript type the frontend reads it as; nil marks an event that carries nothing.
var wireEvents = []wireEvent{
	{EventRuns, reflect.TypeFor[[]agent.Event](), "RunEvent[]"},
	{EventSessions, reflect.TypeFor[SessionEvent](), "SessionEvent"},
	{EventWorkspace, reflect.TypeFor[WorkspaceBatch](), "WorkspaceEvent"},
	{EventJournal, nil, ""},
}

// wireRecords are the journal records the UI reads from a trace span's input or output
// (json.RawMessage on the wire, so reflection cannot reach them from the bindings), with
// the TypeScript type each is read as. The UI declares the keys it reads, not every key; a
// key it declares must be there, shaped as Go writes it. ModelInput (a model step's input)
// is a record too, not checked here: agent keeps its Go type unexported.
var wireRecords = []wireEvent{
	{"config step output", reflect.TypeFor[agent.RunConfig](), "RunConfig"},
	{"llm step output", reflect.TypeFor[llm.Response](), "ModelResponse"},
	{"tool step output", reflect.TypeFor[tool.Result](), "ToolOutput"},
	{"approval step input", reflect.TypeFor[approval.Request](), "ApprovalRequest"},
	{"approval step output", reflect.TypeFor[agent.GateRecord](), "ApprovalRecord"},
}

// snakeKey is the one key case of the UI's views.
var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

func TestWireContract(t *testing.T) {
	t.Parallel()
	decls := parseTSDecls(t, wireDeclFiles)
	calls := parseTSCalls(t, wireAPIFiles)
	c := &wireChecker{decls: decls, seen: map[string]bool{}, records: map[string]bool{}}
	for _, r := range wireRecords {
		c.records[r.ts] = true
	}

	methods := boundMethods(New(Config{}))
	for _, name := range slices.Sorted(maps.Keys(methods)) {
		m := methods[name]
		call, ok := calls[name]
		if !ok {
			t.Errorf("bound method %s is not called by the api module (%s): call it there or unbind it", name, strings.Join(wireAPIFiles, ", "))
			continue
		}
		c.checkCall(name, m, call)
	}
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		if _, ok := methods[name]; !ok {
			t.Errorf("api function %s calls %s, which App.Bindings does not bind", calls[name].fn, name)
		}
	}

	for _, name := range goEventNames(t) {
		if !slices.ContainsFunc(wireEvents, func(e wireEvent) bool { return e.name == name }) {
			t.Errorf("app declares event %q; add it to wireEvents with its payload and the TypeScript type that reads it", name)
		}
	}
	consts := parseTSEventNames(t)
	for _, ev := range wireEvents {
		if !slices.Contains(consts, ev.name) {
			t.Errorf("event %q is not declared in events.ts (export const EVENT_... = %q)", ev.name, ev.name)
		}
		if ev.goT == nil {
			continue
		}
		ts, err := c.resolve(ev.ts)
		if err != nil {
			c.errorf("event %s: %v", ev.name, err)
			continue
		}
		c.compare(ev.goT, ts, "event "+ev.name, toUI)
	}
	for _, name := range consts {
		if !slices.ContainsFunc(wireEvents, func(e wireEvent) bool { return e.name == name }) {
			t.Errorf("events.ts declares event %q, which is not in app/events.go's catalog (wireEvents)", name)
		}
	}
	for _, r := range wireRecords {
		ts, err := c.resolve(r.ts)
		if err != nil {
			c.errorf("%s: %v", r.name, err)
			continue
		}
		c.compare(r.goT, ts, r.name, toUI)
	}
	for _, e := range c.errs {
		t.Error(e)
	}
	if len(methods) == 0 || c.structs < len(methods)/2 {
		t.Errorf("the wire check compared %d struct types of %d bound methods: the parsers missed the declarations", c.structs, len(methods))
	}
	t.Logf("compared %d bound methods, %d events, %d journal records (%d struct types) with %s", len(methods), len(wireEvents), len(wireRecords), c.structs, strings.Join(wireDeclFiles, ", "))
}

// TestWireChecker shows the checker catches each kind of difference, on Go types and
// TypeScript declarations made for the purpose.
func TestWireChecker(t *testing.T) {
	t.Parallel()
	type inner struct {
		N int `json:"n"`
	}
	type view struct {
		ID      string          `json:"id"`
		When    time.Time       `json:"when"`
		Note    string          `json:"note,omitempty"`
		Tags    []string        `json:"tags"`
		Inner   *inner          `json:"inner,omitempty"`
		Raw     json.RawMessage `json:"raw,omitempty"`
		Counts  map[string]int  `json:"counts"`
		private int             //nolint:unused // an unexported field the checker must skip: never on the wire
	}
	goT := reflect.TypeFor[view]()
	tests := []struct {
		name   string
		ts     string
		record bool     // V is a journal record
		want   []string // substrings of the errors, one per error; none means equal
	}{
		{"equal", `export interface V { id: string; when: string; note?: string; tags: string[] | null; inner?: Inner; raw?: unknown; counts: Record<string, number> }
			export interface Inner { n: number }`, false, nil},
		{"literal unions are strings", `export type Id = 'a' | 'b';
			export interface V { id: Id; when: string; note?: 'x' | 'y'; tags: Id[]; inner?: { n: 1 | 2 }; raw?: Record<string, unknown>; counts: { [k: string]: number } }`, false, nil},
		{"missing key", `export interface V { when: string; note?: string; tags: string[]; inner?: { n: number }; raw?: unknown; counts: Record<string, number> }`,
			false, []string{`"id" is sent but missing`}},
		{"extra key", `export interface V { id: string; when: string; note?: string; tags: string[]; inner?: { n: number }; raw?: unknown; counts: Record<string, number>; gone: boolean }`,
			false, []string{`"gone" is declared but not in`}},
		{"omitempty key required", `export interface V { id: string; when: string; note: string; tags: string[]; inner?: { n: number }; raw?: unknown; counts: Record<string, number> }`,
			false, []string{`"note" may be left out`}},
		{"cautious optional", `export interface V { id?: string; when?: string; note?: string; tags?: string[]; inner?: { n?: number }; raw?: unknown; counts?: Record<string, number> }`, false, nil},
		{"partial", `export interface W { id: string; when: string; note?: string; tags: string[]; inner?: { n: number }; raw?: unknown; counts: Record<string, number> }
			export type V = Partial<W>;`, false, nil},
		{"type differs", `export interface V { id: number; when: number; note?: string; tags: string; inner?: { n: string }; raw?: unknown; counts: Record<string, string> }`,
			false, []string{"V.id: Go string", "V.when: Go time.Time", "V.tags: Go []string", "V.inner.n: Go int", "V.counts[]: Go int"}},
		{"undeclared type", `export interface V { id: string; when: string; note?: string; tags: string[]; inner?: Nowhere; raw?: unknown; counts: Record<string, number> }`,
			false, []string{`"Nowhere" is not declared`}},
		{"record declares the keys it reads", `export interface V { id: string; note?: string; counts: unknown }`, true, nil},
		{"record key not sent", `export interface V { id: string; gone?: string }`, true, []string{`"gone" is declared but not in`}},
		{"record key shaped otherwise", `export interface V { tags: string }`, true, []string{"V.tags: Go []string"}},
		{"record key left out", `export interface V { note: string }`, true, []string{`"note" may be left out`}},
		{"union variants", `export type V = { id: string; note: string } | { tags: string[] } | { id: string; [k: string]: unknown }`, false, nil},
		{"union variant key not sent", `export type V = { id: string } | { gone: string }`, false, []string{`"gone" is declared but not in`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &wireChecker{decls: parseTSSource(tc.ts, "test.ts"), seen: map[string]bool{}, records: map[string]bool{"V": tc.record}}
			ts, err := c.resolve("V")
			if err != nil {
				t.Fatalf("resolve(V) = %v", err)
			}
			c.compare(goT, ts, "V", toUI)
			if len(c.errs) != len(tc.want) {
				t.Fatalf("compare() errors = %q, want %d errors like %q", c.errs, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(c.errs[i], w) {
					t.Errorf("compare() error %d = %q, want it to contain %q", i, c.errs[i], w)
				}
			}
		})
	}
	t.Run("snake case", func(t *testing.T) {
		t.Parallel()
		type camel struct {
			RunID string `json:"runId"`
		}
		c := &wireChecker{decls: parseTSSource(`export interface C { runId: string }`, "test.ts"), seen: map[string]bool{}}
		ts, err := c.resolve("C")
		if err != nil {
			t.Fatal(err)
		}
		c.compare(reflect.TypeFor[camel](), ts, "C", toUI)
		if len(c.errs) != 1 || !strings.Contains(c.errs[0], "snake_case") {
			t.Errorf("compare(camelCase key) errors = %q, want one saying keys are snake_case", c.errs)
		}
	})
}

// boundMethods lists the methods the window and `corral serve` expose, as "Struct.Method".
func boundMethods(a *App) map[string]reflect.Method {
	out := map[string]reflect.Method{}
	for _, b := range a.Bindings() {
		ty := reflect.TypeOf(b)
		for i := range ty.NumMethod() {
			m := ty.Method(i)
			out[ty.Elem().Name()+"."+m.Name] = m
		}
	}
	return out
}

// ---- TypeScript side ----

// tsField is one member of an interface or object type.
type tsField struct {
	name     string
	optional bool
	typ      string
}

// tsDecl is an exported interface or type alias.
type tsDecl struct {
	name    string
	file    string
	fields  []tsField // interface members
	extends []string  // the interfaces an interface extends
	index   string    // the value type of an index signature ([k: string]: T), if any
	alias   string    // the right-hand side of a type alias
	iface   bool
}

var (
	reBlockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	reLineComment  = regexp.MustCompile(`(?m)(^|\s)//.*$`)
	reInterface    = regexp.MustCompile(`export interface (\w+)(?:\s+extends\s+([\w, ]+))?\s*\{`)
	reAlias        = regexp.MustCompile(`export type (\w+)\s*=`)
	reMember       = regexp.MustCompile(`^(?:readonly\s+)?(\w+)(\?)?\s*:\s*([\s\S]+)$`)
	reIndex        = regexp.MustCompile(`^\[\s*\w+\s*:\s*string\s*\]\s*:\s*([\s\S]+)$`)
	reFunction     = regexp.MustCompile(`export (?:async )?function (\w+)\(([^)]*)\)\s*:\s*Promise<(.+)>\s*\{`)
	reCall         = regexp.MustCompile(`call<[^(]*>\(\s*'(\w+\.\w+)'((?:\s*,\s*\w+)*)\s*\)`)
	reEventConst   = regexp.MustCompile(`export const EVENT_\w+ = '([^']+)'`)
	reNumber       = regexp.MustCompile(`^-?[0-9.]+$`)
)

func stripComments(src string) string {
	return reLineComment.ReplaceAllString(reBlockComment.ReplaceAllString(src, ""), "$1")
}

func readLib(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(frontendLib, filepath.FromSlash(name)))
	if err != nil {
		t.Fatalf("read the frontend's %s: %v", name, err)
	}
	return stripComments(string(b))
}

func parseTSDecls(t *testing.T, files []string) map[string]*tsDecl {
	t.Helper()
	all := map[string]*tsDecl{}
	for _, f := range files {
		for name, d := range parseTSSource(readLib(t, f), f) {
			if prev, ok := all[name]; ok {
				t.Errorf("%s declares %s, already declared in %s", f, name, prev.file)
			}
			all[name] = d
		}
	}
	return all
}

// parseTSSource reads the exported interfaces and type aliases of one file (comments stripped).
func parseTSSource(src, file string) map[string]*tsDecl {
	src = stripComments(src)
	out := map[string]*tsDecl{}
	for _, m := range reInterface.FindAllStringSubmatchIndex(src, -1) {
		name := src[m[2]:m[3]]
		open := m[1] - 1
		body := src[open+1 : matchingClose(src, open)]
		d := &tsDecl{name: name, file: file, iface: true}
		d.fields, d.index = parseMembers(body)
		if m[4] >= 0 {
			for _, parent := range strings.Split(src[m[4]:m[5]], ",") {
				d.extends = append(d.extends, strings.TrimSpace(parent))
			}
		}
		out[name] = d
	}
	for _, m := range reAlias.FindAllStringSubmatchIndex(src, -1) {
		name := src[m[2]:m[3]]
		rest := src[m[1]:]
		end := len(rest)
		for _, i := range splitPoints(rest, ";") {
			end = i
			break
		}
		out[name] = &tsDecl{name: name, file: file, alias: strings.TrimSpace(rest[:end])}
	}
	return out
}

// matchingClose returns the index of the brace that closes the one at open.
func matchingClose(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// splitPoints returns the indexes of seps characters at nesting depth 0, outside quotes.
func splitPoints(s, seps string) []int {
	var at []int
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
		case strings.IndexByte("{([<", ch) >= 0:
			depth++
		case ch == '>' && i > 0 && s[i-1] == '=': // an arrow, not a closing bracket
		case strings.IndexByte("})]>", ch) >= 0:
			depth--
		case depth == 0 && strings.IndexByte(seps, ch) >= 0:
			at = append(at, i)
		}
	}
	return at
}

// splitTop splits s at seps characters at depth 0 and trims the parts, dropping empty ones.
func splitTop(s, seps string) []string {
	var parts []string
	start := 0
	for _, i := range append(splitPoints(s, seps), len(s)) {
		if p := strings.TrimSpace(s[start:i]); p != "" {
			parts = append(parts, p)
		}
		start = i + 1
	}
	return parts
}

func parseMembers(body string) (fields []tsField, index string) {
	for _, m := range splitTop(body, ";,\n") {
		if im := reIndex.FindStringSubmatch(m); im != nil {
			index = strings.TrimSpace(im[1])
			continue
		}
		if fm := reMember.FindStringSubmatch(m); fm != nil {
			fields = append(fields, tsField{name: fm[1], optional: fm[2] == "?", typ: strings.TrimSpace(fm[3])})
		}
		// Anything else (a method signature) is not data.
	}
	return fields, index
}

// tsCall is one api function that calls a bound method.
type tsCall struct {
	fn     string
	args   []string // the TypeScript types of the arguments passed, in order
	result string   // what the promise resolves to; "void" for nothing
}

func parseTSCalls(t *testing.T, files []string) map[string]tsCall {
	t.Helper()
	out := map[string]tsCall{}
	for _, f := range files {
		src := readLib(t, f)
		for _, m := range reFunction.FindAllStringSubmatchIndex(src, -1) {
			fn, params, result := src[m[2]:m[3]], src[m[4]:m[5]], src[m[6]:m[7]]
			body := src[m[1]:matchingClose(src, m[1]-1)]
			types := map[string]string{}
			for _, p := range splitTop(params, ",") {
				name, typ, ok := strings.Cut(p, ":")
				if !ok { // name = default: the type of the literal
					name, typ, _ = strings.Cut(p, "=")
					typ = literalType(strings.TrimSpace(typ))
				}
				typ, _, _ = strings.Cut(typ, "=")
				types[strings.TrimSpace(name)] = strings.TrimSpace(typ)
			}
			for _, cm := range reCall.FindAllStringSubmatch(body, -1) {
				c := tsCall{fn: fn, result: result}
				for _, a := range splitTop(cm[2], ",") {
					typ, ok := types[a]
					if !ok {
						t.Errorf("%s: %s passes %s, which is not a parameter of %s", f, cm[1], a, fn)
					}
					c.args = append(c.args, typ)
				}
				if prev, ok := out[cm[1]]; ok {
					t.Errorf("%s and %s both call %s: keep one api function per bound method", prev.fn, fn, cm[1])
				}
				out[cm[1]] = c
			}
		}
	}
	return out
}

func literalType(lit string) string {
	switch {
	case strings.HasPrefix(lit, "'") || strings.HasPrefix(lit, `"`):
		return "string"
	case lit == "true" || lit == "false":
		return "boolean"
	default:
		return "number"
	}
}

// goEventNames reads the event catalog from this package's source: every string constant
// named Event... whose value is "corral:...".
func goEventNames(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i >= len(vs.Values) || !strings.HasPrefix(id.Name, "Event") {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					if v, err := strconv.Unquote(lit.Value); err == nil && strings.HasPrefix(v, "corral:") {
						names = append(names, v)
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("found no event constants in app's source")
	}
	return names
}

func parseTSEventNames(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, m := range reEventConst.FindAllStringSubmatch(readLib(t, "events.ts"), -1) {
		names = append(names, m[1])
	}
	return names
}

// tsType is a TypeScript type reduced to what JSON can carry.
type tsType struct {
	kind     string // string, number, boolean, unknown, array, record, object, union
	elem     *tsType
	fields   []tsField // object
	variants []tsType  // union: objects, each one variant of a Go struct's JSON
	name     string    // how it is written, for messages
}

// ---- The comparison ----

// direction says which way JSON goes: it decides which optional keys matter.
type direction int

const (
	// toUI is a result or an event payload: a key Go may leave out (omitempty) must be
	// optional in TypeScript, or the UI reads a missing key as present. TypeScript may be
	// more cautious than Go (optional where Go always sends): the same declarations read
	// journal records that older releases wrote.
	toUI direction = iota
	// fromUI is an argument: Go takes whatever the UI leaves out as the zero value.
	fromUI
)

// wireChecker compares Go types with TypeScript declarations and collects the differences.
type wireChecker struct {
	decls   map[string]*tsDecl
	records map[string]bool // TypeScript names of journal records (see wireRecords)
	seen    map[string]bool // Go type + TypeScript type + direction already compared
	errs    []string
	structs int
}

func (c *wireChecker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// resolve reads a TypeScript type expression.
func (c *wireChecker) resolve(expr string) (tsType, error) {
	return c.resolveDepth(strings.TrimSpace(expr), 0)
}

func (c *wireChecker) resolveDepth(expr string, depth int) (tsType, error) {
	if depth > 20 {
		return tsType{}, fmt.Errorf("type %q nests too deep", expr)
	}
	var parts []string
	for _, p := range splitTop(expr, "|") {
		if p != "null" && p != "undefined" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return tsType{}, fmt.Errorf("type %q carries no value", expr)
	}
	if len(parts) > 1 {
		var members []tsType
		for _, p := range parts {
			m, err := c.resolveDepth(p, depth+1)
			if err != nil {
				return tsType{}, err
			}
			members = append(members, m)
		}
		first := members[0]
		if !slices.ContainsFunc(members, func(m tsType) bool { return m.kind != "object" }) {
			return tsType{kind: "union", variants: members, name: expr}, nil
		}
		for _, m := range members[1:] {
			if m.kind != first.kind || (first.kind != "string" && first.kind != "number" && first.kind != "boolean") {
				return tsType{}, fmt.Errorf("union %q mixes types the check cannot compare with one Go type", expr)
			}
		}
		first.name = expr
		return first, nil
	}
	e := parts[0]
	for strings.HasPrefix(e, "(") && matchingParen(e) == len(e)-1 {
		e = strings.TrimSpace(e[1 : len(e)-1])
	}
	switch {
	case strings.HasSuffix(e, "[]"):
		elem, err := c.resolveDepth(strings.TrimSuffix(e, "[]"), depth+1)
		return tsType{kind: "array", elem: &elem, name: e}, err
	case strings.HasPrefix(e, "Record<string,") && strings.HasSuffix(e, ">"):
		elem, err := c.resolveDepth(strings.TrimSuffix(strings.TrimPrefix(e, "Record<string,"), ">"), depth+1)
		return tsType{kind: "record", elem: &elem, name: e}, err
	case strings.HasPrefix(e, "Partial<") && strings.HasSuffix(e, ">"):
		t, err := c.resolveDepth(e[len("Partial<"):len(e)-1], depth+1)
		if t.kind == "object" {
			t.fields = slices.Clone(t.fields)
			for i := range t.fields {
				t.fields[i].optional = true
			}
		}
		t.name = e
		return t, err
	case strings.HasPrefix(e, "{"):
		fields, index := parseMembers(e[1:matchingClose(e, 0)])
		if index != "" && len(fields) == 0 {
			elem, err := c.resolveDepth(index, depth+1)
			return tsType{kind: "record", elem: &elem, name: e}, err
		}
		return tsType{kind: "object", fields: fields, name: e}, nil
	case strings.HasPrefix(e, "'") || strings.HasPrefix(e, `"`) || e == "string":
		return tsType{kind: "string", name: e}, nil
	case e == "number" || reNumber.MatchString(e):
		return tsType{kind: "number", name: e}, nil
	case e == "boolean" || e == "true" || e == "false":
		return tsType{kind: "boolean", name: e}, nil
	case e == "unknown" || e == "any":
		return tsType{kind: "unknown", name: e}, nil
	}
	d, ok := c.decls[e]
	if !ok {
		return tsType{}, fmt.Errorf("type %q is not declared in %s", e, strings.Join(wireDeclFiles, " or "))
	}
	if !d.iface {
		t, err := c.resolveDepth(d.alias, depth+1)
		t.name = e
		return t, err
	}
	fields := slices.Clone(d.fields)
	for _, parent := range d.extends {
		pt, err := c.resolveDepth(parent, depth+1)
		if err != nil {
			return tsType{}, err
		}
		fields = append(fields, pt.fields...)
	}
	return tsType{kind: "object", fields: fields, name: e}, nil
}

func matchingParen(s string) int {
	depth := 0
	for i := range len(s) {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// checkCall compares one bound method with the api function that calls it.
func (c *wireChecker) checkCall(name string, m reflect.Method, call tsCall) {
	ins := m.Type.NumIn() - 1 // the receiver
	if len(call.args) != ins {
		c.errorf("%s (api %s) passes %d arguments, Go takes %d", name, call.fn, len(call.args), ins)
	} else {
		for i, a := range call.args {
			ts, err := c.resolve(a)
			if err != nil {
				c.errorf("%s argument %d: %v", name, i+1, err)
				continue
			}
			c.compare(m.Type.In(i+1), ts, fmt.Sprintf("%s argument %d", name, i+1), fromUI)
		}
	}
	outs := m.Type.NumOut()
	errT := reflect.TypeFor[error]()
	if outs == 0 || m.Type.Out(outs-1) != errT {
		c.errorf("%s does not return an error last: the JS promise could not reject", name)
		return
	}
	switch {
	case outs == 1 && call.result != "void":
		c.errorf("%s returns only an error; api %s resolves to %s, want void", name, call.fn, call.result)
	case outs == 2 && call.result == "void":
		c.errorf("%s returns %v; api %s resolves to void", name, m.Type.Out(0), call.fn)
	case outs == 2:
		ts, err := c.resolve(call.result)
		if err != nil {
			c.errorf("%s result: %v", name, err)
			return
		}
		c.compare(m.Type.Out(0), ts, name+" result", toUI)
	case outs > 2:
		c.errorf("%s returns %d values; a bound method returns (T, error) or error", name, outs)
	}
}

var (
	rawMessageT = reflect.TypeFor[json.RawMessage]()
	timeT       = reflect.TypeFor[time.Time]()
	marshalerT  = reflect.TypeFor[json.Marshaler]()
)

// compare reports where the JSON of goT differs from the TypeScript type ts; path says where.
func (c *wireChecker) compare(goT reflect.Type, ts tsType, path string, dir direction) {
	for goT.Kind() == reflect.Pointer {
		goT = goT.Elem()
	}
	want := func(kind string) {
		if ts.kind != kind {
			c.errorf("%s: Go %v is a JSON %s, TypeScript says %s", path, goT, kind, ts.name)
		}
	}
	switch {
	case goT == rawMessageT || goT.Kind() == reflect.Interface:
		return // any JSON: the TypeScript type is the reader's claim on it
	case goT == timeT:
		want("string")
		return
	case goT.Implements(marshalerT) || reflect.PointerTo(goT).Implements(marshalerT):
		c.errorf("%s: Go %v writes its own JSON; teach the wire check its shape", path, goT)
		return
	}
	switch goT.Kind() {
	case reflect.String:
		want("string")
	case reflect.Bool:
		want("boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		want("number")
	case reflect.Slice, reflect.Array:
		if goT.Elem().Kind() == reflect.Uint8 {
			want("string") // base64
			return
		}
		want("array")
		if ts.kind == "array" {
			c.compare(goT.Elem(), *ts.elem, path+"[]", dir)
		}
	case reflect.Map:
		want("record")
		if ts.kind == "record" {
			c.compare(goT.Elem(), *ts.elem, path+"[]", dir)
		}
	case reflect.Struct:
		if ts.kind == "union" {
			for _, v := range ts.variants {
				c.compareStruct(goT, v, path+"("+v.name+")", dir, variant)
			}
			return
		}
		want("object")
		if ts.kind == "object" {
			how := view
			if c.records[ts.name] {
				how = recordKeys
			}
			c.compareStruct(goT, ts, path, dir, how)
		}
	default:
		c.errorf("%s: Go %v has no JSON form", path, goT)
	}
}

// goField is one key of a Go struct's JSON.
type goField struct {
	key      string
	optional bool
	typ      reflect.Type
}

// jsonFields lists the keys encoding/json writes for a struct, embedded structs flattened.
func jsonFields(goT reflect.Type) []goField {
	var out []goField
	for i := range goT.NumField() {
		f := goT.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		out = append(out, goField{key: name, optional: optional, typ: f.Type})
	}
	return out
}

// declared says how completely a TypeScript object type declares a Go struct's JSON.
type declared int

const (
	// view: every key, no more.
	view declared = iota
	// recordKeys: a journal record the UI reads from a span's input or output: the keys it
	// reads (a key declared unknown is not looked into), each one as Go writes it.
	recordKeys
	// variant: one member of a union (a text block, a tool_use block), with the keys of
	// that variant; which of them Go leaves out is the variant's business.
	variant
)

func (c *wireChecker) compareStruct(goT reflect.Type, ts tsType, path string, dir direction, how declared) {
	pair := fmt.Sprintf("%v = %s (%d, %d)", goT, ts.name, dir, how)
	if c.seen[pair] {
		return
	}
	c.seen[pair] = true
	c.structs++
	tsFields := map[string]tsField{}
	for _, f := range ts.fields {
		tsFields[f.name] = f
	}
	goKeys := map[string]bool{}
	for _, f := range jsonFields(goT) {
		goKeys[f.key] = true
		at := path + "." + f.key
		if !snakeKey.MatchString(f.key) {
			c.errorf("%s: key %q of Go %v is not snake_case, the one key case of the UI's views", at, f.key, goT)
		}
		tf, ok := tsFields[f.key]
		if !ok && how != view {
			continue
		}
		if !ok {
			c.errorf("%s: %q is sent but missing from TypeScript %s (Go %v)", at, f.key, ts.name, goT)
			continue
		}
		if dir == toUI && how != variant && f.optional && !tf.optional {
			c.errorf("%s: %q may be left out (omitempty in Go %v), so TypeScript %s must mark it optional (%s?)", at, f.key, goT, ts.name, f.key)
		}
		tt, err := c.resolve(tf.typ)
		if err != nil {
			c.errorf("%s: %v", at, err)
			continue
		}
		if how == recordKeys && tt.kind == "unknown" {
			continue
		}
		c.compare(f.typ, tt, at, dir)
	}
	var extra []string
	for name := range tsFields {
		if !goKeys[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		c.errorf("%s.%s: %q is declared but not in the JSON of Go %v (TypeScript %s)", path, name, name, goT, ts.name)
	}
}

// TestRunEventTypes: the run event types the UI knows (events.ts RUN_EVENT_TYPES and
// isLossyEvent) are the agent's (the EventType constants of backend/agent/event.go and
// EventType.Lossy), so an event the backend adds is one the UI applies or knowingly skips.
func TestRunEventTypes(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "backend", "agent", "event.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var goTypes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "EventType" || len(v.Values) != 1 {
				continue
			}
			lit, ok := v.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			name, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			goTypes = append(goTypes, name)
		}
	}
	src := readLib(t, "events.ts")
	list := regexp.MustCompile(`(?s)RUN_EVENT_TYPES: readonly RunEventType\[\] = \[(.*?)\];`).FindStringSubmatch(src)
	lossy := regexp.MustCompile(`(?s)export function isLossyEvent\(type: RunEventType\): boolean \{(.*?)\n\}`).FindStringSubmatch(src)
	if len(goTypes) < 10 || list == nil || lossy == nil {
		t.Fatalf("parsed %d Go event types; RUN_EVENT_TYPES found %v, isLossyEvent found %v", len(goTypes), list != nil, lossy != nil)
	}
	quoted := regexp.MustCompile(`'([a-z.]+)'`)
	var tsTypes, tsLossy []string
	for _, m := range quoted.FindAllStringSubmatch(list[1], -1) {
		tsTypes = append(tsTypes, m[1])
	}
	for _, m := range quoted.FindAllStringSubmatch(lossy[1], -1) {
		tsLossy = append(tsLossy, m[1])
	}
	var goLossy []string
	for _, name := range goTypes {
		if agent.EventType(name).Lossy() {
			goLossy = append(goLossy, name)
		}
	}
	slices.Sort(goTypes)
	slices.Sort(tsTypes)
	slices.Sort(goLossy)
	slices.Sort(tsLossy)
	if !slices.Equal(goTypes, tsTypes) {
		t.Errorf("agent event types %q, events.ts RUN_EVENT_TYPES %q: they must be the same", goTypes, tsTypes)
	}
	if !slices.Equal(goLossy, tsLossy) {
		t.Errorf("agent lossy event types %q, events.ts isLossyEvent %q: they must be the same", goLossy, tsLossy)
	}
}
