#!/usr/bin/env bash
# Build the broker's container image (Containerfile at the top of the repository).
#
# Usage: scripts/image/build.sh [--base IMAGE] [--tag TAG]
#   --base IMAGE  an ordinary base image with Python 3.11+ (where a registry can be reached);
#                 without it the base is built here from Debian packages (debootstrap
#                 --variant=minbase: python3, python3-venv, ca-certificates), imported into
#                 podman as localhost/ivoa-eb-base:bookworm, its root filesystem cached in
#                 $EB_IMAGE_CACHE (default /var/cache/ivoa-eb-image) for the next build.
#   --tag TAG     the image's name [default: localhost/ivoa-eb-broker:dev]
#
# The wheels of spec/ and reference/ (and every dependency, from the package index) are built
# on this machine with pip into build/image/context/wheels and installed into the image
# without any index (--no-index), so the image build itself needs no network. The Debian
# mirror is the one this machine's apt uses (or $EB_DEBIAN_MIRROR). Needs root and podman.
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG=localhost/ivoa-eb-broker:dev
BASE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
PYTHON="${PYTHON:-python3}"
CACHE="${EB_IMAGE_CACHE:-/var/cache/ivoa-eb-image}"
SUITE=bookworm                      # Python 3.11, as the wheels built by $PYTHON
BASE_TAG="localhost/ivoa-eb-base:$SUITE"
started=$(date +%s)
step() { echo "build.sh: $* ($(( $(date +%s) - started )) s)"; }

debian_mirror() {
  if [ -n "${EB_DEBIAN_MIRROR:-}" ]; then echo "$EB_DEBIAN_MIRROR"; return; fi
  local found
  found=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
            2>/dev/null | grep -v -- '-security' | head -n 1 || true)
  [ -n "$found" ] || found=$(awk '$1 == "deb" && $2 !~ /\[/ && $3 !~ /security/ {print $2; exit}' \
                               /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$found" ] || { echo "build.sh: no Debian mirror in apt's sources; set EB_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$found"
}

pip_options=""
if [ -z "$BASE" ]; then
  BASE="$BASE_TAG"
  pip_options="--no-index"
  if ! podman image exists "$BASE"; then
    rootfs_tar="$CACHE/base-$SUITE.tar"
    if [ ! -s "$rootfs_tar" ]; then
      command -v debootstrap >/dev/null || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
      mirror=$(debian_mirror)
      root=$(mktemp -d /var/tmp/ivoa-eb-rootfs.XXXXXX)
      step "debootstrap $SUITE (minbase + python3) from the Debian mirror of apt"
      debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        "$SUITE" "$root" "$mirror" >"$root.log" 2>&1 \
        || { tail -n 20 "$root.log" >&2; rm -rf "$root"; exit 1; }
      rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root.log"
      mkdir -p "$CACHE"
      tar -C "$root" --numeric-owner -cf "$rootfs_tar.part" . && mv "$rootfs_tar.part" "$rootfs_tar"
      rm -rf "$root"
    else
      step "base root filesystem from the cache $rootfs_tar"
    fi
    podman import -q --change 'CMD ["/bin/bash"]' "$rootfs_tar" "$BASE" >/dev/null
    step "base image $BASE imported"
  fi
fi

context=build/image/context
rm -rf "$context"
mkdir -p "$context/wheels"
step "wheels of spec/ and reference/ and their dependencies"
# The project's own distributions are given by path (they are not on the package index);
# ./client, where it exists, because the broker's head mode speaks through it.
local=(./spec)
[ -f client/pyproject.toml ] && local+=(./client)
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --wheel-dir "$context/wheels" \
  "${local[@]}" "./reference[docker,postgresql]"
cp Containerfile LICENSE THIRD-PARTY.yaml "$context/"
cp -r LICENSES "$context/"
cp scripts/image/entrypoint.sh scripts/image/container.toml "$context/"

step "podman build $TAG from $BASE"
podman build -q --format docker -f "$context/Containerfile" \
  --build-arg BASE="$BASE" --build-arg PIP_INSTALL_OPTIONS="$pip_options" \
  --build-arg VERSION="$(git describe --always --dirty 2>/dev/null || echo dev)" \
  -t "$TAG" "$context" >/dev/null
step "image $TAG built"
