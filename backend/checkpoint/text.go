package checkpoint

import (
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
)

// ErrNotText means a checkpoint holds a file that is not shown as text: binary, over
// 256 KiB, or its content is no longer stored.
var ErrNotText = errors.New("checkpoint: not a text file")

// ExcludedError means a checkpoint left a path out (an excluded folder such as
// node_modules or __pycache__, a file over the size limit): what it held there is not
// known. It matches ErrNotText.
type ExcludedError struct {
	Path, Reason string
}

func (e *ExcludedError) Error() string {
	return fmt.Sprintf("checkpoint: %s was left out of the checkpoint (%s)", e.Path, e.Reason)
}

// Is makes an ExcludedError match ErrNotText: there is no text to show either way.
func (e *ExcludedError) Is(target error) bool { return target == ErrNotText }

// Text returns the content of the file at path (slash-separated, relative to the
// workspace) as checkpoint c holds it. exists is false when c has no file there (nothing,
// a folder or a link); a file not shown as text is ErrNotText, a path the checkpoint
// left out an *ExcludedError.
func (s *Store) Text(c journal.Checkpoint, path string) (text string, exists bool, err error) {
	m, err := s.Load(c.Manifest)
	if err != nil {
		return "", false, err
	}
	e, ok := m.Get(path)
	if !ok {
		for _, x := range m.Excluded {
			if x.Path == path || under(path, x.Path) {
				return "", false, &ExcludedError{Path: path, Reason: x.Reason}
			}
		}
	}
	if !ok || e.Type != TypeFile {
		return "", false, nil
	}
	t, ok := s.text(e)
	if !ok {
		return "", true, fmt.Errorf("%w: %s (%d bytes) at checkpoint %s", ErrNotText, path, e.Size, c.ID)
	}
	return t, true, nil
}
