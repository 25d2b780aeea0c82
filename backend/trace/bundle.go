package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/corral-dev/corral/backend/journal"
)

// BundleFormat is the "format" member of a bundle file.
const BundleFormat = "corral.trace"

// The JSON form of a bundle; see docs/trace-bundle.md. Field names are part
// of the file format: change them only with a new Version.
type (
	wireBundle struct {
		Format     string      `json:"format"`
		Version    int         `json:"version"`
		ExportedAt time.Time   `json:"exported_at"`
		Content    Content     `json:"content"`
		Session    wireSession `json:"session"`
		Runs       []wireRun   `json:"runs"`
	}
	wireSession struct {
		ID        string    `json:"id"`
		Title     string    `json:"title"`
		Workspace string    `json:"workspace"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	wireRun struct {
		Run     wireRunInfo  `json:"run"`
		Steps   []wireStep   `json:"steps"`
		Resumes []wireResume `json:"resumes,omitempty"`
		// Restores (added in version 1 files by later releases; older readers ignore them).
		Restores []wireRestore `json:"restores,omitempty"`
	}
	wireRestore struct {
		At       time.Time `json:"at"`
		Seq      int       `json:"seq"`
		Phase    string    `json:"phase"`
		Changed  int       `json:"changed"`
		Git      bool      `json:"git,omitempty"`
		Warnings []string  `json:"warnings,omitempty"`
	}
	wireResume struct {
		At       time.Time `json:"at"`
		AfterSeq int       `json:"after_seq"`
		Reason   string    `json:"reason"`
	}
	wireRunInfo struct {
		ID        string    `json:"id"`
		SessionID string    `json:"session_id"`
		Agent     string    `json:"agent"`
		Prompt    string    `json:"prompt"`
		Status    string    `json:"status"`
		Workspace string    `json:"workspace"`
		Sandbox   string    `json:"sandbox"`
		Error     string    `json:"error,omitempty"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
		// ParentRunID and ParentSeq link a subagent's run to the run and step that
		// started it; absent for a run a person started.
		ParentRunID string `json:"parent_run_id,omitempty"`
		ParentSeq   int    `json:"parent_seq,omitempty"`
	}
	wireStep struct {
		Seq          int             `json:"seq"`
		Name         string          `json:"name"`
		Kind         string          `json:"kind"`
		Status       string          `json:"status"`
		Idempotent   bool            `json:"idempotent"`
		Attempt      int             `json:"attempt"`
		Resolution   string          `json:"resolution,omitempty"`
		RerunPending bool            `json:"rerun_pending,omitempty"`
		Input        json.RawMessage `json:"input,omitempty"`
		InputBase64  []byte          `json:"input_base64,omitempty"`
		Output       json.RawMessage `json:"output,omitempty"`
		OutputBase64 []byte          `json:"output_base64,omitempty"`
		Error        string          `json:"error,omitempty"`
		Usage        wireUsage       `json:"usage"`
		CostUSD      float64         `json:"cost_usd"`
		StartedAt    time.Time       `json:"started_at"`
		FinishedAt   time.Time       `json:"finished_at,omitzero"`
	}
	wireUsage struct {
		InputTokens      int64 `json:"input_tokens"`
		OutputTokens     int64 `json:"output_tokens"`
		CacheReadTokens  int64 `json:"cache_read_tokens"`
		CacheWriteTokens int64 `json:"cache_write_tokens"`
	}
)

