#!/usr/bin/env bash
# package-check.sh DEB EXE: proves the packages work as a person would use them.
# The .deb installs with apt, its files are where the app menu looks, its .desktop entry
# launches the window (under Xvfb) which reports ready, and it uninstalls cleanly.
# The .exe is a PE32+ GUI binary. Needs root (or sudo) for apt.
set -euo pipefail
deb=$(realpath "$1")
exe=$2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

fail() { echo "package-check: $*" >&2; exit 1; }

# Windows: a GUI-subsystem x86-64 PE.
file "$exe" | grep -q 'PE32+ executable (GUI) x86-64' || fail "$exe is not a PE32+ GUI binary: $(file "$exe")"
echo "package-check: $(file -b "$exe")"

# Debian: contents first, then a real install.
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/corral ./usr/lib/corral/corral-desktop ./usr/share/applications/corral.desktop \
	./usr/share/icons/hicolor/256x256/apps/corral.png ./usr/share/icons/hicolor/scalable/apps/corral.svg; do
	grep -q " $f\$" <<<"$contents" || fail "$deb lacks $f"
done
if dpkg-query -W -f='${Status}' corral 2>/dev/null | grep -q "install ok installed"; then
	fail "corral is already installed on this machine; remove it first (apt remove corral)"
fi
DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 $sudo apt-get install -y -q "$deb" >/dev/null 2>&1 || fail "apt could not install $deb"
trap 'DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 $sudo apt-get remove -y -q corral >/dev/null 2>&1' EXIT

desktop=/usr/share/applications/corral.desktop
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$desktop"; fi
exec_line=$(sed -n 's/^Exec=//p' "$desktop")
[ -n "$exec_line" ] || fail "$desktop has no Exec line"
command -v "${exec_line%% *}" >/dev/null || fail "Exec=$exec_line is not on PATH after install"

# Launch what the menu would launch, in a virtual display, and wait for the UI to report.
home=$(mktemp -d)
log=$home/corral.log
CORRAL_HOME=$home/data timeout 90 xvfb-run -a -s "-screen 0 1280x800x24" sh -c "$exec_line" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 900); do
	if grep -q 'msg="frontend ready"' "$log"; then break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "msg=\"frontend ready\".*dataDir=$home/data" "$log" || { cat "$log" >&2; fail "the .desktop entry did not bring up a working window"; }
pkill -TERM -f "^corral\$" || true
wait "$pid" || true
echo "package-check: $deb installs, its menu entry opens a working window, and it uninstalls"
