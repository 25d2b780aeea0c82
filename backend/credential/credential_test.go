package credential_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/corral-dev/corral/backend/credential"
)

const key = "sk-proj-abcdefghijklmnop0123a1b2"

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"Long", key, "sk-…a1b2"},
		{"Twenty", "abcdefghijklmnopqrst", "abc…qrst"},
		{"Medium", "abcdefghijkl", "…kl"},
		{"Short", "abc", "•••••"},
		{"Empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := credential.Mask(tt.in)
			if got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(tt.in) > 0 && strings.Contains(got, tt.in) {
				t.Errorf("Mask(%q) = %q shows the whole key", tt.in, got)
			}
		})
	}
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	f := credential.NewFile(dir)
	if _, err := f.Get("OPENAI_API_KEY"); !errors.Is(err, credential.ErrNotFound) {
		t.Fatalf("Get on a missing file = %v, want ErrNotFound", err)
	}
	if err := f.Set("OPENAI_API_KEY", key); err != nil {
		t.Fatal(err)
	}
	if err := f.Set("ANTHROPIC_API_KEY", "sk-ant-xyz"); err != nil {
		t.Fatal(err)
	}
	got, err := f.Get("OPENAI_API_KEY")
	if err != nil || got != key {
		t.Fatalf("Get = %q, %v; want %q", got, err, key)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(f.Path())
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("file mode = %04o, want 0600", perm)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := di.Mode().Perm(); perm != 0o700 {
			t.Errorf("dir mode = %04o, want 0700", perm)
		}
	}
	// Atomic: no temporary file is left beside it.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != credential.FileName {
		t.Errorf("data dir holds %v, want only %s", entries, credential.FileName)
	}
	if err := f.Delete("OPENAI_API_KEY"); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete("OPENAI_API_KEY"); err != nil {
		t.Errorf("second Delete = %v, want nil", err)
	}
	if _, err := f.Get("OPENAI_API_KEY"); !errors.Is(err, credential.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if v, err := f.Get("ANTHROPIC_API_KEY"); err != nil || v != "sk-ant-xyz" {
		t.Errorf("the other key after Delete = %q, %v", v, err)
	}
}

func TestFileStoreConcurrentSet(t *testing.T) {
	t.Parallel()
	f := credential.NewFile(t.TempDir())
	var wg sync.WaitGroup
	for _, name := range credential.Names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Set(name, "value-of-"+name); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, name := range credential.Names {
		if v, err := f.Get(name); err != nil || v != "value-of-"+name {
			t.Errorf("Get(%s) = %q, %v after concurrent sets", name, v, err)
		}
	}
}

func TestFileStoreBadFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"Corrupt", `{"version": 1, "credentials": {`, 0o600, "not a valid credentials file"},
		{"Version", `{"version": 9, "credentials": {}}`, 0o600, "version 9"},
		{"ReadableByOthers", `{"version": 1, "credentials": {"OPENAI_API_KEY": "x"}}`, 0o644, "others can read it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.mode&0o077 != 0 && runtime.GOOS == "windows" {
				t.Skip("no Unix modes")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, credential.FileName)
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, tt.mode) // whatever the umask
			f := credential.NewFile(dir)
			_, err := f.Get("OPENAI_API_KEY")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("Get = %v, want an error naming %s with %q", err, path, tt.want)
			}
			if err := f.Set("OPENAI_API_KEY", key); err == nil {
				t.Errorf("Set over a bad file = nil, want an error (it would lose what the file held)")
			}
		})
	}
}

// fakeKeychain is a keychain in memory; fail makes every call fail.
type fakeKeychain struct {
	mu   sync.Mutex
	m    map[string]string
	fail error
}

func (k *fakeKeychain) Get(name string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return "", k.fail
	}
	v, ok := k.m[name]
	if !ok {
		return "", credential.ErrNotFound
	}
	return v, nil
}

func (k *fakeKeychain) Set(name, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.m[name] = value
	return nil
}

func (k *fakeKeychain) Delete(name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	delete(k.m, name)
	return nil
}

