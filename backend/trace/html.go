package trace

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/llm"
	"github.com/corral-dev/corral/backend/record"
)

// The report is one file that opens anywhere, offline: its CSS and script are
// inline and it names no URL, so that it loads nothing and, viewed in a
// browser, sends nothing. All content goes through html/template escaping.

//go:embed report.html.tmpl
var reportSource string

var reportTemplate = template.Must(template.New("report").Parse(reportSource))

// maxShown caps a record shown in a span's details; the transcript shows
// content in full.
const maxShown = 64 << 10

type (
	pageView struct {
		Title      string
		ExportedAt string
		Omitted    bool
		Session    journal.Session
		Runs       []runView
	}
	runView struct {
		Info     RunInfo
		TraceID  string
		Started  string
		Duration string
		Tokens   string
		Cost     string
		Graph    template.HTML
		Timeline template.HTML
		// Spans and Transcript are made as the template reaches each entry, so a long run's
		// report is never whole in memory (hundreds of megabytes at 100,000 steps).
		Spans      iter.Seq[spanView]
		Transcript iter.Seq[entryView]
	}
	spanView struct {
		Anchor, Kind, Class string
		// Summary is the one-line description; Body the attributes, error,
		// input and output as text.
		Summary, Body string
	}
	entryView struct {
		Kind    string // prompt, system, assistant, tool, error, note
		Anchor  string
		Seq     int
		Title   string
		Text    string
		Calls   []callView
		IsError bool
	}
	callView struct{ Name, ID, Input string }
)

