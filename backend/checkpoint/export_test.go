package checkpoint

import "time"

// SetGCGrace shortens how old an unnamed file must be before GC removes it.
func (s *Store) SetGCGrace(d time.Duration) { s.grace = d }
