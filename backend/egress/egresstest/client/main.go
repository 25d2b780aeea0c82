// Command client is the egress corpus's HTTPS client inside a sandbox
// (busybox wget sends https:// URLs to a proxy as plain requests, never
// CONNECT): it fetches a URL through HTTPS_PROXY with CONNECT, optionally
// naming another TLS server name than the URL's host (domain fronting).
// Built static (CGO off) by egresstest, so it runs in a busybox image.
//
//	client [-sni NAME] URL
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	sni := flag.String("sni", "", "TLS server name to send instead of the URL's host")
	flag.Parse()
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{ServerName: *sni, InsecureSkipVerify: true}}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
	if resp.StatusCode != 200 {
		fmt.Fprintln(os.Stderr, resp.Status)
		os.Exit(1)
	}
}
