package docker

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"
)

// fakeEngine answers the few calls an image pull makes, as an engine with
// API 1.41 and a registry behind it would; pullError makes the pull fail
// midway.
func fakeEngine(t *testing.T, pullError string) *client.Client {
	t.Helper()
	var mu sync.Mutex
	pulled := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		path := r.URL.Path
		switch {
		case path == "/_ping":
			_, _ = w.Write([]byte("OK"))
		case !strings.HasPrefix(path, "/v1.41/"):
			http.Error(w, "version not negotiated: "+path, http.StatusBadRequest)
		case strings.HasSuffix(path, "/json") && strings.HasPrefix(path, "/v1.41/images/"):
			mu.Lock()
			ok := pulled
			mu.Unlock()
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				_ = json.NewEncoder(w).Encode(map[string]string{"message": "No such image"})
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"Id": "sha256:feed"})
		case path == "/v1.41/images/create":
			enc := json.NewEncoder(w)
			_ = enc.Encode(map[string]any{"status": "Pulling from example/tool", "id": "1.0"})
			_ = enc.Encode(map[string]any{"status": "Downloading", "id": "layer1", "progressDetail": map[string]int64{"current": 512, "total": 2048}})
			if pullError != "" {
				_ = enc.Encode(map[string]any{"errorDetail": map[string]any{"message": pullError}, "error": pullError})
				return
			}
			_ = enc.Encode(map[string]any{"status": "Downloading", "id": "layer1", "progressDetail": map[string]int64{"current": 2048, "total": 2048}})
			_ = enc.Encode(map[string]any{"status": "Pull complete", "id": "layer1"})
			mu.Lock()
			pulled = true
			mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	cli, err := client.New(client.WithHost("tcp://" + strings.TrimPrefix(srv.URL, "http://")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func TestPullProgress(t *testing.T) {
	t.Parallel()
	m, err := New(context.Background(), Options{Client: fakeEngine(t, "")})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.APIVersion(); got != "1.41" {
		t.Errorf("APIVersion() = %q, want 1.41 (negotiated down)", got)
	}
	var events []Progress
	if err := m.ensureImage(context.Background(), "example/tool:1.0", func(p Progress) { events = append(events, p) }); err != nil {
		t.Fatalf("ensureImage() error = %v", err)
	}
	want := []Progress{
		{Image: "example/tool:1.0", Layer: "1.0", Status: "Pulling from example/tool"},
		{Image: "example/tool:1.0", Layer: "layer1", Status: "Downloading", Current: 512, Total: 2048},
		{Image: "example/tool:1.0", Layer: "layer1", Status: "Downloading", Current: 2048, Total: 2048},
		{Image: "example/tool:1.0", Layer: "layer1", Status: "Pull complete"},
	}
	if !slices.Equal(events, want) {
		t.Errorf("progress = %+v, want %+v", events, want)
	}
}

func TestPullFails(t *testing.T) {
	t.Parallel()
	m, err := New(context.Background(), Options{Client: fakeEngine(t, "manifest unknown")})
	if err != nil {
		t.Fatal(err)
	}
	err = m.ensureImage(context.Background(), "example/tool:1.0", nil)
	if err == nil || err.Error() != "docker: image example/tool:1.0 not found locally and could not be pulled: pull failed: manifest unknown" {
		t.Errorf("ensureImage() error = %v", err)
	}
}
