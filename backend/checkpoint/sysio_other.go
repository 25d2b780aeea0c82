//go:build !linux

package checkpoint

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// readFile reads the regular file at abs whole, without following a link in its last
// element where the platform can say so; size is its size by stat (a hint). Errors name
// abs.
func readFile(abs string, size int64) ([]byte, error) {
	f, err := os.OpenFile(abs, os.O_RDONLY|noFollow, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, 0, max(size, 0)+1)
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}

// createFile makes name, which must not exist, in the folder dir (nil: name is a path),
// gives it mode and writes data to it. A file left half written is removed.
func createFile(dir *os.File, name string, mode fs.FileMode, data []byte) error {
	p := name
	if dir != nil {
		p = filepath.Join(dir.Name(), name)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(p)
	}
	return err
}

// folderCalls: a restore writes every file through os.Root here.
const folderCalls = false

// renameFile renames old to new in the folder dir (nil: they are paths).
func renameFile(dir *os.File, old, new string) error {
	if dir != nil {
		old, new = filepath.Join(dir.Name(), old), filepath.Join(dir.Name(), new)
	}
	return os.Rename(old, new)
}
