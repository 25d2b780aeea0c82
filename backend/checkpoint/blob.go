package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
)

// smallFile is the size up to which a file is read whole, hashed, and written to the store
// only when its blob is new; larger files are copied to a temporary blob while hashed.
const smallFile = 256 << 10

// blobs is the content-addressed file store: blobs/AB/CDEF... holds the bytes whose sha256
// is ABCDEF..., written once (temporary file, then rename) and never changed.
type blobs struct {
	dir string // DATA_DIR/checkpoints/blobs
	tmp string // DATA_DIR/checkpoints/tmp, on the same file system
}

func (b *blobs) path(hash string) string {
	return filepath.Join(b.dir, hash[:2], hash[2:])
}

// has reports whether the blob exists.
func (b *blobs) has(hash string) bool {
	_, err := os.Stat(b.path(hash))
	return err == nil
}

// open opens a blob for reading.
func (b *blobs) open(hash string) (*os.File, error) {
	if len(hash) != sha256.Size*2 {
		return nil, fmt.Errorf("checkpoint: bad blob name %q", hash)
	}
	f, err := os.Open(b.path(hash))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: blob %s: %w", hash, err)
	}
	return f, nil
}

// read returns a small blob's bytes; size is its size as the manifest says (a hint).
func (b *blobs) read(hash string, size int64) ([]byte, error) {
	if len(hash) != sha256.Size*2 {
		return nil, fmt.Errorf("checkpoint: bad blob name %q", hash)
	}
	data, err := readFile(b.path(hash), size)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: blob %s: %w", hash, err)
	}
	return data, nil
}

// put stores the regular file at abs (without following a link in its last element) and
// returns its hash and how many bytes the store grew by (0 when the blob was there).
func (b *blobs) put(abs string, size int64) (hash string, added int64, err error) {
	if size <= smallFile {
		data, err := readFile(abs, size)
		if err != nil {
			return "", 0, err
		}
		sum := sha256.Sum256(data)
		hash = hex.EncodeToString(sum[:])
		if b.has(hash) {
			return hash, 0, nil
		}
		return hash, int64(len(data)), b.writeSmall(hash, data)
	}
	f, err := os.OpenFile(abs, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	tmp, err := os.CreateTemp(b.tmp, "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("checkpoint: store: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes it on failure
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), f)
	if err != nil {
		tmp.Close()
		return "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("checkpoint: store: %w", err)
	}
	hash = hex.EncodeToString(h.Sum(nil))
	if b.has(hash) {
		return hash, 0, nil
	}
	if err := b.place(tmp.Name(), hash); err != nil {
		return "", 0, err
	}
	return hash, n, nil
}

// writeSmall stores a blob held in memory: created read-only under a name no other writer
// uses, then renamed to its own (four system calls where the platform allows).
func (b *blobs) writeSmall(hash string, data []byte) error {
	for {
		tmp := filepath.Join(b.tmp, fmt.Sprintf("blob-%d-%d", pid, tmpSeq.Add(1)))
		err := createFile(nil, tmp, 0o400, data)
		if errors.Is(err, fs.ErrExist) {
			continue // left by a process that had this pid
		}
		if err != nil {
			return fmt.Errorf("checkpoint: store: %w", err)
		}
		dst := b.path(hash)
		err = renameFile(nil, tmp, dst)
		if errors.Is(err, fs.ErrNotExist) {
			// The first blob of its prefix: make the folder and try again.
			if err = os.MkdirAll(filepath.Dir(dst), 0o700); err == nil {
				err = renameFile(nil, tmp, dst)
			}
		}
		if err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("checkpoint: store: %w", err)
		}
		return nil
	}
}

// tmpSeq numbers the temporary files of this process (pid).
var (
	tmpSeq atomic.Uint64
	pid    = os.Getpid()
)

// place renames a finished temporary file to its blob name.
func (b *blobs) place(tmp, hash string) error {
	if err := os.Chmod(tmp, 0o400); err != nil {
		return fmt.Errorf("checkpoint: store: %w", err)
	}
	if err := renameInto(tmp, b.path(hash)); err != nil {
		return fmt.Errorf("checkpoint: store: %w", err)
	}
	return nil
}

// renameInto renames tmp to dst, making dst's folder only when the rename says it is
// missing: it nearly always exists, and a MkdirAll first would cost a step system calls.
func renameInto(tmp, dst string) error {
	err := os.Rename(tmp, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return err
		}
		err = os.Rename(tmp, dst)
	}
	return err
}

// each calls fn with every blob's hash and size.
func (b *blobs) each(fn func(hash string, size int64) error) error {
	err := filepath.WalkDir(b.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		return fn(filepath.Base(filepath.Dir(p))+d.Name(), info.Size())
	})
	return err
}
