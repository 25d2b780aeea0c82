// Package credential keeps the model providers' API keys: in the OS keychain
// (Secret Service over D-Bus on Linux, the macOS Keychain, the Windows
// Credential Manager) when it answers, otherwise in a file in the data
// directory that only the user can read.
//
// It owns where a secret is kept, how it is shown (Mask) and which stored
// values exist (for redaction). It must not know about providers' wire
// formats, runs, the journal, Wails or HTTP; the environment always wins over a
// stored value (see Getenv).
package credential

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/corral-dev/corral/backend/llm/catalog"
)

// Names are the credentials Corral keeps, named as the environment variables
// that override them: the API-key variables of llm/catalog's providers.
var Names = catalog.KeyVars()

// Where says where a credential is kept.
type Where string

// The places a credential can be kept.
const (
	Keychain Where = "keychain"
	File     Where = "file"
)

// Modes for Options.Mode (the CORRAL_CREDENTIAL_STORE environment variable).
const (
	ModeAuto     = "auto" // the keychain when it answers, else the file (also "")
	ModeKeychain = "keychain"
	ModeFile     = "file"
)

// EnvMode is the environment variable that picks the store: auto (default),
// keychain or file.
const EnvMode = "CORRAL_CREDENTIAL_STORE"

var (
	// ErrNotFound means no credential of that name is stored.
	ErrNotFound = errors.New("credential: not found")
	// ErrUnknownName means the name is not one of Names.
	ErrUnknownName = errors.New("credential: unknown credential")
	// ErrUnavailable means the OS keychain cannot be used.
	ErrUnavailable = errors.New("credential: keychain unavailable")
)

// Store is one place secrets are kept. Get returns ErrNotFound for a missing
// name; Delete of a missing name is not an error.
type Store interface {
	Get(name string) (string, error)
	Set(name, value string) error
	Delete(name string) error
}

// Options configures Open.
type Options struct {
	// Mode is ModeAuto (or ""), ModeKeychain or ModeFile.
	Mode string
	// Keychain is the keychain store; nil means the OS keychain (NewKeychain).
	Keychain Store
	// Getenv reads the environment, to see whether a D-Bus session bus exists
	// on Linux; nil means no environment (the keychain is tried regardless).
	Getenv func(string) string
	// Timeout bounds each keychain call (default 3 s): a Secret Service that
	// does not answer must not hang the UI.
	Timeout time.Duration
}

// Credentials is Corral's credential store: the keychain when it is usable,
// else the file. A key saved to the file while the keychain was unusable is
// still found. It is safe for concurrent use.
type Credentials struct {
	file *FileStore
	opts Options

	once     sync.Once
	keychain Store // nil when the keychain is not used
	reason   string
}

// Open returns the credentials of the data directory dataDir. It does not
// touch the keychain: the first call that needs it decides whether it is
// usable.
func Open(dataDir string, opts Options) (*Credentials, error) {
	switch opts.Mode {
	case "", ModeAuto, ModeKeychain, ModeFile:
	default:
		return nil, fmt.Errorf("credential: %s=%q: want auto, keychain or file", EnvMode, opts.Mode)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 3 * time.Second
	}
	return &Credentials{file: NewFile(dataDir), opts: opts}, nil
}

// decide picks the store once: the keychain if the mode allows it and it
// answers a probe, else the file, with the reason.
func (c *Credentials) decide() {
	c.once.Do(func() {
		if c.opts.Mode == ModeFile {
			c.reason = EnvMode + "=file"
			return
		}
		kc := c.opts.Keychain
		if kc == nil {
			if why := noSessionBus(c.opts.Getenv); why != "" {
				c.reason = why
				return
			}
			kc = NewKeychain(c.opts.Timeout)
		}
		_, err := kc.Get(probeName)
		if err != nil && !errors.Is(err, ErrNotFound) {
			c.reason = fmt.Sprintf("the OS keychain did not work: %v", err)
			return
		}
		c.keychain = kc
	})
}

// probeName is looked up to see whether the keychain answers.
const probeName = "corral-probe"

