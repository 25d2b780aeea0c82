package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/corral-dev/corral/backend/sandbox"
)

// Write creates or overwrites a file.
type Write struct{}

// maxDiffInput bounds the files write and edit diff: beyond it the diff is
// skipped (for write) or only counted (for edit).
const maxDiffInput = 4 << 20

// Name returns "write".
func (w *Write) Name() string { return "write" }

// Description tells the model how write behaves.
func (w *Write) Description() string {
	return `Create a file in the workspace, or replace an existing file's whole content. Missing parent directories are created.

- path is relative to the workspace root (an absolute path inside the workspace also works).
- content is written exactly as given: include the final newline if the file should end with one.
- An existing file keeps its permissions. To change part of an existing file, prefer edit: it is shorter and cannot drop text by accident.
- The result reports the bytes and lines written.`
}

// Schema describes the input {path, content}.
func (w *Write) Schema() json.RawMessage {
	return json.RawMessage(`{
  "type": "object",
  "properties": {
    "path": {"type": "string", "description": "File path, relative to the workspace root."},
    "content": {"type": "string", "description": "The complete new content of the file."}
  },
  "required": ["path", "content"],
  "additionalProperties": false
}`)
}

// Idempotent is false: a write cut off by a crash may have half-replaced the file, and
// what it replaced is gone; a person decides whether to run it again.
func (w *Write) Idempotent() bool { return false }

type writeInput struct {
	Path    string  `json:"path"`
	Content *string `json:"content"`
}

// Run writes the file.
func (w *Write) Run(ctx context.Context, sb sandbox.Sandbox, input json.RawMessage) (Result, error) {
	var in writeInput
	if res, ok := decode(w.Name(), input, &in); !ok {
		return res, nil
	}
	if in.Content == nil {
		return failure("content is missing; give the file's complete content (an empty string for an empty file)."), nil
	}
	name, bad := resolvePath(sb.Info(), in.Path)
	if bad != nil {
		return *bad, nil
	}
	if name == "." {
		return failure("path names the workspace root; give a file path."), nil
	}
	files := sb.Files()
	created := false
	var before []byte
	fi, err := files.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		created = true
	case err != nil:
		return fileFailure(name, err)
	case fi.IsDir():
		return failure("%s is a directory.", name), nil
	case fi.Size() <= maxDiffInput:
		before, _ = files.ReadFile(name) // only for the diff shown in the UI
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	content := *in.Content
	if err := files.WriteFile(name, []byte(content), 0o644); err != nil {
		return fileFailure(name, err)
	}
	lines := countLines(content)
	meta := Meta{Path: name, Bytes: int64(len(content)), Lines: lines, Created: created}
	verb := "Created"
	if !created {
		verb = "Overwrote"
		if before != nil && binaryReason(before, true) == "" {
			meta.Diff, meta.Added, meta.Removed = unifiedDiff(name, string(before), content)
		}
	}
	return Result{
		Content: fmt.Sprintf("%s %s (%s, %s).", verb, name, plural(len(content), "byte"), plural(lines, "line")),
		Meta:    meta,
	}, nil
}
