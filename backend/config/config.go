// Package config resolves where Corral keeps its data and which settings are in force.
//
// It owns the data directory rule (flag, then CORRAL_HOME, then the OS's per-user data
// directory), the settings file (settings.json: sandbox defaults, provider base URLs) and
// atomic writes of the data directory's small files; it must not know about Wails, HTTP,
// the journal or secrets (backend/credential keeps those).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// EnvHome is the environment variable that overrides the default data directory.
const EnvHome = "CORRAL_HOME"

// Source says which rule chose the data directory.
type Source string

// The data directory sources, in order of precedence.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = EnvHome
	SourceDefault Source = "default"
)

// DataDir is a resolved, absolute data directory and the rule that chose it.
type DataDir struct {
	Path   string
	Source Source
}

// Env is the part of the process environment config reads, so tests can supply their own.
type Env struct {
	Getenv  func(string) string
	GOOS    string
	HomeDir func() (string, error)
}

// OSEnv returns the real process environment.
func OSEnv() Env {
	return Env{Getenv: os.Getenv, GOOS: runtime.GOOS, HomeDir: os.UserHomeDir}
}

// ResolveDataDir picks the data directory: the flag value if set, else CORRAL_HOME, else the
// OS default (Linux: $XDG_DATA_HOME/corral or ~/.local/share/corral; macOS:
// ~/Library/Application Support/Corral; Windows: %AppData%\Corral). The result is absolute
// but not created; see EnsureDataDir.
func ResolveDataDir(flagValue string, env Env) (DataDir, error) {
	path, src := flagValue, SourceFlag
	if path == "" {
		path, src = env.Getenv(EnvHome), SourceEnv
	}
	if path == "" {
		def, err := defaultDataDir(env)
		if err != nil {
			return DataDir{}, err
		}
		path, src = def, SourceDefault
	}
	if path == "~" || len(path) > 1 && path[0] == '~' && (path[1] == '/' || path[1] == filepath.Separator) {
		home, err := env.HomeDir()
		if err != nil {
			return DataDir{}, fmt.Errorf("config: expand %q: %w", path, err)
		}
		path = filepath.Join(home, path[1:])
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return DataDir{}, fmt.Errorf("config: data dir %q: %w", path, err)
	}
	return DataDir{Path: abs, Source: src}, nil
}

func defaultDataDir(env Env) (string, error) {
	switch env.GOOS {
	case "windows":
		if dir := env.Getenv("AppData"); dir != "" {
			return filepath.Join(dir, "Corral"), nil
		}
		return "", errors.New("config: %AppData% is not set; pass --data-dir or set " + EnvHome)
	case "darwin", "ios":
		home, err := env.HomeDir()
		if err != nil {
			return "", fmt.Errorf("config: no home directory (pass --data-dir or set %s): %w", EnvHome, err)
		}
		return filepath.Join(home, "Library", "Application Support", "Corral"), nil
	default:
		if dir := env.Getenv("XDG_DATA_HOME"); filepath.IsAbs(dir) {
			return filepath.Join(dir, "corral"), nil
		}
		home, err := env.HomeDir()
		if err != nil {
			return "", fmt.Errorf("config: no home directory (pass --data-dir or set %s): %w", EnvHome, err)
		}
		return filepath.Join(home, ".local", "share", "corral"), nil
	}
}

// Ensure creates the data directory (mode 0700, parents as needed) and checks it is a
// writable directory, so a bad path fails at start-up with a clear message instead of at
// the first write.
func (d DataDir) Ensure() error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("config: create data dir: %w", err)
	}
	probe, err := os.CreateTemp(d.Path, ".write-check-*")
	if err != nil {
		return fmt.Errorf("config: data dir %s is not writable: %w", d.Path, err)
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}
