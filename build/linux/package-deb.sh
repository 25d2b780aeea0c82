#!/bin/sh
# package-deb.sh builds OUTDIR/corral_<version>_<arch>.deb from the Linux corral binaries.
#
# Usage: build/linux/package-deb.sh BINARY DESKTOP VERSION OUTDIR
#   BINARY   the headless corral (no tags): /usr/bin/corral, every command but the window
#   DESKTOP  corral-desktop, built with -tags desktop,production,webkit2_41:
#            /usr/lib/corral/corral-desktop, which `corral` with no command becomes
#   VERSION  any version string (v1.2.3, 1.2.3-rc.1, git describe output); it is
#            turned into a valid Debian version, printed on stdout with the .deb path
#   OUTDIR   where the .deb goes (created if missing)
# Environment:
#   DEB_ARCH          Debian architecture of BINARY (default amd64)
#   DEB_MAINTAINER    the control file's Maintainer field
#   SOURCE_DATE_EPOCH timestamps inside the package (default: last commit, else now)
#
# Needs dpkg-deb. Uses dpkg-shlibdeps (dpkg-dev) to compute Depends when present,
# and desktop-file-validate (desktop-file-utils) to check the .desktop file when present.
set -eu

usage() {
	echo "usage: $0 BINARY DESKTOP VERSION OUTDIR" >&2
	exit 2
}

[ $# -eq 4 ] || usage
binary=$1
desktop=$2
version=$3
outdir=$4
arch=${DEB_ARCH:-amd64}
maintainer=${DEB_MAINTAINER:-Corral developers <maintainers@corral.dev>}

here=$(cd "$(dirname "$0")" && pwd)
build=$(dirname "$here")

for f in "$binary" "$desktop"; do
	if [ ! -f "$f" ]; then
		echo "package-deb.sh: no binary at $f" >&2
		exit 1
	fi
done

# deb_version turns a version string into one dpkg accepts, keeping its order:
#   v1.2.3                  -> 1.2.3
#   1.2.3-rc.1              -> 1.2.3~rc.1                 (pre-release: before 1.2.3)
#   1.2.3+build-5           -> 1.2.3+build.5
#   v1.2.3-4-gabc1234-dirty -> 1.2.3+git4.gabc1234.dirty  (git describe: after 1.2.3)
#   dev                     -> 0~dev
deb_version() {
	v=${1#[vV]}
	suffix=""
	case $v in
	*-dirty) v=${v%-dirty} dirty=dirty ;;
	*) dirty="" ;;
	esac
	commits=$(printf '%s\n' "$v" | sed -n -E 's/^.+-([0-9]+)-g([0-9a-f]{4,})$/git\1.g\2/p')
	if [ -n "$commits" ]; then
		v=$(printf '%s\n' "$v" | sed -E 's/-[0-9]+-g[0-9a-f]{4,}$//')
		suffix="+$commits${dirty:+.$dirty}"
	elif [ -n "$dirty" ]; then
		suffix="+$dirty"
	fi
	v=$(printf '%s\n' "$v" | sed -E -e 's/^([^+-]*)-/\1~/' -e 's/[^A-Za-z0-9.+~]/./g')
	case $v in
	[0-9]*) ;;
	*) v="0~$v" ;;
	esac
	printf '%s%s\n' "$v" "$suffix"
}

if [ -z "$version" ]; then
	echo "package-deb.sh: empty VERSION" >&2
	exit 1
fi
debversion=$(deb_version "$version")
if dpkg --validate-version "$debversion" 2>/dev/null; then :; else
	echo "package-deb.sh: cannot make a Debian version from $version (got $debversion)" >&2
	exit 1
fi

if command -v readelf >/dev/null 2>&1 && readelf -d "$binary" | grep -q 'libwebkit2gtk-4\.0'; then
	echo "package-deb.sh: $binary links WebKit2GTK 4.0; build it with -tags webkit2_41" >&2
	exit 1
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$build" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root

install -D -m 0755 "$binary" "$root/usr/bin/corral"
install -D -m 0755 "$desktop" "$root/usr/lib/corral/corral-desktop"
# The local sandbox's launcher (make build puts it next to the binary): without it Corral
# re-executes itself for every local command.
launcher=$(dirname "$binary")/corral-sandbox-init
if [ -x "$launcher" ]; then
	install -D -m 0755 "$launcher" "$root/usr/lib/corral/corral-sandbox-init"
else
	echo "package-deb.sh: no $launcher; local commands will start through corral itself (slower)" >&2
fi
install -D -m 0644 "$here/corral.desktop" "$root/usr/share/applications/corral.desktop"
for dir in "$here"/icons/hicolor/*x*; do
	size=$(basename "$dir")
	install -D -m 0644 "$dir/apps/corral.png" "$root/usr/share/icons/hicolor/$size/apps/corral.png"
done
install -D -m 0644 "$build/appicon.svg" "$root/usr/share/icons/hicolor/scalable/apps/corral.svg"

if command -v desktop-file-validate >/dev/null 2>&1; then
	desktop-file-validate "$root/usr/share/applications/corral.desktop"
fi

# Depends: what dpkg-shlibdeps finds in the binaries, else the libraries a Wails
# webkit2_41 build links (measured on Debian 12).
depends="libc6 (>= 2.34), libgtk-3-0 (>= 3.22), libwebkit2gtk-4.1-0 (>= 2.40), libjavascriptcoregtk-4.1-0, libsoup-3.0-0, libglib2.0-0 (>= 2.56), libgdk-pixbuf-2.0-0"
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	mkdir -p "$work/src/debian"
	printf 'Source: corral\n\nPackage: corral\nArchitecture: %s\n' "$arch" >"$work/src/debian/control"
	found=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/corral" "$root/usr/lib/corral/corral-desktop" 2>/dev/null |
		sed -n 's/^shlibs:Depends=//p') || found=""
	if [ -n "$found" ]; then
		depends=$found
	else
		echo "package-deb.sh: dpkg-shlibdeps found nothing; using the default Depends" >&2
	fi
fi

size=$(du -sk "$root/usr" | cut -f1)
mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: corral
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: devel
Priority: optional
Homepage: https://github.com/corral-dev/corral
Description: run AI coding agents safely on your machine
 Corral is a desktop app that runs AI coding agents against a workspace
 inside a sandbox. Every model call, tool call and approval is recorded
 as a durable step, so runs can be inspected, resumed and replayed, and
 risky actions wait for a person to approve them.
CONTROL
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

mkdir -p "$outdir"
deb="$outdir/corral_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