// writeBundle writes b, as it is, in its JSON form.
func writeBundle(w io.Writer, b Bundle) error {
	wb := wireBundle{
		Format: BundleFormat, Version: Version, ExportedAt: b.ExportedAt, Content: b.Content,
		Session: wireSession{ID: b.Session.ID, Title: b.Session.Title, Workspace: b.Session.Workspace,
			CreatedAt: b.Session.CreatedAt, UpdatedAt: b.Session.UpdatedAt},
		Runs: make([]wireRun, len(b.Runs)),
	}
	var scratch bytes.Buffer
	for i, h := range b.Runs {
		r := h.Run
		wr := wireRun{
			Run: wireRunInfo{ID: r.ID, SessionID: r.SessionID, Agent: r.Agent, Prompt: r.Prompt, Status: string(r.Status),
				Workspace: r.Workspace, Sandbox: r.Sandbox, Error: r.Error, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
				ParentRunID: r.ParentRunID, ParentSeq: r.ParentSeq},
			Steps: make([]wireStep, len(h.Steps)),
		}
		for j, st := range h.Steps {
			ws := wireStep{
				Seq: st.Seq, Name: st.Name, Kind: st.Kind, Status: string(st.Status), Idempotent: st.Idempotent,
				Attempt: st.Attempt, Resolution: string(st.Resolution), RerunPending: st.RerunPending, Error: st.Error,
				Usage: wireUsage{InputTokens: st.Usage.InputTokens, OutputTokens: st.Usage.OutputTokens,
					CacheReadTokens: st.Usage.CacheReadTokens, CacheWriteTokens: st.Usage.CacheWriteTokens},
				CostUSD: st.CostUSD, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt,
			}
			ws.Input, ws.InputBase64 = bundleBytes(st.Input, &scratch)
			ws.Output, ws.OutputBase64 = bundleBytes(st.Output, &scratch)
			wr.Steps[j] = ws
		}
		for _, r := range h.Resumes {
			wr.Resumes = append(wr.Resumes, wireResume{At: r.At, AfterSeq: r.AfterSeq, Reason: r.Reason})
		}
		for _, r := range h.Restores {
			wr.Restores = append(wr.Restores, wireRestore{At: r.At, Seq: r.Seq, Phase: r.Phase, Changed: r.Changed, Git: r.Git, Warnings: r.Warnings})
		}
		wb.Runs[i] = wr
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // keep recorded JSON byte for byte
	if err := enc.Encode(wb); err != nil {
		return fmt.Errorf("trace: write bundle: %w", err)
	}
	return nil
}

// bundleBytes returns a recorded input or output as JSON when it is compact JSON,
// which is kept byte for byte; anything else goes as base64.
func bundleBytes(b []byte, scratch *bytes.Buffer) (json.RawMessage, []byte) {
	if len(b) == 0 {
		return nil, nil
	}
	scratch.Reset()
	if json.Compact(scratch, b) == nil && bytes.Equal(scratch.Bytes(), b) {
		return json.RawMessage(b), nil
	}
	return nil, b
}

// decodeBundle parses and validates a bundle file. It checks the version
// before anything else, so a newer file is reported as such.
func decodeBundle(data []byte, rawVersion json.RawMessage) (Bundle, error) {
	var version int
	if err := json.Unmarshal(rawVersion, &version); err != nil {
		return Bundle{}, invalid("version", "want an integer, got %s", describe(string(rawVersion)))
	}
	switch {
	case version > Version:
		return Bundle{}, fmt.Errorf("%w: bundle version %d; this program reads version %d and older; update Corral", ErrTooNew, version, Version)
	case version < 1:
		return Bundle{}, invalid("version", "%d is not a bundle version", version)
	}
	var wb wireBundle
	if err := json.Unmarshal(data, &wb); err != nil {
		return Bundle{}, syntaxError(data, err)
	}
	if wb.Format != BundleFormat {
		return Bundle{}, fmt.Errorf("%w: format is %q, want %q", ErrUnknownFormat, describe(wb.Format), BundleFormat)
	}
	b := Bundle{
		Version: wb.Version, ExportedAt: wb.ExportedAt, Content: wb.Content,
		Session: journal.Session{ID: wb.Session.ID, Title: wb.Session.Title, Workspace: wb.Session.Workspace,
			CreatedAt: wb.Session.CreatedAt, UpdatedAt: wb.Session.UpdatedAt},
		Runs: make([]History, len(wb.Runs)),
	}
	for i, wr := range wb.Runs {
		r := wr.Run
		h := History{
			Run: journal.Run{ID: r.ID, SessionID: r.SessionID, Agent: r.Agent, Prompt: r.Prompt, Status: journal.RunStatus(r.Status),
				Workspace: r.Workspace, Sandbox: r.Sandbox, Error: r.Error, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
				ParentRunID: r.ParentRunID, ParentSeq: r.ParentSeq},
			Steps: make([]journal.Step, len(wr.Steps)),
		}
		for j, ws := range wr.Steps {
			path := fmt.Sprintf("runs[%d].steps[%d]", i, j)
			if len(ws.Input) > 0 && len(ws.InputBase64) > 0 {
				return Bundle{}, invalid(path, "has both input and input_base64")
			}
			if len(ws.Output) > 0 && len(ws.OutputBase64) > 0 {
				return Bundle{}, invalid(path, "has both output and output_base64")
			}
			h.Steps[j] = journal.Step{
				RunID: r.ID, Seq: ws.Seq, Name: ws.Name, Kind: ws.Kind, Status: journal.StepStatus(ws.Status),
				Idempotent: ws.Idempotent, Attempt: ws.Attempt, Resolution: journal.Action(ws.Resolution),
				RerunPending: ws.RerunPending, Input: either(ws.Input, ws.InputBase64), Output: either(ws.Output, ws.OutputBase64),
				Error: ws.Error, CostUSD: ws.CostUSD, StartedAt: ws.StartedAt, FinishedAt: ws.FinishedAt,
				Usage: journal.Usage{InputTokens: ws.Usage.InputTokens, OutputTokens: ws.Usage.OutputTokens,
					CacheReadTokens: ws.Usage.CacheReadTokens, CacheWriteTokens: ws.Usage.CacheWriteTokens},
			}
		}
		for j, wr := range wr.Resumes {
			h.Resumes = append(h.Resumes, journal.Resume{RunID: r.ID, N: j + 1, At: wr.At, AfterSeq: wr.AfterSeq, Reason: wr.Reason})
		}
		for _, x := range wr.Restores {
			h.Restores = append(h.Restores, journal.Restore{RunID: r.ID, Seq: x.Seq, Phase: x.Phase, Changed: x.Changed, Git: x.Git, Warnings: x.Warnings, At: x.At})
		}
		b.Runs[i] = h
	}
	return b, validate(b)
}

func either(raw json.RawMessage, b64 []byte) []byte {
	if len(raw) > 0 {
		return []byte(raw)
	}
	if len(b64) > 0 {
		return b64
	}
	return nil
}

// Limits on what a file may hold, so that a hostile one is refused before it
// costs memory or reaches the journal.
const (
	// MaxFileBytes is the largest file Read and Import accept.
	MaxFileBytes = 512 << 20
	// MaxDepth is the deepest nesting of JSON objects and arrays accepted.
	MaxDepth = 128

	maxIDBytes     = 128
	maxNameBytes   = 256
	maxPathBytes   = 4 << 10
	maxTitleBytes  = 4 << 10
	maxTextBytes   = 16 << 20
	maxRecordBytes = 256 << 20
	maxRuns        = 10_000
	maxSteps       = 1_000_000
	maxResumes     = 100_000
	maxAttempt     = 1_000_000
)

var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC() // the last instant the journal's nanosecond stamps hold
)