// writeHTML renders the report of a sanitized bundle and its traces.
func writeHTML(w io.Writer, b Bundle, traces []Trace) error {
	page := pageView{
		Title:      b.Session.Title,
		ExportedAt: b.ExportedAt.Format(time.RFC3339),
		Omitted:    b.Content == ContentOmitted,
		Session:    b.Session,
	}
	if page.Title == "" {
		page.Title = "Corral trace"
	}
	for i, h := range b.Runs {
		page.Runs = append(page.Runs, runPage(traces[i], h))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := reportTemplate.Execute(bw, page); err != nil {
		return fmt.Errorf("trace: write HTML: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("trace: write HTML: %w", err)
	}
	return nil
}

func runPage(t Trace, h History) runView {
	root := t.Spans[0]
	rv := runView{
		Info: t.Run, TraceID: t.ID,
		Started:  root.Start.Format(time.RFC3339),
		Duration: formatDuration(root.Duration()),
		Tokens:   formatTokens(t.Run.Usage),
		Cost:     formatCost(t.Run.CostUSD),
		Graph:    graph(t),
		Timeline: timeline(t),
	}
	rv.Spans = func(yield func(spanView) bool) {
		for _, s := range t.Spans {
			if !yield(spanPage(s)) {
				return
			}
		}
	}
	rv.Transcript = func(yield func(entryView) bool) { transcript(t, h, yield) }
	return rv
}

func anchor(s Span) string { return "span-" + s.ID }

func spanClass(s Span) string {
	c := "k-" + string(s.Kind)
	if s.Status == StatusError || s.Attributes[attrErrorType] == "tool_error" {
		c += " err"
	}
	if s.Status == StatusUnfinished {
		c += " open"
	}
	return c
}

func spanPage(s Span) spanView {
	var sum strings.Builder
	if s.Seq > 0 {
		fmt.Fprintf(&sum, "#%d ", s.Seq)
	}
	sum.WriteString(s.Name)
	sum.WriteString(" · " + string(s.Status) + " · ")
	if s.End.IsZero() {
		sum.WriteString("unfinished")
	} else {
		sum.WriteString(formatDuration(s.Duration()))
	}
	for _, part := range []string{formatTokens(s.Usage), formatCost(s.CostUSD)} {
		if part != "" {
			sum.WriteString(" · " + part)
		}
	}

	keys := make([]string, 0, len(s.Attributes))
	for k := range s.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("start = " + s.Start.Format("15:04:05.000000") + "\n")
	for _, k := range keys {
		b.WriteString(k + " = " + attrString(s.Attributes[k]) + "\n")
	}
	for _, part := range []struct{ name, text string }{{"error", s.Error}, {"input", shown(s.Input)}, {"output", shown(s.Output)}} {
		if part.text != "" {
			b.WriteString("\n--- " + part.name + " ---\n" + part.text + "\n")
		}
	}
	return spanView{Anchor: anchor(s), Kind: string(s.Kind), Class: spanClass(s), Summary: sum.String(), Body: b.String()}
}

func attrString(v any) string {
	switch v := v.(type) {
	case []string:
		return strings.Join(v, ", ")
	case float64:
		return fmt.Sprintf("%.6g", v)
	}
	return fmt.Sprint(v)
}

// shown is a record as indented JSON, cut at maxShown.
func shown(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	s := string(raw)
	if len(raw) <= maxShown && json.Indent(&buf, raw, "", "  ") == nil {
		s = unescapeHTML(buf.String())
	}
	if len(s) > maxShown {
		s = s[:maxShown] + fmt.Sprintf("\n... (%d bytes in all)", len(raw))
	}
	return s
}

// unescapeHTML undoes the \u003c, \u003e and \u0026 escapes Go's JSON
// encoder writes for <, > and &, for reading; html/template escapes the
// result for the page.
func unescapeHTML(s string) string {
	if !strings.Contains(s, `\u00`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+5 < len(s) {
			switch s[i+1 : i+6] {
			case "u003c":
				b.WriteByte('<')
				i += 5
				continue
			case "u003e":
				b.WriteByte('>')
				i += 5
				continue
			case "u0026":
				b.WriteByte('&')
				i += 5
				continue
			}
		}
		if i+1 < len(s) { // any other escape stays as it is, with its escaped character
			b.WriteString(s[i : i+2])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

const (
	rowHeight = 26
	graphTop  = 18
)

// The graph and the timeline have a row per span, so a long run has tens of
// thousands of them: they are written here rather than by the template, which
// would cost a reflective call per attribute. Every string from the trace goes
// through template.HTMLEscapeString, which is safe in element text and in
// quoted attribute values alike; the rest are numbers and fixed class names.

// graph draws the spans as a vertical tree: one row per span in order,
// indented by depth, each joined to its parent; dashed arcs join a model call
// to the tool calls it requested.
func graph(t Trace) template.HTML {
	const width, labelX, linkX = 960, 124, 96
	height := graphTop*2 + len(t.Spans)*rowHeight
	var edges, links, nodes strings.Builder
	depth := make(map[string]int, len(t.Spans))
	row := make(map[string]int, len(t.Spans))
	lastChild := map[string]int{} // parent -> row of its latest child so far
	for i, s := range t.Spans {
		d := 0
		if s.ParentID != "" {
			d = depth[s.ParentID] + 1
		}
		depth[s.ID], row[s.ID] = d, i
		x, y := 16+d*24, graphTop+i*rowHeight
		if p, ok := row[s.ParentID]; ok && s.ParentID != "" {
			from := graphTop + p*rowHeight + 6
			if last, ok := lastChild[s.ParentID]; ok {
				from = graphTop + last*rowHeight
			}
			fmt.Fprintf(&edges, "<path class=\"edge\" d=\"M%d %d V%d H%d\"/>\n", 16+depth[s.ParentID]*24, from, y, x-6)
			lastChild[s.ParentID] = i
		}
		if r, ok := row[s.RequestedBy]; ok && s.RequestedBy != "" {
			y1 := graphTop + r*rowHeight
			bend := linkX + min((i-r)*2, 20)
			fmt.Fprintf(&links, "<path class=\"link\" d=\"M46 %d C%d %d %d %d 46 %d\"/>\n", y1, bend, y1, bend, y, y)
		}
		mark := fmt.Sprintf("<circle class=\"%s\" cx=\"%d\" cy=\"%d\" r=\"6\"/>", spanClass(s), x, y)
		if s.Kind == KindResume { // a point in time, not an operation: a diamond
			mark = fmt.Sprintf("<path class=\"%s\" d=\"M%d %dl7 7-7 7-7-7z\"/>", spanClass(s), x, y-7)
		}
		fmt.Fprintf(&nodes, "<a href=\"#%s\">%s<text x=\"%d\" y=\"%d\" dy=\"4\">%s</text><text class=\"detail\" x=\"%d\" y=\"%d\" dy=\"4\">%s</text></a>\n",
			esc(anchor(s)), mark, labelX, y, esc(s.Name), labelX+300, y, esc(nodeDetail(s)))
	}
	return template.HTML(fmt.Sprintf("<svg class=\"graph\" role=\"img\" aria-label=\"span graph\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n%s%s%s</svg>",
		width, height, width, height, edges.String(), links.String(), nodes.String()))
}

var esc = template.HTMLEscapeString

func nodeDetail(s Span) string {
	if s.Kind == KindResume {
		return fmt.Sprintf("after step #%v", s.Attributes[attrResumeAfter])
	}
	var parts []string
	if s.End.IsZero() {
		parts = append(parts, "unfinished")
	} else {
		parts = append(parts, formatDuration(s.Duration()))
	}
	if s.Usage != (llm.Usage{}) {
		parts = append(parts, formatTokens(s.Usage))
	}
	if s.Status == StatusError {
		parts = append(parts, "failed")
	}
	if code, ok := s.Attributes[attrExitCode]; ok {
		parts = append(parts, fmt.Sprintf("exit %v", code))
	}
	return strings.Join(parts, " · ")
}

// timeline draws a bar per span on a common time axis.
func timeline(t Trace) template.HTML {
	const labelW, barW = 300, 640
	width, height := labelW+barW+20, 30+len(t.Spans)*rowHeight
	var t0, t1 time.Time
	for _, s := range t.Spans {
		for _, at := range []time.Time{s.Start, s.End} {
			if at.IsZero() {
				continue
			}
			if t0.IsZero() || at.Before(t0) {
				t0 = at
			}
			if at.After(t1) {
				t1 = at
			}
		}
	}
	total := t1.Sub(t0)
	if total <= 0 {
		total = time.Millisecond
	}
	pos := func(at time.Time) float64 { return labelW + float64(at.Sub(t0))/float64(total)*barW }
	var b strings.Builder
	fmt.Fprintf(&b, "<svg class=\"timeline\" role=\"img\" aria-label=\"span timeline\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width, height)
	for i := 0; i <= 4; i++ {
		at := t0.Add(total * time.Duration(i) / 4)
		fmt.Fprintf(&b, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"14\" y2=\"%d\"/><text class=\"detail\" x=\"%.1f\" y=\"11\" text-anchor=\"middle\">%s</text>\n",
			pos(at), pos(at), height, pos(at), esc(formatDuration(at.Sub(t0))))
	}
	for _, s := range t.Spans {
		if s.Kind == KindResume && !s.Start.IsZero() {
			fmt.Fprintf(&b, "<line class=\"resume\" x1=\"%.1f\" x2=\"%.1f\" y1=\"14\" y2=\"%d\"><title>%s</title></line>\n",
				pos(s.Start), pos(s.Start), height, esc(s.Name+", "+nodeDetail(s)))
		}
	}
	for i, s := range t.Spans {
		start, end := s.Start, s.End
		if start.IsZero() {
			start = t0
		}
		if end.IsZero() {
			end = t1
		}
		x := pos(start)
		w := max(pos(end)-x, 1.5)
		y := 24 + i*rowHeight
		label := strings.Repeat("  ", spanDepth(s)) + s.Name
		if len(label) > 44 {
			label = strings.ToValidUTF8(label[:43], "") + "…"
		}
		title := fmt.Sprintf("%s: %s from %s", s.Name, nodeDetail(s), formatDuration(start.Sub(t0)))
		fmt.Fprintf(&b, "<a href=\"#%s\"><title>%s</title><text x=\"4\" y=\"%d\">%s</text><rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"16\" rx=\"2\"/></a>\n",
			esc(anchor(s)), esc(title), y+13, esc(label), spanClass(s), x, y, w)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func spanDepth(s Span) int {
	switch {
	case s.ParentID == "":
		return 0
	case s.Kind == KindCommand:
		return 2
	}
	return 1
}

// resumeEntry tells where the run went on after it had stopped.
func resumeEntry(s Span) entryView {
	return entryView{Kind: "resume", Anchor: anchor(s), Title: "Resumed (" + attrString(s.Attributes[attrResumeReason]) + ")",
		Text: fmt.Sprintf("The run stopped after step #%v and was driven again from there: steps already completed were replayed from the journal, not run again.", s.Attributes[attrResumeAfter])}
}

// transcript tells the run as a conversation, an entry at a time to yield: the prompt, each
// model response with its tool calls, each tool result, and failures.
func transcript(t Trace, h History, yield func(entryView) bool) {
	spanOf := map[int]Span{}
	var resumes []Span // in the order the trace places them
	for _, s := range t.Spans {
		switch {
		case s.Kind == KindResume:
			resumes = append(resumes, s)
		case s.Seq > 0 && s.Kind != KindCommand:
			spanOf[s.Seq] = s
		}
	}
	if !yield(entryView{Kind: "prompt", Title: "Prompt", Text: h.Run.Prompt, Anchor: anchor(t.Spans[0])}) {
		return
	}
	for _, st := range h.Steps {
		for len(resumes) > 0 && resumeAfter(resumes[0]) < st.Seq {
			if !yield(resumeEntry(resumes[0])) {
				return
			}
			resumes = resumes[1:]
		}
		e := entryView{Seq: st.Seq, Anchor: anchor(spanOf[st.Seq])}
		switch {
		case st.Status == journal.StepStarted:
			e.Kind, e.Title, e.IsError = "error", fmt.Sprintf("%s %s never finished", st.Kind, st.Name), true
			e.Text = "The step was started and was cut off before it recorded a result."
		case st.Status == journal.StepFailed:
			e.Kind, e.Title, e.IsError, e.Text = "error", fmt.Sprintf("%s %s failed", st.Kind, st.Name), true, st.Error
		case st.Kind == record.KindConfig:
			cfg, _ := record.DecodeConfig(st.Output) // an unreadable config shows what could be read
			e.Kind, e.Title = "system", fmt.Sprintf("Configuration: agent %s, %s %s, %d tools, %d earlier messages", cfg.Agent, cfg.Provider, cfg.Model, len(cfg.Tools), len(cfg.History))
			e.Text = cfg.System
		case st.Kind == record.KindLLM:
			resp, err := record.DecodeModelOutput(st.Output)
			if err != nil {
				e.Kind, e.Title, e.Text = "note", "Model response", string(st.Output)
				break
			}
			e.Kind, e.Title = "assistant", "Assistant"
			if resp.Model != "" {
				e.Title += " (" + resp.Model + ")"
			}
			var text []string
			for _, b := range resp.Content {
				switch b.Type {
				case llm.BlockText:
					text = append(text, b.Text)
				case llm.BlockToolUse:
					in := shown(b.Input)
					if b.InputError != "" {
						in = b.RawInput + "\n(" + b.InputError + ")"
					}
					e.Calls = append(e.Calls, callView{Name: b.Name, ID: b.ID, Input: in})
				}
			}
			e.Text = strings.Join(text, "\n\n")
		case st.Kind == record.KindTool:
			res, err := record.DecodeToolOutput(st.Output)
			if err != nil {
				e.Kind, e.Title, e.Text = "tool", "Result of "+st.Name, string(st.Output)
				break
			}
			e.Kind, e.Title, e.Text, e.IsError = "tool", "Result of "+st.Name, res.Content, res.IsError
			if res.Meta.ExitCode != nil {
				e.Title += fmt.Sprintf(" (exit %d)", *res.Meta.ExitCode)
			}
		case st.Kind == record.KindApproval:
			e.Kind, e.Title, e.Text = approvalEntry(st)
		default:
			e.Kind, e.Title, e.Text = "note", st.Kind+" "+st.Name, shown(st.Output)
		}
		if !yield(e) {
			return
		}
	}
	for _, s := range resumes {
		if !yield(resumeEntry(s)) {
			return
		}
	}
}

func resumeAfter(s Span) int {
	n, _ := s.Attributes[attrResumeAfter].(int64)
	return int(n)
}

// approvalEntry tells how a tool call passed its gate.
func approvalEntry(st journal.Step) (kind, title, text string) {
	rec, err := record.DecodeGate(st.Output)
	if err != nil {
		return "note", "Approval of " + st.Name, shown(st.Output)
	}
	verdict := "allowed by policy or rule"
	switch {
	case rec.Answer != nil && rec.Answer.Kind == "edit":
		verdict = "approved with edits"
	case rec.Answer != nil && rec.Outcome.Run:
		verdict = "approved"
	case rec.Answer != nil:
		verdict = "denied"
	case !rec.Outcome.Run:
		verdict = "denied by policy or rule"
	}
	if rec.Answer != nil && rec.Answer.By != "" {
		verdict += " (" + rec.Answer.By + ")"
	}
	text = rec.Assessment.Reason
	if rec.Outcome.Refusal != "" {
		text = strings.TrimSpace(text + "\n" + rec.Outcome.Refusal)
	}
	return "approval", "Approval of " + st.Name + ": " + verdict, text
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 ms"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func formatTokens(u llm.Usage) string {
	if u == (llm.Usage{}) {
		return ""
	}
	s := fmt.Sprintf("%d in / %d out", u.InputTokens+u.CacheReadTokens+u.CacheWriteTokens, u.OutputTokens)
	if u.CacheReadTokens > 0 {
		s += fmt.Sprintf(" (%d cached)", u.CacheReadTokens)
	}
	return s
}

func formatCost(c float64) string {
	if c == 0 {
		return ""
	}
	return fmt.Sprintf("$%.4f", c)
}
