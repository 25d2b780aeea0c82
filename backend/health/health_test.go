package health

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corral-dev/corral/backend/config"
	"github.com/corral-dev/corral/backend/credential"
	"github.com/corral-dev/corral/backend/llm/catalog"
)

// fakeEngine answers the two Docker Engine API calls the health probe makes, as a real
// daemon does (GET /_ping, GET /vX/version), on a Unix socket.
func fakeEngine(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.47")
		w.Header().Set("Ostype", "linux")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			io.WriteString(w, "OK")
		case strings.HasSuffix(r.URL.Path, "/version"):
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"Version": "27.5.1", "ApiVersion": "1.47", "MinAPIVersion": "1.24", "Os": "linux", "Arch": "amd64",
			})
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return "unix://" + sock
}

// silentEngine accepts connections and never answers, like a wedged daemon.
func silentEngine(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "tcp://" + l.Addr().String()
}

func TestCheckDocker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		host        string
		wantUp      bool
		wantVersion string
		wantErr     string
	}{
		{name: "engine answers", host: fakeEngine(t), wantUp: true, wantVersion: "27.5.1"},
		{name: "no socket", host: "unix://" + filepath.Join(t.TempDir(), "missing.sock"), wantErr: "did not answer"},
		{name: "wedged daemon times out", host: silentEngine(t), wantErr: "did not answer within"},
		{name: "unparseable host", host: "no-scheme", wantErr: "docker client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &Checker{
				Getenv:        func(k string) string { return map[string]string{"DOCKER_HOST": tt.host}[k] },
				DockerTimeout: 300 * time.Millisecond,
			}
			got := c.Check(context.Background()).Docker
			if got.Reachable != tt.wantUp || got.Version != tt.wantVersion {
				t.Errorf("Check(DOCKER_HOST=%q).Docker = %+v, want reachable=%v version=%q", tt.host, got, tt.wantUp, tt.wantVersion)
			}
			if !strings.Contains(got.Error, tt.wantErr) {
				t.Errorf("Check(DOCKER_HOST=%q).Docker.Error = %q, want it to contain %q", tt.host, got.Error, tt.wantErr)
			}
		})
	}
}

func TestCheckProvidersAndFacts(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"ANTHROPIC_API_KEY": "sk-ant-secret",
		"OPENAI_BASE_URL":   "http://127.0.0.1:11434/v1",
		"DOCKER_HOST":       "unix:///nonexistent/docker.sock",
	}
	c := &Checker{
		Build:         Build{Version: "1.2.3", Commit: "abc"},
		Mode:          "serve",
		DataDir:       config.DataDir{Path: "/data", Source: config.SourceEnv},
		Getenv:        func(k string) string { return env[k] },
		DockerTimeout: time.Second,
	}
	r := c.Check(context.Background())
	want := []Provider{
		{Name: "anthropic", Label: "Anthropic", Configured: true, Source: "ANTHROPIC_API_KEY", BaseURL: "https://api.anthropic.com"},
		{Name: "openai", Label: "OpenAI-compatible", BaseURL: "http://127.0.0.1:11434/v1"},
	}
	if len(r.Providers) != len(want) {
		t.Fatalf("Check().Providers = %+v, want %+v", r.Providers, want)
	}
	for i := range want {
		if r.Providers[i] != want[i] {
			t.Errorf("Check().Providers[%d] = %+v, want %+v", i, r.Providers[i], want[i])
		}
	}
	if r.Version != "1.2.3" || r.Mode != "serve" || r.DataDir != "/data" || r.DataDirSource != config.SourceEnv {
		t.Errorf("Check() = %+v, want the build, mode and data dir it was given", r)
	}
	blob, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(blob), "sk-ant-secret") {
		t.Errorf("Check() JSON contains the API key: %s", blob)
	}
	for _, key := range []string{`"data_dir"`, `"data_dir_source":"CORRAL_HOME"`, `"docker"`, `"providers"`, `"version"`, `"commit"`, `"checked_at"`} {
		if !strings.Contains(string(blob), key) {
			t.Errorf("Check() JSON = %s, want it to contain %s (the frontend contract)", blob, key)
		}
	}
}

