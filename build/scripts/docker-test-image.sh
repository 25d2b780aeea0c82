#!/usr/bin/env bash
# Builds corral-test/busybox:latest, the image the Docker sandbox tests use, without a registry:
# a root filesystem holding Debian's static busybox at /bin/busybox with one symlink per applet,
# /tmp, /workspace, and /etc/passwd and /etc/group with root and nobody, made with `docker import`.
# Idempotent: does nothing when the image exists (pass --force to rebuild). Needs a running engine.
set -euo pipefail

image=${CORRAL_TEST_IMAGE:-corral-test/busybox:latest}

if [ "${1:-}" != --force ] && docker image inspect "$image" >/dev/null 2>&1; then
  exit 0
fi

if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
  if ! command -v apt-get >/dev/null; then
    echo "docker-test-image: needs Debian's busybox-static (a statically linked busybox at /bin/busybox)" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "docker-test-image: installing busybox-static"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends busybox-static >/dev/null
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,workspace,root,proc,sys,dev}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
  docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' -m 'corral sandbox test image (busybox-static)' - "$image" >/dev/null
echo "docker-test-image: built $image"
