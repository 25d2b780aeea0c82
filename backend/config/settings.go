package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"

	"github.com/corral-dev/corral/backend/llm/catalog"
)

// SettingsFile is the settings' file name in the data directory.
const SettingsFile = "settings.json"

// Settings are the person's choices kept in DATA_DIR/settings.json: run
// defaults and non-secret provider settings. Secrets live in
// backend/credential, never here.
type Settings struct {
	Sandbox   Sandbox             `json:"sandbox"`
	Providers map[string]Provider `json:"providers,omitempty"`
	// Checkpoints says what workspace checkpoints leave out and how much disk they may use.
	Checkpoints Checkpoints `json:"checkpoints,omitzero"`
	// Budget is the global spend cap.
	Budget Budget `json:"budget,omitzero"`
}

// Budget is the global spend cap: what every run's model calls of one day (from local
// midnight) may cost together before the next call waits for a person.
type Budget struct {
	// DailyCostUSD is the day's cap in US dollars; 0 caps nothing.
	DailyCostUSD float64 `json:"daily_cost_usd,omitempty"`
}

// Checkpoints are the checkpoint settings (backend/checkpoint.Options).
type Checkpoints struct {
	// ExcludeFolders are folder names left out of checkpoints at any depth; nil means the
	// defaults (node_modules, .venv, __pycache__), an empty list none.
	ExcludeFolders []string `json:"exclude_folders,omitempty"`
	// MaxFileMB leaves out larger files; 0 means the default (64), negative no limit.
	MaxFileMB int64 `json:"max_file_mb,omitempty"`
	// BudgetMB is the size the checkpoint store may reach before `corral checkpoints --gc`
	// removes the oldest checkpoints; 0 means no budget.
	BudgetMB int64 `json:"budget_mb,omitempty"`
}

// Sandbox is where runs work when a run does not say: the precedence is a
// run's own flag or prompt-box choice, then these, then the built-in defaults
// (local; for docker the sandbox's image, no network, run scope).
type Sandbox struct {
	// Env is "local" or "docker"; empty means local.
	Env string `json:"env,omitempty"`
	// Image is the docker image; empty means the sandbox's default.
	Image string `json:"image,omitempty"`
	// Network turns the container's network on (the "bridge" network), and
	// lets local commands reach the network (off, a confined local command
	// has only a loopback interface of its own).
	Network bool `json:"network,omitempty"`
	// Egress is the default network policy through Corral's egress proxy: "" or "none"
	// (Network decides), "allowlist" (only hosts of net(...) rules) or "open" (every host,
	// recorded). It needs Network off: the proxy is then the only way out.
	Egress string `json:"egress,omitempty"`
	// Writable lists absolute host directories local commands may write
	// besides the workspace, their HOME and their temporary directory, where
	// the kernel confines writes (e.g. a shared build cache), separated as in
	// PATH (see WritablePaths). A string keeps Sandbox comparable.
	Writable string `json:"writable,omitempty"`
	// Memory is a limit such as "512m" or "2g"; empty means the sandbox's.
	Memory string `json:"memory,omitempty"`
	// CPUs the container may use, e.g. 1.5; 0 means the sandbox's.
	CPUs float64 `json:"cpus,omitempty"`
	// Scope is "run" (a container per run) or "session"; empty means run.
	Scope string `json:"scope,omitempty"`
	// IdleMinutes is how long a session's container may go without a command before it
	// removes itself; 0 means 15 minutes.
	IdleMinutes int `json:"idle_minutes,omitempty"`
	// MaxRuns is how many runs the window or `corral serve` drives at once, across
	// sessions (one at a time per session); more wait in a queue. 0 means DefaultMaxRuns.
	MaxRuns int `json:"max_runs,omitempty"`
}

// DefaultMaxRuns is how many runs are driven at once when the settings do not say.
const DefaultMaxRuns = 4

// Provider holds a provider's non-secret settings.
type Provider struct {
	// BaseURL replaces the provider's API address (an OpenAI-compatible
	// server such as Ollama, or a proxy).
	BaseURL string `json:"base_url,omitempty"`
}

// ErrBadSettings wraps every validation failure.
var ErrBadSettings = errors.New("config: bad settings")

// MemoryBytes parses Memory; 0 when empty.
func (s Sandbox) MemoryBytes() (int64, error) {
	if strings.TrimSpace(s.Memory) == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(strings.TrimSpace(s.Memory))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: memory %q: want a size such as 512m or 2g", ErrBadSettings, s.Memory)
	}
	return n, nil
}