func TestReadBuild(t *testing.T) {
	t.Parallel()
	if got := ReadBuild("", "").Version; got != "dev" {
		t.Errorf(`ReadBuild("", "").Version = %q, want "dev"`, got)
	}
	if got := ReadBuild("0.3.0", "abc123"); got != (Build{Version: "0.3.0", Commit: "abc123"}) {
		t.Errorf(`ReadBuild("0.3.0", "abc123") = %+v, want the stamped version and commit`, got)
	}
}

// TestCheckStoredCredentials: a key saved in the credentials file makes its provider
// configured, says where it is kept, and the environment still wins.
func TestCheckStoredCredentials(t *testing.T) {
	t.Parallel()
	creds, err := credential.Open(t.TempDir(), credential.Options{Mode: credential.ModeFile})
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{"OPENAI_API_KEY": "sk-stored-openai-0123456789", "ANTHROPIC_API_KEY": "sk-ant-stored-0123456789"} {
		if _, err := creds.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"ANTHROPIC_API_KEY": "sk-ant-env", "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
	c := &Checker{
		Getenv: func(k string) string { return env[k] },
		Stored: func(name string) string {
			if st := creds.Status(name); st.Set {
				return string(st.Where)
			}
			return ""
		},
		BaseURL:       func(p string) string { return map[string]string{"openai": "http://127.0.0.1:8080/v1"}[p] },
		DockerTimeout: time.Second,
	}
	r := c.Check(context.Background())
	want := []Provider{
		{Name: "anthropic", Label: "Anthropic", Configured: true, Source: "ANTHROPIC_API_KEY", BaseURL: "https://api.anthropic.com"},
		{Name: "openai", Label: "OpenAI-compatible", Configured: true, Source: "file", BaseURL: "http://127.0.0.1:8080/v1"},
	}
	for i := range want {
		if r.Providers[i] != want[i] {
			t.Errorf("Check().Providers[%d] = %+v, want %+v", i, r.Providers[i], want[i])
		}
	}
	blob, _ := json.Marshal(r)
	if strings.Contains(string(blob), "stored") {
		t.Errorf("Check() JSON contains a stored key: %s", blob)
	}
}

// TestEveryCatalogProvider: the report lists every configurable provider of the catalog,
// in its order, with its label and default base URL, and configured by its key variable.
func TestEveryCatalogProvider(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
	for _, p := range catalog.Configurable() {
		env[p.KeyVar] = "set"
	}
	c := &Checker{Getenv: func(k string) string { return env[k] }, DockerTimeout: time.Second}
	got := c.Check(context.Background()).Providers
	want := catalog.Configurable()
	if len(got) != len(want) {
		t.Fatalf("Check().Providers = %+v, want one per catalog provider %+v", got, want)
	}
	for i, p := range want {
		w := Provider{Name: p.ID, Label: p.Label, Configured: true, Source: p.KeyVar, BaseURL: p.DefaultBaseURL}
		if got[i] != w {
			t.Errorf("Check().Providers[%d] = %+v, want %+v", i, got[i], w)
		}
	}
}

func TestCheckLocalSandbox(t *testing.T) {
	t.Parallel()
	c := &Checker{Getenv: func(string) string { return "" }, DockerTimeout: time.Millisecond}
	r := c.Check(context.Background())
	wantNames := []string{"process tree", "private /proc", "network off", "filesystem writes", "signal scoping"}
	var got []string
	for _, p := range r.LocalSandbox.Protections {
		got = append(got, p.Name)
		if p.Detail == "" {
			t.Errorf("Check().LocalSandbox protection %q has no detail: a person cannot tell how or why", p.Name)
		}
	}
	if strings.Join(got, ",") != strings.Join(wantNames, ",") {
		t.Errorf("Check().LocalSandbox protections = %q, want %q", got, wantNames)
	}
	if r.LocalSandbox.Mechanism == "namespaces+landlock" && len(r.LocalSandbox.Missing()) > 0 {
		t.Errorf("Check().LocalSandbox = %+v: mechanism namespaces+landlock with protections missing", r.LocalSandbox)
	}
	blob, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(blob), `"local_sandbox":{"mechanism":`) {
		t.Errorf("Check() JSON = %s, want a local_sandbox object (the frontend contract)", blob)
	}
}
