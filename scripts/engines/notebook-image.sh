#!/usr/bin/env bash
# Build the image that runs Jupyter notebooks headless on the Docker-API platform:
# localhost/eb-notebook:1, a Debian minbase root file system (debootstrap) with python3,
# nbclient, nbformat and ipykernel from Debian's own packages (no pip, no registry image),
# imported into podman. The notebook runner itself is not in the image: the platform mounts
# it with the session. Idempotent (an existing image that runs nbclient is kept). Needs root.
# Uses the machine's own Debian mirror and release (from its apt sources and os-release).
set -euo pipefail
IMAGE="${EB_NOTEBOOK_IMAGE:-localhost/eb-notebook:1}"
export DEBIAN_FRONTEND=noninteractive

if podman image exists "$IMAGE" \
    && podman run --rm "$IMAGE" python3 -c 'import nbclient, nbformat, ipykernel' 2>/dev/null; then
  echo "notebook image $IMAGE ready"
  exit 0
fi
command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }

# The mirror and release this machine already uses.
. /etc/os-release
suite="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
mirror=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' \
  | grep -v security | head -n 1 || true)
if [ -z "$mirror" ]; then
  mirror=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | head -n 1 || true)
fi
[ -n "$mirror" ] || { echo "no Debian mirror found in the apt sources" >&2; exit 1; }

root=$(mktemp -d /var/tmp/eb-notebook.XXXXXX)
trap 'rm -rf "$root" "$root.tar"' EXIT
debootstrap --variant=minbase --include=python3,python3-nbclient,python3-nbformat,python3-ipykernel \
  "$suite" "$root" "$mirror" >/tmp/eb-notebook-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/eb-notebook-debootstrap.log >&2; exit 1; }
# Smaller: no package caches, documentation or apt lists in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
  "$root"/usr/share/man "$root"/usr/share/locale
tar -C "$root" -cf "$root.tar" .
podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
podman import -q --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' "$root.tar" "$IMAGE" >/dev/null
podman run --rm "$IMAGE" python3 -c 'import nbclient, nbformat, ipykernel'
echo "notebook image $IMAGE ready"