// validate checks everything an import would write, so that a bad file
// changes nothing.
func validate(b Bundle) error {
	if b.Content != ContentFull && b.Content != ContentOmitted {
		return invalid("content", "want %q or %q, got %q", ContentFull, ContentOmitted, describe(string(b.Content)))
	}
	s := b.Session
	if err := firstErr(
		checkID("session.id", s.ID),
		checkLen("session.title", s.Title, maxTitleBytes),
		checkLen("session.workspace", s.Workspace, maxPathBytes),
		checkTime("session.created_at", s.CreatedAt, true),
		checkTime("session.updated_at", s.UpdatedAt, true),
	); err != nil {
		return err
	}
	if len(b.Runs) == 0 {
		return invalid("runs", "the file has no runs")
	}
	if len(b.Runs) > maxRuns {
		return invalid("runs", "%d runs, over the limit of %d", len(b.Runs), maxRuns)
	}
	seen := make(map[string]bool, len(b.Runs))
	for i, h := range b.Runs {
		if err := validateRun(fmt.Sprintf("runs[%d]", i), s.ID, h); err != nil {
			return err
		}
		if seen[h.Run.ID] {
			return invalid(fmt.Sprintf("runs[%d].run.id", i), "run %s appears twice", h.Run.ID)
		}
		seen[h.Run.ID] = true
	}
	return nil
}

func validateRun(path, sessionID string, h History) error {
	r := h.Run
	if err := firstErr(
		checkID(path+".run.id", r.ID),
		checkLen(path+".run.agent", r.Agent, maxNameBytes),
		checkLen(path+".run.prompt", r.Prompt, maxTextBytes),
		checkLen(path+".run.workspace", r.Workspace, maxPathBytes),
		checkLen(path+".run.sandbox", r.Sandbox, maxNameBytes),
		checkLen(path+".run.error", r.Error, maxTextBytes),
		checkTime(path+".run.created_at", r.CreatedAt, true),
		checkTime(path+".run.updated_at", r.UpdatedAt, true),
	); err != nil {
		return err
	}
	if r.SessionID != sessionID {
		return invalid(path+".run.session_id", "%q is not the file's session %q", describe(r.SessionID), sessionID)
	}
	if !r.Status.Valid() {
		return invalid(path+".run.status", "unknown run status %q", describe(string(r.Status)))
	}
	if len(h.Steps) > maxSteps {
		return invalid(path+".steps", "%d steps, over the limit of %d", len(h.Steps), maxSteps)
	}
	prev := 0
	for j, st := range h.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", path, j)
		if st.Seq <= prev {
			return invalid(sp+".seq", "%d after %d; seq must increase from 1", st.Seq, prev)
		}
		prev = st.Seq
		if err := validateStep(sp, st); err != nil {
			return err
		}
	}
	if err := validateResumes(path, h); err != nil {
		return err
	}
	return validateRestores(path, h)
}

