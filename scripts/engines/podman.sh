#!/usr/bin/env bash
# Install podman and start its Docker-compatible API on a unix socket (default /tmp/podman.sock),
# with a tiny local image localhost/busybox:test built from busybox-static (no registry needed).
# Idempotent. Needs root. Recipe: ../../../shared/brief/environment.md (the project's brief).
set -euo pipefail
SOCK="${EB_PODMAN_SOCK:-/tmp/podman.sock}"
export DEBIAN_FRONTEND=noninteractive

# busybox-static, not a dynamic busybox (Debian's `busybox`): the image has no libc.
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v curl >/dev/null \
    || ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  apt-get update -qq
  apt-get install -y -qq podman runc busybox-static curl >/dev/null
fi
mkdir -p /etc/containers
# crun cannot run in this kernel's cgroup mode, and the default ulimits are not permitted.
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > /etc/containers/containers.conf

# Every busybox applet is linked in /bin (bc for the examples' sums: busybox-static's awk has
# no maths). An image from an older version of this script, without bc, is built again.
if podman image exists localhost/busybox:test \
    && ! podman run --rm localhost/busybox:test /bin/busybox test -e /bin/bc; then
  podman rmi -f localhost/busybox:test >/dev/null
fi
if ! podman image exists localhost/busybox:test; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/"
  (cd "$root/bin" && for c in $(./busybox --list); do [ "$c" = busybox ] || ln -sf busybox "$c"; done)
  tar -C "$root" -cf "$root.tar" .
  podman import -q "$root.tar" localhost/busybox:test >/dev/null
  rm -rf "$root" "$root.tar"
fi

# A service that answers _ping may still be unable to run containers (started from a folder
# that was deleted since, say): it must run one, else it is started again, from /.
runs_containers() {
  curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 \
    && CONTAINER_HOST="unix://$SOCK" timeout 60 podman --remote run --rm localhost/busybox:test true \
      >/dev/null 2>&1
}
if ! runs_containers; then
  pkill -f "podman system service .*unix://$SOCK" 2>/dev/null || true
  sleep 1
  rm -f "$SOCK"
  (cd / && nohup podman system service --time=0 "unix://$SOCK" >/tmp/podman-service.log 2>&1 &)
  for _ in $(seq 1 50); do
    curl -sf --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
if ! runs_containers; then
  echo "podman API at unix://$SOCK cannot run containers; see /tmp/podman-service.log" >&2
  exit 1
fi
echo "podman API ready at unix://$SOCK"
