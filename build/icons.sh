#!/bin/sh
# icons.sh regenerates every raster icon in build/ from the two hand-written SVGs:
#   appicon-small.svg -> 16 and 32 px (and 24 px inside the .ico)
#   appicon.svg       -> everything from 48 px up, and appicon.png (1024 px, used by Wails)
# The outputs are committed, so ordinary builds need neither tool.
# Needs rsvg-convert (Debian: librsvg2-bin) and icotool (Debian: icoutils).
# Usage: build/icons.sh   (from any directory)
set -eu

cd "$(dirname "$0")"

for tool in rsvg-convert icotool; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "icons.sh: $tool not found (Debian: apt-get install librsvg2-bin icoutils)" >&2
		exit 1
	fi
done

# svg_for SIZE prints the SVG drawn for SIZE pixels: the simplified one below 48 px.
svg_for() {
	if [ "$1" -lt 48 ]; then echo appicon-small.svg; else echo appicon.svg; fi
}

# render SIZE OUT rasterizes the right SVG to a SIZE x SIZE PNG at OUT.
render() {
	mkdir -p "$(dirname "$2")"
	rsvg-convert -w "$1" -h "$1" -f png -o "$2" "$(svg_for "$1")"
}

render 1024 appicon.png

for size in 16 32 48 64 128 256 512; do
	render "$size" "linux/icons/hicolor/${size}x${size}/apps/corral.png"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in 16 24 32 48 64 128 256; do
	render "$size" "$tmp/$size.png"
done
# 16..128 as classic bitmaps; 256 stored as PNG (the Vista+ layout every tool expects).
icotool -c -o windows/icon.ico \
	"$tmp/16.png" "$tmp/24.png" "$tmp/32.png" "$tmp/48.png" "$tmp/64.png" "$tmp/128.png" \
	-r "$tmp/256.png"

echo "icons.sh: wrote appicon.png, linux/icons/hicolor/*/apps/corral.png, windows/icon.ico"