// validateResumes checks a run's resumes: each after a step of the run (or
// none), in the order the run went, with a time and a reason.
func validateResumes(path string, h History) error {
	if len(h.Resumes) > maxResumes {
		return invalid(path+".resumes", "%d resumes, over the limit of %d", len(h.Resumes), maxResumes)
	}
	last := 0
	if n := len(h.Steps); n > 0 {
		last = h.Steps[n-1].Seq
	}
	prev := 0
	for k, r := range h.Resumes {
		rp := fmt.Sprintf("%s.resumes[%d]", path, k)
		if err := firstErr(
			checkTime(rp+".at", r.At, false),
			checkLen(rp+".reason", r.Reason, maxNameBytes),
		); err != nil {
			return err
		}
		switch {
		case r.Reason == "":
			return invalid(rp+".reason", "empty")
		case r.AfterSeq < prev || r.AfterSeq > last:
			return invalid(rp+".after_seq", "%d is not a step from %d to %d; resumes follow the run in order", r.AfterSeq, prev, last)
		}
		prev = r.AfterSeq
	}
	return nil
}

func validateStep(path string, st journal.Step) error {
	if err := firstErr(
		checkLen(path+".name", st.Name, maxNameBytes),
		checkLen(path+".kind", st.Kind, maxNameBytes),
		checkLen(path+".error", st.Error, maxTextBytes),
		checkLen(path+".input", string(st.Input), maxRecordBytes),
		checkLen(path+".output", string(st.Output), maxRecordBytes),
		checkTime(path+".started_at", st.StartedAt, false),
		checkTime(path+".finished_at", st.FinishedAt, true),
	); err != nil {
		return err
	}
	switch {
	case st.Name == "":
		return invalid(path+".name", "empty")
	case st.Kind == "":
		return invalid(path+".kind", "empty")
	case st.Attempt < 1 || st.Attempt > maxAttempt:
		return invalid(path+".attempt", "%d is out of range", st.Attempt)
	case st.Usage.InputTokens < 0 || st.Usage.OutputTokens < 0 || st.Usage.CacheReadTokens < 0 || st.Usage.CacheWriteTokens < 0:
		return invalid(path+".usage", "negative token count")
	case st.CostUSD < 0 || math.IsNaN(st.CostUSD) || math.IsInf(st.CostUSD, 0):
		return invalid(path+".cost_usd", "%v is not a cost", st.CostUSD)
	}
	if st.Resolution != "" && !st.Resolution.Valid() {
		return invalid(path+".resolution", "unknown resolution %q", describe(string(st.Resolution)))
	}
	switch st.Status {
	case journal.StepStarted:
		if !st.FinishedAt.IsZero() {
			return invalid(path+".finished_at", "a started step has not finished")
		}
	case journal.StepCompleted, journal.StepFailed:
		if st.FinishedAt.IsZero() {
			return invalid(path+".finished_at", "missing for a %s step", st.Status)
		}
	default:
		return invalid(path+".status", "unknown step status %q", describe(string(st.Status)))
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func checkLen(path, s string, max int) error {
	if len(s) > max {
		return invalid(path, "%d bytes, over the limit of %d", len(s), max)
	}
	return nil
}

// checkID accepts the ids Corral makes: 1 to 128 letters, digits and _.:-
func checkID(path, id string) error {
	if id == "" {
		return invalid(path, "empty id")
	}
	if err := checkLen(path, strings.TrimPrefix(id, ImportPrefix), maxIDBytes); err != nil {
		return err
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isIdent(c) && c != '.' && c != ':' && c != '-' {
			return invalid(path, "id %q has a character other than letters, digits and _.:-", describe(id))
		}
	}
	return nil
}

func checkTime(path string, t time.Time, zeroOK bool) error {
	if t.IsZero() {
		if zeroOK {
			return nil
		}
		return invalid(path, "missing")
	}
	if t.Before(minTime) || t.After(maxTime) {
		return invalid(path, "%s is out of range", t.Format(time.RFC3339))
	}
	return nil
}
