package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func fakeEnv(goos string, vars map[string]string, home string) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		GOOS:   goos,
		HomeDir: func() (string, error) {
			if home == "" {
				return "", errors.New("no home")
			}
			return home, nil
		},
	}
}

func TestResolveDataDir(t *testing.T) {
	t.Parallel()
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		flag    string
		goos    string
		vars    map[string]string
		home    string
		want    DataDir
		wantErr bool
	}{
		{name: "flag wins over env", flag: "/opt/flag", goos: "linux", vars: map[string]string{EnvHome: "/opt/env"}, home: "/home/u",
			want: DataDir{Path: "/opt/flag", Source: SourceFlag}},
		{name: "env over default", goos: "linux", vars: map[string]string{EnvHome: "/opt/env"}, home: "/home/u",
			want: DataDir{Path: "/opt/env", Source: SourceEnv}},
		{name: "linux default", goos: "linux", home: "/home/u",
			want: DataDir{Path: "/home/u/.local/share/corral", Source: SourceDefault}},
		{name: "linux xdg", goos: "linux", vars: map[string]string{"XDG_DATA_HOME": "/xdg"}, home: "/home/u",
			want: DataDir{Path: "/xdg/corral", Source: SourceDefault}},
		{name: "relative xdg ignored", goos: "linux", vars: map[string]string{"XDG_DATA_HOME": "rel"}, home: "/home/u",
			want: DataDir{Path: "/home/u/.local/share/corral", Source: SourceDefault}},
		{name: "darwin default", goos: "darwin", home: "/Users/u",
			want: DataDir{Path: "/Users/u/Library/Application Support/Corral", Source: SourceDefault}},
		{name: "relative flag made absolute", flag: "data", goos: "linux", home: "/home/u",
			want: DataDir{Path: filepath.Join(cwd, "data"), Source: SourceFlag}},
		{name: "tilde expanded", flag: "~/corral-data", goos: "linux", home: "/home/u",
			want: DataDir{Path: "/home/u/corral-data", Source: SourceFlag}},
		{name: "no home and no override", goos: "linux", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolveDataDir(tt.flag, fakeEnv(tt.goos, tt.vars, tt.home))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ResolveDataDir(%q) error = %v, wantErr %v", tt.flag, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ResolveDataDir(%q) = %+v, want %+v", tt.flag, got, tt.want)
			}
		})
	}
}

func TestEnsure(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := (DataDir{Path: dir}).Ensure(); err != nil {
		t.Fatalf("Ensure(%q) = %v, want nil", dir, err)
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o700 {
		t.Fatalf("Ensure(%q) made %v (err %v), want a 0700 directory", dir, info.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("Ensure(%q) left %d entries behind, want 0", dir, len(entries))
	}

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (DataDir{Path: file}).Ensure(); err == nil {
		t.Errorf("Ensure(%q) on a regular file = nil, want an error", file)
	}
}
