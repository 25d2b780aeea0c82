package approval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/tool"
)

// Request is what a person is asked: the action, bound by its hash, with
// its preview and the rules they might remember. It is what the approval
// step records before the run suspends.
type Request struct {
	Tool       string          `json:"tool"`
	Input      json.RawMessage `json:"input"`
	ActionHash string          `json:"action_hash"`
	Preview    Preview         `json:"preview"`
	// Suggestions are candidate rules for "approve and remember"
	// (SuggestRule).
	Suggestions []string `json:"suggestions,omitempty"`
	// SuggestionNotes say, per suggestion, whether it is exact, what else
	// it would allow and whether it lets the agent run any code
	// (NoteSuggestions). Requests recorded before they existed have none.
	SuggestionNotes []SuggestionNote `json:"suggestion_notes,omitempty"`
	// Budget is set on a budget gate's request (Tool is BudgetTool): the spend cap the run
	// reached. Absent from every tool's request.
	Budget *Budget `json:"budget,omitempty"`
}

// Prepare builds the Request for a tool call that Check assessed as a:
// its preview (reading files through files), its action hash and the
// suggested rules. The error is BuildPreview's (a failed sandbox).
func Prepare(toolName string, input json.RawMessage, a Assessment, ws Workspace, files FileReader, opt PreviewOptions) (Request, error) {
	p, err := BuildPreview(toolName, input, a, ws, files, opt)
	if err != nil {
		return Request{}, err
	}
	sug := SuggestRule(toolName, input)
	return Request{
		Tool:            toolName,
		Input:           input,
		ActionHash:      ActionHash(toolName, input),
		Preview:         p,
		Suggestions:     sug,
		SuggestionNotes: NoteSuggestions(toolName, input, sug),
	}, nil
}

// AnswerKind is what a person decided.
type AnswerKind string

// The answers a person can give.
const (
	// Approve runs the action as it is.
	Approve AnswerKind = "approve"
	// Reject does not run it; the model is told, with Answer.Message if any.
	Reject AnswerKind = "deny"
	// EditApprove runs Answer.Input instead; the model is told its action
	// was modified.
	EditApprove AnswerKind = "edit"
)

// Answer is a person's decision on a Request, as data: approve once,
// approve and remember rules, deny, deny with a message for the model,
// edit then approve. The first answer recorded for a request wins.
type Answer struct {
	Kind AnswerKind `json:"kind"`
	// ActionHash is the hash of the request answered; an answer to another
	// action is refused (ErrStaleAnswer).
	ActionHash string `json:"action_hash"`
	// Message is passed to the model with a denial (or with an edit).
	Message string `json:"message,omitempty"`
	// Input is the edited input, for EditApprove.
	Input json.RawMessage `json:"input,omitempty"`
	// Remember adds rules to the Ledger: allow rules with an approval,
	// ask or deny rules with a denial.
	Remember *Remember `json:"remember,omitempty"`
	// By says where the answer came from ("window", "browser",
	// "terminal"), for the record.
	By string `json:"by,omitempty"`
	// Raise is how much an approval of a budget gate raises the cap.
	Raise *Raise `json:"raise,omitempty"`
}

// Remember is rules to remember with an answer.
type Remember struct {
	Scope Scope    `json:"scope"`
	List  List     `json:"list"`
	Rules []string `json:"rules"`
}

// Errors from Answer.Validate.
var (
	ErrStaleAnswer = errors.New("approval: the answer is for a different action")
	ErrBadAnswer   = errors.New("approval: bad answer")
)

// Validate checks the answer against the request it answers: the action
// hash, the kind, an edited input (a JSON object the tool can decode, and
// different from the original), and the rules to remember.
func (a Answer) Validate(r Request) error {
	if a.ActionHash != r.ActionHash {
		return ErrStaleAnswer
	}
	if r.Budget != nil {
		return a.validateBudget(r)
	}
	if a.Raise != nil {
		return fmt.Errorf("%w: only a spend cap is raised", ErrBadAnswer)
	}
	switch a.Kind {
	case Approve, Reject:
		if len(a.Input) > 0 {
			return fmt.Errorf("%w: only an edit carries an input", ErrBadAnswer)
		}
	case EditApprove:
		if err := checkEdited(r.Tool, r.Input, a.Input); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: kind %q is not approve, deny or edit", ErrBadAnswer, a.Kind)
	}
	if m := a.Remember; m != nil {
		switch {
		case a.Kind == Reject && m.List == ListAllow:
			return fmt.Errorf("%w: a denial cannot remember allow rules", ErrBadAnswer)
		case a.Kind != Reject && m.List != ListAllow:
			return fmt.Errorf("%w: an approval remembers allow rules, not %s rules", ErrBadAnswer, m.List)
		case len(m.Rules) == 0:
			return fmt.Errorf("%w: no rules to remember", ErrBadAnswer)
		}
		for _, text := range m.Rules {
			if _, err := ParseRule(m.List, m.Scope, text); err != nil {
				return fmt.Errorf("%w: %w", ErrBadAnswer, err)
			}
		}
	}
	return nil
}

