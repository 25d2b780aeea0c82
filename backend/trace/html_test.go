package trace_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/corral-dev/corral/backend/trace"
)

func renderHTML(t *testing.T, b trace.Bundle, opts trace.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := trace.Export(&buf, b, trace.FormatHTML, opts); err != nil {
		t.Fatalf("Export(html) = %v", err)
	}
	return buf.String()
}

func TestHTMLStructure(t *testing.T) {
	t.Parallel()
	b := testBundle()
	page := renderHTML(t, b, trace.Options{})
	tr, _ := trace.Build(b.Runs[0].Run, b.Runs[0].Steps)
	for _, want := range []string{
		"<!DOCTYPE html>", `<svg class="graph"`, `<svg class="timeline"`, `<div class="transcript">`,
		"invoke_agent coder", "chat claude-sonnet-4", "execute_tool exec", "sandbox.exec", "approval exec",
		"Tests fail.", "calls <span class=\"name\">exec</span>", "make test", "FAIL", tr.ID,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, s := range tr.Spans {
		if !strings.Contains(page, `id="span-`+s.ID+`"`) || !strings.Contains(page, `href="#span-`+s.ID+`"`) {
			t.Errorf("report lacks the details of span %s or a link to them", s.Name)
		}
	}
	if n := strings.Count(page, "<circle "); n != len(tr.Spans) {
		t.Errorf("graph has %d nodes, want one per span (%d)", n, len(tr.Spans))
	}
	if n := strings.Count(page, "<rect "); n != len(tr.Spans) {
		t.Errorf("timeline has %d bars, want one per span (%d)", n, len(tr.Spans))
	}
}

var (
	urlPattern  = regexp.MustCompile(`https?://`)
	liveURL     = regexp.MustCompile(`(?i)(src|href|action|xmlns|poster|data)\s*=\s*["']?\s*(https?:|//)`)
	fetchesHTML = regexp.MustCompile(`(?i)<(link|iframe|img|object|embed|base|meta http-equiv)\b|@import|url\(`)
)

// TestHTMLSelfContained checks that the report loads nothing: no URL of its
// own, and the URLs and markup in user content come out as escaped text.
func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	b := testBundle()
	clean := renderHTML(t, b, trace.Options{})
	if urlPattern.MatchString(clean) {
		t.Errorf("report without URLs in its content has %q", urlPattern.FindString(clean))
	}

	hostile := `<script src="https://evil.example/x.js"></script><img src=x onerror=alert(1)> "><a href="http://evil.example">x</a> </pre></details></svg>`
	b.Runs[0].Run.Prompt = hostile
	b.Session.Title = hostile
	st := &b.Runs[0].Steps[2]
	st.Output = []byte(`{"content":"` + strings.ReplaceAll(hostile, `"`, `\"`) + `","is_error":true,"meta":{"exit_code":1}}`)
	st.Name = `exec<script>`
	page := renderHTML(t, b, trace.Options{})
	for _, bad := range []string{"<script src", "<img src=x", `<a href="http`, "</pre></details></svg>", "exec<script>"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains unescaped user content %q", bad)
		}
	}
	if m := liveURL.FindString(page); m != "" {
		t.Errorf("report has a live URL attribute %q", m)
	}
	if m := fetchesHTML.FindString(page); m != "" {
		t.Errorf("report has an element or rule that fetches: %q", m)
	}
	// Every URL left is user content, escaped: each sits between text
	// escapes, never in a tag.
	for _, loc := range urlPattern.FindAllStringIndex(page, -1) {
		before := page[max(0, loc[0]-40):loc[0]]
		if strings.LastIndex(before, "<") > strings.LastIndex(before, ">") {
			t.Errorf("URL inside a tag: %q", page[max(0, loc[0]-40):loc[1]+20])
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("report has %d script elements, want only its own", n)
	}
}

func TestHTMLNoContent(t *testing.T) {
	t.Parallel()
	page := renderHTML(t, testBundle(), trace.Options{NoContent: true})
	for _, secret := range []string{"fix it", "make test", "package a", "Tests fail.", "be brief", "Running."} {
		if strings.Contains(page, secret) {
			t.Errorf("NoContent report contains %q", secret)
		}
	}
	for _, want := range []string{"Exported without content", "execute_tool exec", "chat claude-sonnet-4", trace.Omitted} {
		if !strings.Contains(page, want) {
			t.Errorf("NoContent report lacks %q", want)
		}
	}
}
