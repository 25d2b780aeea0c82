#!/usr/bin/env bash
# Installs what building (deps.sh run) or testing (deps.sh test) Corral needs on Debian or
# Ubuntu, and nothing that is already there. Idempotent: on a ready machine it only checks.
set -euo pipefail

want=${1:-run}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Packages for building the desktop binary (GTK 3 + WebKit2GTK 4.1 via cgo).
pkgs=(libgtk-3-dev libwebkit2gtk-4.1-dev pkg-config gcc libc6-dev)
if [ "$want" = test ]; then
  # Tests add a virtual display (and xdotool to type in the window), a browser, screenshots,
  # and a Docker engine for the sandbox;
  # dbus + gnome-keyring give backend/credential a real Secret Service in a private session;
  # GNU time measures the CLI's peak memory (BenchmarkCLIStart).
  pkgs+=(xvfb xauth xdotool chromium imagemagick fonts-dejavu-core file desktop-file-utils dbus gnome-keyring time)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "deps: missing ${missing[*]}, and this is not a Debian/Ubuntu machine: install them by hand (see README)" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "deps: Node $(node --version) is too old; Corral's frontend needs Node 18 or newer" >&2
  exit 1
fi

if ! command -v go >/dev/null; then
  echo "deps: Go is not installed. Install Go 1.21 or newer (it fetches the 1.26 toolchain go.mod asks for)." >&2
  exit 1
fi

if [ "$want" = test ]; then
  # The reference MCP server the MCP tests run (@modelcontextprotocol/server-everything),
  # pinned by its lock file; the tests are offline after this.
  mcp_dir="$(dirname "$0")/../../e2e/testdata/mcp"
  if [ ! -f "$mcp_dir/node_modules/.package-lock.json" ] || [ "$mcp_dir/package-lock.json" -nt "$mcp_dir/node_modules/.package-lock.json" ]; then
    echo "deps: installing the MCP test servers (npm ci in e2e/testdata/mcp)"
    (cd "$mcp_dir" && npm ci --no-audit --no-fund)
  fi
fi