func checkEdited(toolName string, original, edited json.RawMessage) error {
	trimmed := bytes.TrimSpace(edited)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return fmt.Errorf("%w: the edited input must be a JSON object", ErrBadAnswer)
	}
	if bytes.Equal(canonicalJSON(original), canonicalJSON(trimmed)) {
		return fmt.Errorf("%w: the edited input is the same as the original; approve it instead", ErrBadAnswer)
	}
	var v any
	switch toolName {
	case "exec":
		v = &execInput{}
	case "write":
		v = &writeInput{}
	case "edit":
		v = &editInput{}
	case "read":
		v = &readInput{}
	default:
		return nil
	}
	if err := decodeInput(trimmed, v); err != nil {
		return fmt.Errorf("%w: the edited input does not fit the %s tool: %w", ErrBadAnswer, toolName, err)
	}
	return nil
}

// Outcome is what the run does after an answer.
type Outcome struct {
	// Run reports that the tool runs, with Input.
	Run   bool            `json:"run"`
	Input json.RawMessage `json:"input,omitempty"`
	// ActionHash is the hash of the input that runs.
	ActionHash string `json:"action_hash,omitempty"`
	// Note is told to the model with the tool's result when the person
	// edited the action.
	Note string `json:"note,omitempty"`
	// Refusal is the tool result the model gets instead, when not run.
	Refusal string `json:"refusal,omitempty"`
}

// Outcome returns what follows from a validated answer to r.
func (a Answer) Outcome(r Request) Outcome {
	switch a.Kind {
	case Approve:
		return Outcome{Run: true, Input: r.Input, ActionHash: r.ActionHash}
	case EditApprove:
		in := json.RawMessage(bytes.TrimSpace(a.Input))
		return Outcome{Run: true, Input: in, ActionHash: ActionHash(r.Tool, in), Note: ModifiedNote(r.Tool, r.Input, in, a.Message)}
	default:
		return Outcome{Refusal: DeniedText(a.Message)}
	}
}

// Entries returns the Ledger entries the answer asks to remember.
func (a Answer) Entries(source string) []Entry {
	if a.Remember == nil {
		return nil
	}
	out := make([]Entry, 0, len(a.Remember.Rules))
	for _, text := range a.Remember.Rules {
		out = append(out, Entry{Scope: a.Remember.Scope, List: a.Remember.List, Rule: text, Source: source})
	}
	return out
}

// Result returns the tool's result as the model sees it: with the note
// about the person's edit first, if there is one.
func (o Outcome) Result(res tool.Result) tool.Result {
	if o.Note != "" {
		res.Content = o.Note + "\n\n" + res.Content
	}
	return res
}

// Refused returns the model-visible result of an action that did not run.
func (o Outcome) Refused() tool.Result {
	return tool.Result{Content: o.Refusal, IsError: true}
}

// DeniedText is what the model is told when a person denies its action,
// with their message if they gave one.
func DeniedText(message string) string {
	s := "The user denied this action, so it was not run."
	if m := strings.TrimSpace(message); m != "" {
		s += " The user said: " + m
	} else {
		s += " Do not repeat it unchanged; take another approach or ask the user."
	}
	return s
}

// RefusedResult is the model-visible result of an action Check denied.
func RefusedResult(a Assessment) tool.Result {
	return tool.Result{Content: "This action was refused and not run: " + a.Reason + ".", IsError: true}
}

// ModifiedNote tells the model that a person changed its action before
// approving it, and what ran instead.
func ModifiedNote(toolName string, original, edited json.RawMessage, message string) string {
	var s string
	switch toolName {
	case "exec":
		var before, after execInput
		_ = json.Unmarshal(original, &before)
		_ = json.Unmarshal(edited, &after)
		s = "Note: the user modified this command before approving it. It ran as:\n" + after.Command
		if before.Cwd != after.Cwd {
			s += "\n(in the directory " + orRoot(after.Cwd) + ")"
		}
	case "write", "edit":
		var before, after struct {
			Path string `json:"path"`
		}
		_ = json.Unmarshal(original, &before)
		_ = json.Unmarshal(edited, &after)
		s = fmt.Sprintf("Note: the user modified this %s before approving it, so %s now holds their version, not exactly yours. Read it before relying on its content.", toolName, after.Path)
		if before.Path != after.Path {
			s = fmt.Sprintf("Note: the user modified this %s before approving it: it went to %s instead of %s, with their version of the change. Read it before relying on its content.", toolName, after.Path, before.Path)
		}
	default:
		s = "Note: the user modified this action before approving it. It ran with the input:\n" + string(canonicalJSON(edited))
	}
	if m := strings.TrimSpace(message); m != "" {
		s += "\nThe user said: " + m
	}
	return s
}

func orRoot(cwd string) string {
	if strings.TrimSpace(cwd) == "" {
		return "workspace root"
	}
	return cwd
}
