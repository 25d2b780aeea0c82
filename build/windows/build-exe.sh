#!/bin/sh
# build-exe.sh cross-builds corral.exe (windows/amd64) from any host; Wails'
# Windows target needs no cgo. It compiles build/windows/winres.json (icon.ico,
# manifest, version info) into rsrc_windows_amd64.syso at the repository root,
# where go build picks it up, and always removes that file again.
#
# Usage: build/windows/build-exe.sh VERSION OUTFILE
#   VERSION  e.g. v1.2.3; stamped into main.version and the file's version info
#   OUTFILE  the .exe to write (relative to the current directory)
# COMMIT in the environment, if set, is stamped into main.commit.
# Needs Go and the module proxy (or a warm module cache) for go-winres.
set -eu

winres=github.com/tc-hib/go-winres@v0.3.3

if [ $# -ne 2 ]; then
	echo "usage: $0 VERSION OUTFILE" >&2
	exit 2
fi
version=$1
out=$2
case $out in
/*) ;;
*) out=$PWD/$out ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
syso=$repo/rsrc_windows_amd64.syso

# The version info has a numeric part (four 16-bit numbers) and strings;
# the strings keep VERSION as given, the numbers are its leading digits.
product=${version#[vV]}
numeric=$(printf '%s\n' "$product" | sed -n -E 's/^([0-9]+(\.[0-9]+){0,3}).*/\1/p')
numeric=${numeric:-0}
while [ "$(printf '%s' "$numeric" | tr -cd . | wc -c)" -lt 3 ]; do
	numeric=$numeric.0
done

if [ -e "$syso" ]; then
	echo "build-exe.sh: replacing a stale $syso" >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$syso"' EXIT
trap 'exit 130' HUP INT TERM

# go-winres runs on the host, whatever GOOS/GOARCH the caller exported.
env -u GOOS -u GOARCH go run "$winres" make \
	--in "$here/winres.json" \
	--out "$tmp/rsrc" \
	--arch amd64 \
	--file-version "$numeric" \
	--product-version "$product"
cp "$tmp/rsrc_windows_amd64.syso" "$syso"

mkdir -p "$(dirname "$out")"
cd "$repo"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build \
	-tags desktop,production \
	-ldflags "-H windowsgui -s -w -X main.version=$version -X main.commit=${COMMIT:-}" \
	-o "$out" .
echo "$out"
