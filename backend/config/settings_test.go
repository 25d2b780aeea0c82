package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got, err := LoadSettings(dir)
	if err != nil || got.Sandbox != (Sandbox{}) {
		t.Fatalf("LoadSettings(empty dir) = %+v, %v; want zero settings", got, err)
	}
	want := Settings{
		Sandbox:   Sandbox{Env: "docker", Image: "busybox:latest", Network: true, Memory: " 2g ", CPUs: 1.5, Scope: "session"},
		Providers: map[string]Provider{"openai": {BaseURL: "http://localhost:11434/v1"}, "anthropic": {BaseURL: "  "}},
	}
	if err := SaveSettings(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err = LoadSettings(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sandbox.Memory != "2g" || got.Sandbox.Env != "docker" || got.Sandbox.CPUs != 1.5 || !got.Sandbox.Network {
		t.Errorf("LoadSettings() sandbox = %+v", got.Sandbox)
	}
	if _, ok := got.Providers["anthropic"]; ok || got.Providers["openai"].BaseURL != "http://localhost:11434/v1" {
		t.Errorf("LoadSettings() providers = %+v, want only openai's base URL", got.Providers)
	}
	if n, _ := got.Sandbox.MemoryBytes(); n != 2<<30 {
		t.Errorf("MemoryBytes() = %d, want 2 GiB", n)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(filepath.Join(dir, SettingsFile))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("settings mode = %04o, want 0600", fi.Mode().Perm())
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    Settings
		want string // "" means valid
	}{
		{"Zero", Settings{}, ""},
		{"Local", Settings{Sandbox: Sandbox{Env: "local"}}, ""},
		{"BadEnv", Settings{Sandbox: Sandbox{Env: "vm"}}, "sandbox"},
		{"BadScope", Settings{Sandbox: Sandbox{Scope: "forever"}}, "scope"},
		{"BadMemory", Settings{Sandbox: Sandbox{Memory: "lots"}}, "memory"},
		{"NegativeCPUs", Settings{Sandbox: Sandbox{CPUs: -1}}, "cpus"},
		{"ImageSpace", Settings{Sandbox: Sandbox{Image: "a b"}}, "image"},
		{"IdleAndRuns", Settings{Sandbox: Sandbox{IdleMinutes: 30, MaxRuns: 8}}, ""},
		{"NegativeIdle", Settings{Sandbox: Sandbox{IdleMinutes: -1}}, "idle minutes"},
		{"TooManyRuns", Settings{Sandbox: Sandbox{MaxRuns: 65}}, "max runs"},
		{"EgressAllowlist", Settings{Sandbox: Sandbox{Egress: "allowlist"}}, ""},
		{"EgressWithNetwork", Settings{Sandbox: Sandbox{Egress: "open", Network: true}}, "network must be off"},
		{"BadEgress", Settings{Sandbox: Sandbox{Egress: "some"}}, "egress"},
		{"UnknownProvider", Settings{Providers: map[string]Provider{"cohere": {BaseURL: "https://x"}}}, "unknown provider"},
		{"BadURL", Settings{Providers: map[string]Provider{"openai": {BaseURL: "localhost:11434"}}}, "base URL"},
		{"URLWithUser", Settings{Providers: map[string]Provider{"openai": {BaseURL: "https://me:pw@x"}}}, "credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.s.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadSettings) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want ErrBadSettings about %q", err, tt.want)
			}
		})
	}
}

func TestLoadSettingsBadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, SettingsFile), []byte(`{"sandbox": {"env": "vm"}}`), 0o600)
	if _, err := LoadSettings(dir); err == nil || !strings.Contains(err.Error(), SettingsFile) {
		t.Errorf("LoadSettings(invalid) = %v, want an error naming the file", err)
	}
	os.WriteFile(filepath.Join(dir, SettingsFile), []byte(`{"sandbox": `), 0o600)
	if _, err := LoadSettings(dir); err == nil {
		t.Error("LoadSettings(truncated) = nil, want an error")
	}
}

func TestSettingsEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"ANTHROPIC_BASE_URL": "https://env.example"}
	getenv := SettingsEnv(dir, func(k string) string { return env[k] })
	if got := getenv("OPENAI_BASE_URL"); got != "" {
		t.Errorf("OPENAI_BASE_URL before saving = %q, want empty", got)
	}
	if err := SaveSettings(dir, Settings{Providers: map[string]Provider{
		"openai": {BaseURL: "http://127.0.0.1:8080/v1"}, "anthropic": {BaseURL: "https://saved.example"},
	}}); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"OPENAI_BASE_URL":    "http://127.0.0.1:8080/v1", // saved, read on the next call
		"ANTHROPIC_BASE_URL": "https://env.example",      // the environment wins
		"OPENAI_API_KEY":     "",                         // not a setting
	} {
		if got := getenv(k); got != want {
			t.Errorf("getenv(%s) = %q, want %q", k, got, want)
		}
	}
}

func TestWriteFileAtomicLeavesNoTemp(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "x.json")
	for _, content := range []string{"one", "two"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(got) != "two" || len(entries) != 1 {
		t.Errorf("after two writes: content %q, %d entries; want \"two\" and 1", got, len(entries))
	}
}
