package credential_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/credential"
)

// insideKeyring marks the test process re-executed inside a private D-Bus
// session with an unlocked gnome-keyring.
const insideKeyring = "CORRAL_TEST_INSIDE_KEYRING"

// TestKeychainSecretService saves, reads and deletes a key through a real
// Secret Service: the test re-runs itself under dbus-run-session with
// gnome-keyring-daemon (apt: dbus, gnome-keyring), in a throwaway home, so the
// person's own keychain is never touched. Without those programs it is skipped.
func TestKeychainSecretService(t *testing.T) {
	if os.Getenv(insideKeyring) == "" {
		for _, bin := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
			if _, err := exec.LookPath(bin); err != nil {
				t.Skipf("%s is not installed (apt-get install dbus gnome-keyring)", bin)
			}
		}
		home := t.TempDir()
		runtimeDir := filepath.Join(home, "run")
		if err := os.Mkdir(runtimeDir, 0o700); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		script := `printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 && exec "$0" -test.run='^TestKeychainSecretService$' -test.v -test.count=1`
		cmd := exec.CommandContext(ctx, "dbus-run-session", "--", "sh", "-c", script, os.Args[0])
		// The daemon may outlive the session a moment and hold the output pipe: Wait gives up
		// on it after WaitDelay instead of hanging the package (seen once under heavy load).
		cmd.WaitDelay = 10 * time.Second
		cmd.Env = append(os.Environ(), insideKeyring+"=1", "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"),
			"XDG_RUNTIME_DIR="+runtimeDir, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"))
		out, err := cmd.CombinedOutput()
		t.Logf("inside the keyring session:\n%s", out)
		if err != nil {
			t.Fatalf("keyring session: %v", err)
		}
		if !strings.Contains(string(out), "--- PASS: TestKeychainSecretService") {
			t.Fatal("the test did not pass inside the keyring session")
		}
		return
	}

	dir := t.TempDir()
	c, err := credential.Open(dir, credential.Options{Mode: credential.ModeKeychain, Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if where, reason := c.Backend(); where != credential.Keychain {
		t.Fatalf("Backend() = %s (%s), want keychain", where, reason)
	}
	where, err := c.Set("OPENAI_API_KEY", key)
	if err != nil || where != credential.Keychain {
		t.Fatalf("Set = %s, %v; want keychain", where, err)
	}
	// A fresh store, as another process would open it, reads it back.
	raw := credential.NewKeychain(5 * time.Second)
	if v, err := raw.Get("OPENAI_API_KEY"); err != nil || v != key {
		t.Errorf("keychain Get = %q, %v; want the key", v, err)
	}
	if _, err := os.Stat(filepath.Join(dir, credential.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("credentials file exists (%v); a keychain save must not write it", err)
	}
	if st := c.Status("OPENAI_API_KEY"); !st.Set || st.Where != credential.Keychain || st.Masked != "sk-…a1b2" {
		t.Errorf("Status = %+v", st)
	}
	if err := c.Delete("OPENAI_API_KEY"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Get("OPENAI_API_KEY"); !errors.Is(err, credential.ErrNotFound) {
		t.Errorf("keychain Get after Delete = %v, want ErrNotFound", err)
	}
}