// Backend says where new credentials are saved, and if that is the file, why
// the keychain is not used.
func (c *Credentials) Backend() (Where, string) {
	c.decide()
	if c.keychain != nil {
		return Keychain, ""
	}
	return File, c.reason
}

// FilePath is the file used when the keychain is not.
func (c *Credentials) FilePath() string { return c.file.Path() }

func checkName(name string) error {
	if !slices.Contains(Names, name) && !IsMCPName(name) {
		return fmt.Errorf("%w %q (known: %s)", ErrUnknownName, name, strings.Join(Names, ", "))
	}
	return nil
}

// Get returns a stored credential and where it is kept: the keychain first,
// then the file. A name that is not stored is ErrNotFound.
func (c *Credentials) Get(name string) (string, Where, error) {
	if err := checkName(name); err != nil {
		return "", "", err
	}
	c.decide()
	if c.keychain != nil {
		v, err := c.keychain.Get(name)
		if err == nil && v != "" {
			return v, Keychain, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return "", "", fmt.Errorf("credential: keychain: read %s: %w", name, err)
		}
	}
	v, err := c.file.Get(name)
	if err != nil {
		return "", "", err
	}
	return v, File, nil
}

// Set saves a credential where Backend says and returns where that is. A
// copy left in the file from before the keychain was usable is removed.
func (c *Credentials) Set(name, value string) (Where, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("credential: %s: empty value (delete it instead)", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return "", fmt.Errorf("credential: %s: the value holds a line break or NUL byte", name)
	}
	c.decide()
	if c.keychain != nil {
		if err := c.keychain.Set(name, value); err != nil {
			return "", fmt.Errorf("credential: keychain: save %s: %w", name, err)
		}
		if err := c.file.Delete(name); err != nil {
			return Keychain, err
		}
		return Keychain, nil
	}
	if c.opts.Mode == ModeKeychain {
		return "", fmt.Errorf("%w: %s (%s=keychain keeps keys out of the file)", ErrUnavailable, c.reason, EnvMode)
	}
	if err := c.file.Set(name, value); err != nil {
		return "", err
	}
	return File, nil
}

// Delete removes a credential from the keychain and the file.
func (c *Credentials) Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	c.decide()
	var errs []error
	if c.keychain != nil {
		if err := c.keychain.Delete(name); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, fmt.Errorf("credential: keychain: delete %s: %w", name, err))
		}
	}
	if err := c.file.Delete(name); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Status is what a person may see of a credential.
type Status struct {
	Name string `json:"name"`
	Set  bool   `json:"set"`
	// Masked shows a few characters of a long key (Mask), never all of it.
	Masked string `json:"masked,omitempty"`
	Where  Where  `json:"where,omitempty"`
	// Error is why the credential could not be read.
	Error string `json:"error,omitempty"`
}

// Status returns the state of the credential name without its value.
func (c *Credentials) Status(name string) Status {
	s := Status{Name: name}
	v, where, err := c.Get(name)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		s.Error = err.Error()
	default:
		s.Set, s.Masked, s.Where = true, Mask(v), where
	}
	return s
}

// Values returns every stored credential's value, for redaction. Unreadable
// ones are left out.
func (c *Credentials) Values() []string {
	var out []string
	for _, n := range Names {
		if v, _, err := c.Get(n); err == nil && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Getenv returns getenv with the stored credentials behind it: a name of
// Names that the environment leaves empty is answered from the store. The
// environment wins; a store that cannot be read answers "".
func (c *Credentials) Getenv(getenv func(string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		if !slices.Contains(Names, k) && !IsMCPName(k) {
			return ""
		}
		v, _, err := c.Get(k)
		if err != nil {
			return ""
		}
		return v
	}
}

// Mask shows enough of a key to recognise it: its first three and last four
// characters for a key of 20 or more characters ("sk-…a1b2"), only the last
// two for a shorter one of 12 or more, and nothing of a shorter one.
func Mask(v string) string {
	r := []rune(v)
	switch {
	case len(r) >= 20:
		return string(r[:3]) + "…" + string(r[len(r)-4:])
	case len(r) >= 12:
		return "…" + string(r[len(r)-2:])
	case len(r) > 0:
		return "•••••"
	}
	return ""
}
