package credential

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the name Corral's entries have in the OS keychain; each entry's
// user (account) is a credential name such as OPENAI_API_KEY.
const Service = "corral"

// KeychainStore keeps credentials in the OS keychain through
// github.com/zalando/go-keyring. Each call is bounded: a keychain that does
// not answer within the timeout is an error wrapping ErrUnavailable (the call
// itself finishes in the background when the keychain answers).
type KeychainStore struct {
	timeout time.Duration
}

var _ Store = (*KeychainStore)(nil)

// NewKeychain returns the OS keychain store; calls give up after timeout.
func NewKeychain(timeout time.Duration) *KeychainStore {
	return &KeychainStore{timeout: timeout}
}

// Get returns the credential name, or ErrNotFound.
func (k *KeychainStore) Get(name string) (string, error) {
	var v string
	err := k.bounded(func() (err error) {
		v, err = keyring.Get(Service, name)
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return v, err
}

// Set saves the credential name, replacing an earlier value.
func (k *KeychainStore) Set(name, value string) error {
	return k.bounded(func() error { return keyring.Set(Service, name, value) })
}

// Delete removes the credential name; a missing one is not an error.
func (k *KeychainStore) Delete(name string) error {
	err := k.bounded(func() error { return keyring.Delete(Service, name) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// bounded runs call with the store's timeout. The goroutine ends when call
// returns, whether or not anyone still waits for it.
func (k *KeychainStore) bounded(call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("%w: no answer within %s", ErrUnavailable, k.timeout)
	}
}

// noSessionBus says why the Secret Service cannot be reached on a Unix
// desktop without a D-Bus session bus, or "" when it may be. Without this
// check the D-Bus library would try to start a bus with dbus-launch.
func noSessionBus(getenv func(string) string) string {
	if getenv == nil || runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return ""
	}
	if getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return ""
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "bus")); err == nil {
			return ""
		}
	}
	return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service keychain"
}
