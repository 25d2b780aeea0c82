package server

import (
	"net/http"
	"strings"
)

// unauthorizedMsg is what a request without the token is told.
const unauthorizedMsg = "unauthorized: open the URL that `corral serve` printed (it carries the token)"

// unauthorizedPage is the 401 page a browser shows: a person who lost the token (a bookmark
// without it, a restarted server) reads what to do, not a JSON object. It loads nothing.
const unauthorizedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Corral: unauthorized</title>
<style>body{font:15px/1.5 system-ui,sans-serif;color:#1a1e23;background:#f4f5f7;margin:0;display:grid;place-items:center;min-height:100vh}
main{max-width:34rem;padding:24px 28px;background:#fff;border:1px solid #d9dde3;border-radius:8px}
h1{font-size:18px;margin:0 0 8px}code{background:#eef0f3;padding:1px 4px;border-radius:4px}</style></head>
<body><main><h1>Corral: unauthorized</h1>
<p>This page needs the link that <code>corral serve</code> printed when it started: it carries a one-time token
(<code>?token=…</code>) that this browser trades for a cookie.</p>
<p>Open that link again, or restart <code>corral serve</code> and open the new one. A bookmark of the page
without the token does not work after the server restarts.</p></main></body></html>
`

// unauthorized answers 401: an HTML page to a browser's navigation, JSON to the API.
func unauthorized(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(unauthorizedPage))
		return
	}
	httpError(w, http.StatusUnauthorized, unauthorizedMsg)
}
