package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/corral-dev/corral/backend/config"
)

// FileName is the credentials file's name in the data directory.
const FileName = "credentials.json"

// fileFormat is the file's content.
type fileFormat struct {
	Version     int               `json:"version"`
	Credentials map[string]string `json:"credentials"`
}

// FileStore keeps credentials in one JSON file that only the user can read
// (mode 0600 in a directory of mode 0700), replaced atomically on every
// change. Calls in one process are serialised.
type FileStore struct {
	path string
	mu   sync.Mutex
}

var _ Store = (*FileStore)(nil)

// NewFile returns the file store of the data directory dataDir.
func NewFile(dataDir string) *FileStore {
	return &FileStore{path: filepath.Join(dataDir, FileName)}
}

// Path is the file.
func (f *FileStore) Path() string { return f.path }

// Get returns the credential name, or ErrNotFound.
func (f *FileStore) Get(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := m[name]
	if !ok || v == "" {
		return "", fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return v, nil
}

// Set saves the credential name.
func (f *FileStore) Set(name, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	m[name] = value
	return f.save(m)
}

// Delete removes the credential name; a missing one is not an error.
func (f *FileStore) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	if _, ok := m[name]; !ok {
		return nil
	}
	delete(m, name)
	return f.save(m)
}

// load reads the file; a missing file is empty. A file others can read is
// refused, as ssh refuses such a key: its secrets may already have leaked.
func (f *FileStore) load() (map[string]string, error) {
	blob, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("credential: read %s: %w", f.path, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(f.path)
		if err != nil {
			return nil, fmt.Errorf("credential: %w", err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return nil, fmt.Errorf("credential: %s has mode %04o: others can read it; run chmod 600 on it (and replace the keys if others could read them)", f.path, perm)
		}
	}
	var file fileFormat
	if err := json.Unmarshal(blob, &file); err != nil {
		return nil, fmt.Errorf("credential: %s is not a valid credentials file (%w); fix or delete it and save the keys again", f.path, err)
	}
	if file.Version != 1 {
		return nil, fmt.Errorf("credential: %s: version %d is not supported (want 1)", f.path, file.Version)
	}
	if file.Credentials == nil {
		file.Credentials = map[string]string{}
	}
	return file.Credentials, nil
}

// save replaces the file atomically with mode 0600 (config.WriteFileAtomic).
func (f *FileStore) save(m map[string]string) error {
	blob, err := json.MarshalIndent(fileFormat{Version: 1, Credentials: m}, "", "  ")
	if err != nil {
		return fmt.Errorf("credential: encode: %w", err)
	}
	if err := config.WriteFileAtomic(f.path, append(blob, '\n')); err != nil {
		return fmt.Errorf("credential: save: %w", err)
	}
	return nil
}
