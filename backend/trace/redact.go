package trace

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// Redacted replaces a secret in an export.
const Redacted = "[REDACTED]"

// Omitted replaces every free-text string of an export made with
// [Options.NoContent].
const Omitted = "[omitted]"

// Options control what an export lets out. Secrets matching the built-in
// patterns are always redacted: API keys and tokens (sk-ant-..., sk-...,
// ghp_..., github_pat_..., xox?-..., AKIA...), Bearer tokens, private key
// blocks, and the values of variables whose name contains KEY, TOKEN, SECRET,
// PASSWORD, PASSWD or CREDENTIAL, written NAME=value, "NAME": "value" or as
// such a member of a JSON object.
type Options struct {
	// Redact adds patterns; each match is replaced by [Redacted].
	Redact []*regexp.Regexp
	// NoContent exports structure, timings, tokens and costs without prompts,
	// messages, tool inputs and outputs or file contents: every string is
	// replaced by [Omitted] except ids, names, kinds, models and stop reasons.
	NoContent bool
	// Now stamps the export; nil means time.Now.
	Now func() time.Time
}

// Literals returns patterns that match each of values exactly, for
// [Options.Redact]: secrets known by value, such as saved API keys.
func Literals(values []string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, 0, len(values))
	for _, v := range values {
		out = append(out, regexp.MustCompile(regexp.QuoteMeta(v)))
	}
	return out
}

// rule is a built-in secret pattern. hints are literals one of which must be
// in a string for the pattern to be tried, which keeps redaction cheap on the
// many strings that hold no secret.
type rule struct {
	re    *regexp.Regexp
	hints []string
	repl  string
}

var rules = []rule{
	{regexp.MustCompile(`-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\z)`), []string{"PRIVATE KEY-----"}, Redacted},
	{regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]{8,}`), []string{"sk-ant-"}, Redacted},
	{regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{16,}`), []string{"sk-"}, Redacted},
	{regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{20,}`), []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, Redacted},
	{regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}`), []string{"github_pat_"}, Redacted},
	{regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9\-]{8,}`), []string{"xox"}, Redacted},
	{regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), []string{"AKIA", "ASIA"}, Redacted},
	{regexp.MustCompile(`(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*`), []string{"Bearer", "bearer", "BEARER"}, "${1} " + Redacted},
}

// secretWords are what a variable's name must contain for its value to be
// redacted.
var secretWords = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"}

// secretName reports whether a variable or member name names a secret.
func secretName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	up := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(up, w) {
			return true
		}
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// redactor applies the built-in rules and the caller's patterns.
type redactor struct {
	user      []*regexp.Regexp
	noContent bool
}

// text redacts the secrets in free text.
func (r *redactor) text(s string) string {
	if s == "" {
		return s
	}
	for _, ru := range rules {
		for _, h := range ru.hints {
			if strings.Contains(s, h) {
				s = ru.re.ReplaceAllString(s, ru.repl)
				break
			}
		}
	}
	if strings.IndexByte(s, '=') >= 0 {
		s = redactAssignments(s)
	}
	if strings.Contains(s, `":`) || strings.Contains(s, `" :`) {
		s = redactMembers(s)
	}
	for _, re := range r.user {
		s = re.ReplaceAllString(s, Redacted)
	}
	return s
}

// content is text for a prompt or message: omitted entirely with NoContent.
func (r *redactor) content(s string) string {
	if r.noContent && s != "" {
		return Omitted
	}
	return r.text(s)
}

// structural keys keep their string values in a NoContent export: they name
// things rather than say them.
var structural = map[string]bool{
	"type": true, "id": true, "name": true, "model": true, "stop_reason": true, "tool_use_id": true,
	"role": true, "provider": true, "agent": true, "sandbox": true, "tools": true, "kind": true, "decision": true,
}

// json redacts a recorded input or output: every string of a JSON value (a
// record that is not JSON is redacted as text). Bytes without anything to
// redact are returned unchanged.
func (r *redactor) json(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	if !json.Valid(b) {
		return []byte(r.content(string(b)))
	}
	out, _ := rewriteStrings(b, func(key, s string, isKey bool) (string, bool) {
		switch {
		case s == "":
			return s, false
		case isKey:
			return r.text(s), true
		case r.noContent && !structural[key]:
			return Omitted, true
		case secretName(key):
			return Redacted, true
		}
		return r.text(s), true
	})
	return out
}

// redactAssignments replaces the value of NAME=value when NAME names a
// secret: unquoted up to a space or shell punctuation, or quoted.
func redactAssignments(s string) string {
	var b strings.Builder
	done := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		k := i
		for k > 0 && isIdent(s[k-1]) {
			k--
		}
		if !secretName(s[k:i]) {
			continue
		}
		start, end := valueSpan(s, i+1, " \t\r\n\"'`&;|,)}<>")
		if end <= start || s[start:end] == Redacted {
			continue
		}
		b.WriteString(s[done:start])
		b.WriteString(Redacted)
		done, i = end, end-1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// redactMembers replaces the value of "NAME": "value" when NAME names a
// secret, as in a JSON or YAML file read by a tool.
func redactMembers(s string) string {
	var b strings.Builder
	done := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		q := i - 1
		for q >= 0 && (s[q] == ' ' || s[q] == '\t') {
			q--
		}
		if q < 1 || s[q] != '"' {
			continue
		}
		k := q
		for k > 0 && isIdent(s[k-1]) {
			k--
		}
		if k == 0 || s[k-1] != '"' || !secretName(s[k:q]) {
			continue
		}
		v := i + 1
		for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
			v++
		}
		if v >= len(s) || s[v] != '"' {
			continue
		}
		start, end := valueSpan(s, v, "")
		if end <= start || s[start:end] == Redacted {
			continue
		}
		b.WriteString(s[done:start])
		b.WriteString(Redacted)
		done, i = end, end-1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// valueSpan returns the value starting at s[at]: inside its quotes if it is
// quoted (a backslash escapes the next character), else up to a byte in stop.
func valueSpan(s string, at int, stop string) (start, end int) {
	if at >= len(s) {
		return at, at
	}
	if q := s[at]; q == '"' || q == '\'' {
		for j := at + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case q:
				return at + 1, j
			}
		}
		return at + 1, len(s)
	}
	end = at
	for end < len(s) && strings.IndexByte(stop, s[end]) < 0 {
		end++
	}
	return at, end
}

// sanitize returns a copy of b ready to leave the machine: secrets redacted
// and, with NoContent, content omitted. b is not changed.
func sanitize(b Bundle, opts Options) Bundle {
	r := &redactor{user: opts.Redact, noContent: opts.NoContent}
	out := b
	out.Version = Version
	out.Content = ContentFull
	if opts.NoContent || b.Content == ContentOmitted {
		out.Content = ContentOmitted
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	out.ExportedAt = now().UTC()
	out.Session.Title = r.content(b.Session.Title)
	out.Runs = make([]History, len(b.Runs))
	for i, h := range b.Runs {
		run := h.Run
		run.Prompt = r.content(run.Prompt)
		run.Error = r.text(run.Error)
		steps := make([]journal.Step, len(h.Steps))
		for j, st := range h.Steps {
			st.Name = r.text(st.Name)
			st.Error = r.text(st.Error)
			st.Input = r.json(st.Input)
			st.Output = r.json(st.Output)
			steps[j] = st
		}
		// A resume's reason is a word Corral chose ("interrupted"), like a step's kind.
		out.Runs[i] = History{Run: run, Steps: steps, Resumes: h.Resumes, Restores: exportedRestores(h.Restores, r)}
	}
	return out
}