// WritablePaths splits Writable into its paths.
func (s Sandbox) WritablePaths() []string {
	var out []string
	for _, p := range filepath.SplitList(s.Writable) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// NetworkName is the docker network the setting means: "bridge" or "none".
func (s Sandbox) NetworkName() string {
	if s.Network {
		return "bridge"
	}
	return "none"
}

// Validate checks every field.
func (s Settings) Validate() error {
	switch s.Sandbox.Env {
	case "", "local", "docker":
	default:
		return fmt.Errorf("%w: sandbox %q: want local or docker", ErrBadSettings, s.Sandbox.Env)
	}
	switch s.Sandbox.Egress {
	case "", "none":
	case "allowlist", "open":
		if s.Sandbox.Network {
			return fmt.Errorf("%w: egress %s goes through the proxy, so the network must be off", ErrBadSettings, s.Sandbox.Egress)
		}
	default:
		return fmt.Errorf("%w: egress %q: want none, allowlist or open", ErrBadSettings, s.Sandbox.Egress)
	}
	switch s.Sandbox.Scope {
	case "", "run", "session":
	default:
		return fmt.Errorf("%w: scope %q: want run or session", ErrBadSettings, s.Sandbox.Scope)
	}
	if _, err := s.Sandbox.MemoryBytes(); err != nil {
		return err
	}
	if s.Sandbox.IdleMinutes < 0 || s.Sandbox.IdleMinutes > 7*24*60 {
		return fmt.Errorf("%w: idle minutes %d: want 0 (15 minutes) up to a week", ErrBadSettings, s.Sandbox.IdleMinutes)
	}
	if s.Sandbox.MaxRuns < 0 || s.Sandbox.MaxRuns > 64 {
		return fmt.Errorf("%w: max runs %d: want 0 (%d) up to 64", ErrBadSettings, s.Sandbox.MaxRuns, DefaultMaxRuns)
	}
	if s.Budget.DailyCostUSD < 0 {
		return fmt.Errorf("%w: daily cost cap %v: want 0 (no cap) or more", ErrBadSettings, s.Budget.DailyCostUSD)
	}
	if s.Sandbox.CPUs < 0 || s.Sandbox.CPUs > 1024 {
		return fmt.Errorf("%w: cpus %v: want a number between 0 (the sandbox's default) and 1024", ErrBadSettings, s.Sandbox.CPUs)
	}
	for _, p := range s.Sandbox.WritablePaths() {
		if !filepath.IsAbs(p) || filepath.Clean(p) == "/" {
			return fmt.Errorf("%w: writable path %q: want an absolute directory other than /", ErrBadSettings, p)
		}
	}
	if strings.ContainsAny(s.Sandbox.Image, " \t\r\n") {
		return fmt.Errorf("%w: image %q holds white space", ErrBadSettings, s.Sandbox.Image)
	}
	for name, p := range s.Providers {
		if cp, ok := catalog.Lookup(name); !ok || cp.BaseURLVar == "" {
			return fmt.Errorf("%w: unknown provider %q", ErrBadSettings, name)
		}
		if p.BaseURL == "" {
			continue
		}
		u, err := url.Parse(p.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: %s base URL %q: want http(s)://host[:port][/path]", ErrBadSettings, name, p.BaseURL)
		}
		if u.User != nil {
			return fmt.Errorf("%w: %s base URL: put credentials in the API key, not the URL", ErrBadSettings, name)
		}
	}
	return nil
}

// LoadSettings reads DATA_DIR/settings.json; a missing file gives the zero
// Settings. A malformed or invalid file is an error naming it.
func LoadSettings(dataDir string) (Settings, error) {
	path := filepath.Join(dataDir, SettingsFile)
	var s Settings
	blob, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("config: read settings: %w", err)
	}
	if err := json.Unmarshal(blob, &s); err != nil {
		return Settings{}, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("config: %s: %w", path, err)
	}
	return s, nil
}

// SaveSettings validates s and replaces DATA_DIR/settings.json atomically
// (a temporary file renamed into place, mode 0600).
func SaveSettings(dataDir string, s Settings) error {
	s.Sandbox.Memory = strings.TrimSpace(s.Sandbox.Memory)
	s.Sandbox.Image = strings.TrimSpace(s.Sandbox.Image)
	for name, p := range s.Providers {
		p.BaseURL = strings.TrimSpace(p.BaseURL)
		if p.BaseURL == "" {
			delete(s.Providers, name)
			continue
		}
		s.Providers[name] = p
	}
	if err := s.Validate(); err != nil {
		return err
	}
	blob, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("config: encode settings: %w", err)
	}
	return WriteFileAtomic(filepath.Join(dataDir, SettingsFile), append(blob, '\n'))
}

// WriteFileAtomic replaces path with data: a temporary file of mode 0600 in
// the same directory (created 0700 if missing) is written, synced and renamed
// into place, so a reader sees the old content or the new, never half.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("config: write %s: %w", path, err)
	}
	return nil
}

// SettingsEnv returns getenv with the saved base URLs behind it: the
// catalog's base-URL variables (ANTHROPIC_BASE_URL, OPENAI_BASE_URL), when the environment leaves them
// empty, come from DATA_DIR/settings.json (read on each call, so a change in
// the window applies to the next run). The environment wins.
func SettingsEnv(dataDir string, getenv func(string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		for _, p := range catalog.Configurable() {
			if k != p.BaseURLVar {
				continue
			}
			s, err := LoadSettings(dataDir)
			if err != nil {
				return ""
			}
			return s.Providers[p.ID].BaseURL
		}
		return ""
	}
}
