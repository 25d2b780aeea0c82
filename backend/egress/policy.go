// Package egress is the network way out of a sandbox: a policy (none, an
// allowlist of host names and wildcard domains with ports, or open) and the
// proxy that enforces it. The proxy speaks HTTP forward proxying and HTTPS
// through CONNECT, judges every request by host name (and, for CONNECT, the
// TLS ClientHello's server name, which must be the CONNECT host), resolves
// names itself (IPv4 only) and reports every attempt as an Event.
//
// Package egress must not know about sandboxes, runs, approvals or the
// journal: a sandbox puts its commands where the proxy is the only way out,
// and the caller turns events into records.
package egress

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Mode is a sandbox's network policy.
type Mode string

const (
	// ModeNone cuts commands off the network (the default).
	ModeNone Mode = "none"
	// ModeAllowlist lets commands reach the hosts of the allowlist through the proxy.
	ModeAllowlist Mode = "allowlist"
	// ModeOpen lets commands reach any host through the proxy (still recorded).
	ModeOpen Mode = "open"
)

// ErrBadHost reports a host pattern that cannot be parsed.
var ErrBadHost = errors.New("egress: bad host pattern")

// ParseMode reads a mode as a person typed it; "" is ModeNone.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.TrimSpace(strings.ToLower(s))); m {
	case "":
		return ModeNone, nil
	case ModeNone, ModeAllowlist, ModeOpen:
		return m, nil
	}
	return "", fmt.Errorf("egress: network policy %q: want none, allowlist or open", s)
}

// Host is one allowlist entry: a host name ("registry.npmjs.org"), a
// wildcard domain ("*.github.com": every name under github.com, not
// github.com itself), or an IP address ("10.0.0.5"), with an optional port
// (":8443", ":*" for any). Without a port it allows 80 and 443.
type Host struct {
	// Pattern is the entry, normalised ("*.github.com:443").
	Pattern string
	name    string // lower case, no trailing dot; the domain after "*." for a wildcard
	wild    bool
	ip      netip.Addr
	port    int // 0: 80 and 443; -1: any
}

// ParseHost parses an allowlist entry.
func ParseHost(s string) (Host, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	bad := func(why string) (Host, error) { return Host{}, fmt.Errorf("%w %q: %s", ErrBadHost, s, why) }
	if t == "" {
		return bad("empty")
	}
	var h Host
	name, port := t, ""
	if strings.HasPrefix(t, "[") { // [v6]:port
		end := strings.IndexByte(t, ']')
		if end < 0 {
			return bad("unclosed [")
		}
		name, port = t[1:end], strings.TrimPrefix(t[end+1:], ":")
	} else if i := strings.LastIndexByte(t, ':'); i >= 0 && strings.Count(t, ":") == 1 {
		name, port = t[:i], t[i+1:]
	}
	switch {
	case port == "*":
		h.port = -1
	case port != "":
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad("port " + port + " is not 1-65535 or *")
		}
		h.port = n
	}
	name = strings.TrimSuffix(name, ".")
	if ip, err := netip.ParseAddr(name); err == nil {
		h.ip = ip.Unmap()
	} else {
		if rest, ok := strings.CutPrefix(name, "*."); ok {
			h.wild, name = true, rest
		}
		if !validName(name) {
			return bad("not a host name, *.domain or IP address")
		}
	}
	h.name = name
	h.Pattern = h.String()
	return h, nil
}

// String is the normalised pattern.
func (h Host) String() string {
	s := h.name
	if h.ip.IsValid() {
		s = h.ip.String()
		if h.ip.Is6() && h.port != 0 {
			s = "[" + s + "]"
		}
	}
	if h.wild {
		s = "*." + s
	}
	switch {
	case h.port < 0:
		s += ":*"
	case h.port > 0:
		s += ":" + strconv.Itoa(h.port)
	}
	return s
}

// Match reports whether the entry allows host (a name or an IP literal) on port.
func (h Host) Match(host string, port int) bool {
	switch {
	case h.port == 0 && port != 80 && port != 443:
		return false
	case h.port > 0 && port != h.port:
		return false
	}
	host = normalName(host)
	if ip, err := netip.ParseAddr(host); err == nil {
		return h.ip.IsValid() && ip.Unmap() == h.ip
	}
	if h.ip.IsValid() {
		return false
	}
	if h.wild {
		return strings.HasSuffix(host, "."+h.name)
	}
	return host == h.name
}

// validName reports whether s is a DNS name: labels of letters, digits,
// hyphens and underscores, 1-63 bytes each, 253 in all.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

func normalName(host string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

// Policy decides which connections the proxy lets through.
type Policy struct {
	Mode Mode `json:"mode"`
	// Allow is the allowlist (ModeAllowlist); Deny refuses whatever it
	// matches under any mode (a net(...) deny rule).
	Allow []Host `json:"-"`
	Deny  []Host `json:"-"`
}

// NewPolicy builds a policy from patterns, failing on the first bad one.
func NewPolicy(mode Mode, allow, deny []string) (Policy, error) {
	p := Policy{Mode: mode}
	for _, list := range []struct {
		src []string
		dst *[]Host
	}{{allow, &p.Allow}, {deny, &p.Deny}} {
		for _, s := range list.src {
			h, err := ParseHost(s)
			if err != nil {
				return Policy{}, err
			}
			*list.dst = append(*list.dst, h)
		}
	}
	return p, nil
}

// Decision is the policy's verdict on one connection.
type Decision struct {
	Allowed bool
	// Rule is the entry that decided, empty when none did.
	Rule string
	// Reason says why, for a person.
	Reason string
}

// Decide judges a connection to host (a name or an IP literal) on port.
func (p Policy) Decide(host string, port int) Decision {
	host = normalName(host)
	if i := slices.IndexFunc(p.Deny, func(h Host) bool { return h.Match(host, port) }); i >= 0 {
		return Decision{Rule: p.Deny[i].Pattern, Reason: "denied by net(" + p.Deny[i].Pattern + ")"}
	}
	switch p.Mode {
	case ModeOpen:
		return Decision{Allowed: true, Reason: "the network policy is open"}
	case ModeAllowlist:
		if i := slices.IndexFunc(p.Allow, func(h Host) bool { return h.Match(host, port) }); i >= 0 {
			return Decision{Allowed: true, Rule: p.Allow[i].Pattern, Reason: "allowed by net(" + p.Allow[i].Pattern + ")"}
		}
		if _, err := netip.ParseAddr(host); err == nil {
			return Decision{Reason: "a raw IP address is refused unless the allowlist names it"}
		}
		return Decision{Reason: fmt.Sprintf("%s:%d is not on the allowlist", host, port)}
	}
	return Decision{Reason: "the network policy is none"}
}

// Env is the environment that points programs at the proxy url:
// HTTP_PROXY, HTTPS_PROXY, their lower-case forms (curl, wget and busybox
// read only those), and NO_PROXY for the command's own loopback.
func Env(url string) []string {
	return []string{"HTTP_PROXY=" + url, "HTTPS_PROXY=" + url, "http_proxy=" + url, "https_proxy=" + url,
		"NO_PROXY=localhost,127.0.0.1", "no_proxy=localhost,127.0.0.1"}
}
