package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestUnauthorizedPage(t *testing.T) {
	t.Parallel()
	s, _ := newTestServer(t)
	tests := []struct {
		name     string
		method   string
		target   string
		accept   string
		wantType string
		wantBody string
	}{
		{name: "browser navigation", method: "GET", target: "/", accept: "text/html,application/xhtml+xml,*/*;q=0.8", wantType: "text/html", wantBody: "<h1>Corral: unauthorized</h1>"},
		{name: "api call", method: "POST", target: "/api/call/Greeter.Count", accept: "application/json", wantType: "application/json", wantBody: `"error":"unauthorized`},
		{name: "no accept header", method: "GET", target: "/", wantType: "application/json", wantBody: "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://127.0.0.1:8080"+tt.target, nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("%s %s = %d, want 401", tt.method, tt.target, w.Code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("%s %s Content-Type = %q, want %s", tt.method, tt.target, ct, tt.wantType)
			}
			if !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("%s %s body = %q, want it to contain %q", tt.method, tt.target, w.Body.String(), tt.wantBody)
			}
		})
	}
}
