#!/usr/bin/env bash
# Build the image that runs Jupyter notebooks headless on the Docker-API platform:
# localhost/eb-notebook:1, a Debian minbase root file system (debootstrap) with Debian's
# python3, plus nbclient, nbformat and ipykernel from the notebook venv of
# scripts/engines/notebook-venv.sh (the same Python version: both are this machine's Debian
# release), imported into podman; no registry image. (Debian's own python3-ipykernel fails to
# configure inside a minbase debootstrap, and its dependency tree takes minutes to unpack.)
# The notebook runner itself is not in the image: the platform mounts it with the session.
# Idempotent (an existing image that runs nbclient is kept). Needs root.
# Uses the machine's own Debian mirror and release (from its apt sources and os-release).
set -euo pipefail
IMAGE="${EB_NOTEBOOK_IMAGE:-localhost/eb-notebook:1}"
export DEBIAN_FRONTEND=noninteractive

# Ready: the modules import, and Python starts without a word on stderr (it would end up in
# every notebook's log).
ready() {
  local said
  said=$(podman run --rm "$IMAGE" python3 -c 'import nbclient, nbformat, ipykernel' 2>&1) \
    && [ -z "$said" ]
}
if podman image exists "$IMAGE" && ready; then
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
venv_python=$(bash "$(dirname "$0")/notebook-venv.sh" | tail -n 1)
site=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
version=$("$venv_python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
debootstrap --variant=minbase --include=python3 \
  "$suite" "$root" "$mirror" >/tmp/eb-notebook-debootstrap.log 2>&1 \
  || { tail -n 20 /tmp/eb-notebook-debootstrap.log >&2; exit 1; }
[ -x "$root/usr/bin/python$version" ] || { echo "the image's python3 is not $version" >&2; exit 1; }
mkdir -p "$root/usr/local/lib/python$version/dist-packages"
cp -a "$site"/. "$root/usr/local/lib/python$version/dist-packages/"
rm -rf "$root/usr/local/lib/python$version/dist-packages"/{pip,pip-*,_distutils_hack,setuptools,setuptools-*,pkg_resources,distutils-precedence.pth}
# Smaller: no package caches, documentation or apt lists in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
  "$root"/usr/share/man "$root"/usr/share/locale
tar -C "$root" -cf "$root.tar" .
podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
podman import -q --change 'CMD ["python3"]' --change 'ENV LANG=C.UTF-8' "$root.tar" "$IMAGE" >/dev/null
ready || { echo "the image $IMAGE does not import nbclient cleanly" >&2; exit 1; }
echo "notebook image $IMAGE ready"
