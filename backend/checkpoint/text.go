package checkpoint

import (
	"errors"
	"fmt"

	"github.com/corral-dev/corral/backend/journal"
)

// ErrNotText means a checkpoint holds a file that is not shown as text: binary, over
// 256 KiB, or its content is no longer stored.
var ErrNotText = errors.New("checkpoint: not a text file")

// Text returns the content of the file at path (slash-separated, relative to the
// workspace) as checkpoint c holds it. exists is false when c has no file there (nothing,
// a folder or a link); a file not shown as text is ErrNotText.
func (s *Store) Text(c journal.Checkpoint, path string) (text string, exists bool, err error) {
	m, err := s.Load(c.Manifest)
	if err != nil {
		return "", false, err
	}
	e, ok := m.Get(path)
	if !ok || e.Type != TypeFile {
		return "", false, nil
	}
	t, ok := s.text(e)
	if !ok {
		return "", true, fmt.Errorf("%w: %s (%d bytes) at checkpoint %s", ErrNotText, path, e.Size, c.ID)
	}
	return t, true, nil
}