func TestBackendDecision(t *testing.T) {
	t.Parallel()
	noBus := func(string) string { return "" }
	tests := []struct {
		name       string
		opts       credential.Options
		want       credential.Where
		wantReason string
	}{
		{"KeychainAnswers", credential.Options{Keychain: &fakeKeychain{m: map[string]string{}}}, credential.Keychain, ""},
		{"KeychainFails", credential.Options{Keychain: &fakeKeychain{fail: errors.New("org.freedesktop.DBus.Error.ServiceUnknown")}}, credential.File, "ServiceUnknown"},
		{"ForcedFile", credential.Options{Mode: credential.ModeFile, Keychain: &fakeKeychain{m: map[string]string{}}}, credential.File, "CORRAL_CREDENTIAL_STORE=file"},
	}
	if runtime.GOOS == "linux" {
		tests = append(tests, struct {
			name       string
			opts       credential.Options
			want       credential.Where
			wantReason string
		}{"NoSessionBus", credential.Options{Getenv: noBus}, credential.File, "no D-Bus session bus"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := credential.Open(t.TempDir(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			where, reason := c.Backend()
			if where != tt.want || !strings.Contains(reason, tt.wantReason) {
				t.Errorf("Backend() = %s, %q; want %s, %q", where, reason, tt.want, tt.wantReason)
			}
			got, err := c.Set("OPENAI_API_KEY", "  "+key+"\n")
			if err != nil || got != tt.want {
				t.Fatalf("Set = %s, %v; want %s", got, err, tt.want)
			}
			v, from, err := c.Get("OPENAI_API_KEY")
			if err != nil || v != key || from != tt.want {
				t.Errorf("Get = %q, %s, %v; want %q from %s", v, from, err, key, tt.want)
			}
		})
	}
}

func TestOpenBadMode(t *testing.T) {
	t.Parallel()
	if _, err := credential.Open(t.TempDir(), credential.Options{Mode: "vault"}); err == nil {
		t.Error("Open with mode vault = nil error, want one")
	}
}

func TestKeychainFirstThenFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A key saved to the file while the keychain was unusable...
	if err := credential.NewFile(dir).Set("ANTHROPIC_API_KEY", "sk-ant-old-file-key"); err != nil {
		t.Fatal(err)
	}
	kc := &fakeKeychain{m: map[string]string{}}
	c, err := credential.Open(dir, credential.Options{Keychain: kc})
	if err != nil {
		t.Fatal(err)
	}
	// ...is still found, and says where it is.
	if v, where, err := c.Get("ANTHROPIC_API_KEY"); err != nil || v != "sk-ant-old-file-key" || where != credential.File {
		t.Errorf("Get = %q, %s, %v; want the file's key", v, where, err)
	}
	// Saving again moves it to the keychain and removes the file's copy.
	if _, err := c.Set("ANTHROPIC_API_KEY", "sk-ant-new-keychain-key"); err != nil {
		t.Fatal(err)
	}
	if _, err := credential.NewFile(dir).Get("ANTHROPIC_API_KEY"); !errors.Is(err, credential.ErrNotFound) {
		t.Errorf("file copy after saving to the keychain: %v, want ErrNotFound", err)
	}
	if st := c.Status("ANTHROPIC_API_KEY"); !st.Set || st.Where != credential.Keychain || st.Masked != "sk-…-key" {
		t.Errorf("Status = %+v, want set in the keychain, masked sk-…-key", st)
	}
	if err := c.Delete("ANTHROPIC_API_KEY"); err != nil {
		t.Fatal(err)
	}
	if st := c.Status("ANTHROPIC_API_KEY"); st.Set || st.Error != "" {
		t.Errorf("Status after Delete = %+v, want unset", st)
	}
}

func TestUnknownAndEmpty(t *testing.T) {
	t.Parallel()
	c, _ := credential.Open(t.TempDir(), credential.Options{Mode: credential.ModeFile})
	if _, err := c.Set("HOME", "x"); !errors.Is(err, credential.ErrUnknownName) {
		t.Errorf("Set(HOME) = %v, want ErrUnknownName", err)
	}
	if _, err := c.Set("OPENAI_API_KEY", "   "); err == nil {
		t.Error("Set of an empty value = nil, want an error")
	}
	if _, err := c.Set("OPENAI_API_KEY", "a\nb"); err == nil {
		t.Error("Set of a value with a line break = nil, want an error")
	}
}

func TestGetenvEnvironmentWins(t *testing.T) {
	t.Parallel()
	c, _ := credential.Open(t.TempDir(), credential.Options{Mode: credential.ModeFile})
	if _, err := c.Set("OPENAI_API_KEY", "stored-openai-key-0000"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("ANTHROPIC_API_KEY", "stored-anthropic-key-0000"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ANTHROPIC_API_KEY": "from-env", "HOME": "/home/x"}
	getenv := c.Getenv(func(k string) string { return env[k] })
	tests := []struct{ name, want string }{
		{"ANTHROPIC_API_KEY", "from-env"},
		{"OPENAI_API_KEY", "stored-openai-key-0000"},
		{"HOME", "/home/x"},
		{"CORRAL_MODEL", ""},
	}
	for _, tt := range tests {
		if got := getenv(tt.name); got != tt.want {
			t.Errorf("getenv(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
	vals := c.Values()
	if len(vals) != 2 {
		t.Errorf("Values() = %d values, want 2", len(vals))
	}
}
