package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Edit replaces exact text in a file. The zero value uses the defaults.
type Edit struct {
	// MaxDiffBytes caps the diff shown to the model (default 16 KiB); the
	// full diff is in Meta.
	MaxDiffBytes int
}

const defaultEditDiff = 16 << 10

// Name returns "edit".
func (e *Edit) Name() string { return "edit" }

// Description tells the model how edit behaves.
func (e *Edit) Description() string {
	return `Replace exact text in an existing file and show the change as a unified diff.

- old_string must match the file exactly, character for character, including indentation and line breaks (the line numbers and tab that read shows are not part of the file). Read the file first.
- old_string must occur exactly once, so that the edit is unambiguous: include enough surrounding lines to make it unique. Set replace_all to true to replace every occurrence instead (for example to rename a variable).
- new_string replaces it; it must differ from old_string. An empty new_string deletes the text.
- To create a file or replace all of its content, use write.
- Files with Windows line endings (CRLF) can be edited with plain newlines in old_string and new_string.`
}

// Schema describes the input {path, old_string, new_string, replace_all?}.
func (e *Edit) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "path": {"type": "string", "description": "File path, relative to the workspace root."},
    "old_string": {"type": "string", "description": "The exact text to replace; must occur exactly once unless replace_all is true."},
    "new_string": {"type": "string", "description": "The text to put in its place."},
    "replace_all": {"type": "boolean", "description": "Replace every occurrence of old_string (default false)."}
  },
  "required": ["path", "old_string", "new_string"],
  "additionalProperties": false
}`)
}

// Idempotent is false: once applied, the same edit no longer finds its
// old_string.
func (e *Edit) Idempotent() bool { return false }

type editInput struct {
	Path       string  `json:"path"`
	OldString  *string `json:"old_string"`
	NewString  *string `json:"new_string"`
	ReplaceAll bool    `json:"replace_all"`
}

// Run applies the edit.
func (e *Edit) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in editInput
	if res, ok := decode(e.Name(), input, &in); !ok {
		return res, nil
	}
	if in.OldString == nil || in.NewString == nil {
		return failure("old_string and new_string are both required."), nil
	}
	oldStr, newStr := *in.OldString, *in.NewString
	if oldStr == "" {
		return failure("old_string is empty. Give the exact text to replace; to create a file, use write."), nil
	}
	if oldStr == newStr {
		return failure("old_string and new_string are identical; there is nothing to change."), nil
	}
	name, bad := resolvePath(sb.Info(), in.Path)
	if bad != nil {
		return *bad, nil
	}
	files := sb.Files()
	data, err := files.ReadFile(name)
	if err != nil {
		res, err := fileFailure(name, err)
		if err == nil && strings.HasSuffix(res.Content, "does not exist.") {
			res.Content += " Use write to create a file."
		}
		return res, err
	}
	if why := binaryReason(data, true); why != "" {
		return failure("%s looks like a binary file (%s); edit changes text files only.", name, why), nil
	}
	before := string(data)
	after, replaced, err := Replace(before, oldStr, newStr, in.ReplaceAll)
	var many *AmbiguousEdit
	switch {
	case errors.Is(err, ErrEditNotFound):
		return failure("old_string was not found in %s. It must match the file exactly, including whitespace, indentation and line breaks; read the file again and copy the text.", name), nil
	case errors.As(err, &many):
		return failure("old_string occurs %d times in %s (at lines %s). Include more surrounding text to make it unique, or set replace_all to true to replace every occurrence.",
			many.Count, name, occurrenceLines(before, many.Old, 10)), nil
	case err != nil:
		return failure("%v.", err), nil
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := files.WriteFile(name, []byte(after), 0o644); err != nil {
		return fileFailure(name, err)
	}

	meta := Meta{Path: name, Bytes: int64(len(after)), Replacements: replaced}
	var shown string
	if len(before) <= maxDiffInput && len(after) <= maxDiffInput {
		meta.Diff, meta.Added, meta.Removed = unifiedDiff(name, before, after)
		shown = meta.Diff
		if limit := e.maxDiff(); len(shown) > limit {
			cut := strings.LastIndexByte(shown[:limit], '\n') + 1
			shown = shown[:cut] + fmt.Sprintf("[... diff cut: %d more bytes]\n", len(meta.Diff)-cut)
			meta.Truncated = true
		}
	}
	summary := fmt.Sprintf("Edited %s: replaced %s", name, plural(replaced, "occurrence"))
	if meta.Diff != "" {
		summary += fmt.Sprintf(" (+%d -%d lines)", meta.Added, meta.Removed)
	}
	return Result{Content: strings.TrimSuffix(summary+".\n"+shown, "\n"), Meta: meta}, nil
}

// The reasons an edit cannot be applied; [Replace] returns them (or an *[AmbiguousEdit]).
var (
	ErrEditEmpty    = errors.New("old_string is empty")
	ErrEditSame     = errors.New("old_string and new_string are identical")
	ErrEditNotFound = errors.New("old_string was not found")
)

// AmbiguousEdit is the error of an edit whose old_string occurs more than once
// without replace_all. Old is old_string as it occurs in the file.
type AmbiguousEdit struct {
	Count int
	Old   string
}

func (e *AmbiguousEdit) Error() string {
	return fmt.Sprintf("old_string occurs %d times and replace_all is not set", e.Count)
}

// Replace applies an edit to s as the edit tool does: old is replaced once (every time
// with all) and must occur exactly once unless all. A file with CRLF line endings also
// matches an old written with plain newlines. It returns the result and how many were
// replaced; the approval preview calls it so that it shows exactly what the tool will do.
func Replace(s, old, new string, all bool) (string, int, error) {
	if old == "" {
		return "", 0, ErrEditEmpty
	}
	if old == new {
		return "", 0, ErrEditSame
	}
	count := strings.Count(s, old)
	if count == 0 && strings.Contains(s, "\r\n") && strings.Contains(old, "\n") && !strings.Contains(old, "\r\n") {
		// The file has CRLF line endings and the model wrote plain newlines.
		crlf := strings.NewReplacer("\n", "\r\n")
		if c := strings.Count(s, crlf.Replace(old)); c > 0 {
			old, new, count = crlf.Replace(old), crlf.Replace(new), c
		}
	}
	switch {
	case count == 0:
		return "", 0, ErrEditNotFound
	case count > 1 && !all:
		return "", 0, &AmbiguousEdit{Count: count, Old: old}
	case !all:
		return strings.Replace(s, old, new, 1), 1, nil
	}
	return strings.ReplaceAll(s, old, new), count, nil
}

func (e *Edit) maxDiff() int {
	if e.MaxDiffBytes > 0 {
		return e.MaxDiffBytes
	}
	return defaultEditDiff
}

// occurrenceLines lists the line numbers where sub starts in s, at most
// limit of them.
func occurrenceLines(s, sub string, limit int) string {
	var nums []string
	line, pos := 1, 0
	for len(nums) < limit {
		i := strings.Index(s[pos:], sub)
		if i < 0 {
			break
		}
		line += strings.Count(s[pos:pos+i], "\n")
		nums = append(nums, fmt.Sprint(line))
		line += strings.Count(sub, "\n")
		pos += i + len(sub)
	}
	if strings.Count(s[pos:], sub) > 0 {
		nums = append(nums, "...")
	}
	return strings.Join(nums, ", ")
}
