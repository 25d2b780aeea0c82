package journal

import "context"

// OpenWithMaxPageCount opens a journal whose database cannot grow past pages
// pages, so that tests can make SQLite report a full disk.
func OpenWithMaxPageCount(ctx context.Context, path string, pages int) (*Journal, error) {
	return OpenWith(ctx, path, Options{maxPageCount: pages})
}
