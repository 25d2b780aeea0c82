//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/corral-dev/corral/backend/egress/egresstest"
)

// TestEgressAllowHost: with the settings' network policy "allowlist", a command's fetch of
// a host outside the allowlist is blocked and shown in its tool card; "for this session"
// adds a net(...) rule to the ledger, and the session's next run reaches the host.
func TestEgressAllowHost(t *testing.T) {
	ip := egresstest.HostAddress()
	if ip.IsLoopback() {
		t.Skip("no host address outside loopback to serve from")
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintln(w, "hello from the host")
	}))
	l, err := net.Listen("tcp4", ip.String()+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	target := l.Addr().String()

	s := newCmdSession(t)
	if err := os.WriteFile(filepath.Join(s.dd, "settings.json"), []byte(`{"sandbox":{"egress":"allowlist"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.send("busybox wget -q -O- http://" + target + "/")
	var blocked, added string
	s.do("approve; the fetch is blocked and offered",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`[data-testid="run-status"][data-status="completed"]`),
		chromedp.WaitVisible(`[data-testid="egress-blocked"]`),
		chromedp.Text(`[data-testid="egress-blocked"]`, &blocked),
		chromedp.Click(`[data-testid="egress-allow-session"]`),
		chromedp.WaitVisible(`[data-testid="egress-added"]`),
		chromedp.Text(`[data-testid="egress-added"]`, &added),
	)
	s.shot("egress-blocked.png")
	if !strings.Contains(blocked, "blocked GET "+target) || !strings.Contains(added, "net("+target+")") {
		t.Errorf("card says %q, then %q; want the blocked fetch and the rule added", blocked, added)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the host before it was allowed", n)
	}
	var rules []struct {
		Rule  string `json:"rule"`
		Scope string `json:"scope"`
	}
	raw, err := os.ReadFile(filepath.Join(s.dd, "rules.json"))
	if err != nil || json.Unmarshal(raw, &rules) != nil || len(rules) != 1 || rules[0].Rule != "net("+target+")" || !strings.HasPrefix(rules[0].Scope, "session:") {
		t.Fatalf("rules.json = %s, %v; want one session rule net(%s)", raw, err, target)
	}

	s.send("busybox wget -q -O- http://" + target + "/")
	var allowed string
	s.do("the next run reaches it",
		chromedp.WaitVisible(openDialog),
		chromedp.Click(openDialog+` [data-testid="approve"]`),
		chromedp.WaitVisible(`[data-testid="egress-allowed"]`),
		chromedp.Text(`[data-testid="egress-allowed"]`, &allowed),
	)
	if !strings.Contains(allowed, "allowed GET "+target+" (200") || hits.Load() != 1 {
		t.Errorf("second run's card says %q with %d requests served; want it allowed and served once", allowed, hits.Load())
	}
}
