#!/usr/bin/env bash
# Puts a local copy of mermaid at docs/assets/mermaid.min.js (gitignored), so that the site
# draws its diagrams without any CDN. The package comes from the npm registry with
# `npm pack`, which checks the tarball against the registry's integrity hash.
# Usage: scripts/docs/fetch_mermaid.sh   (run by `make docs`; does nothing when the file exists)
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${MERMAID_VERSION:-11.9.0}"
TARGET=docs/assets/mermaid.min.js
[ -s "$TARGET" ] && [ -s docs/assets/mermaid.LICENSE ] && exit 0
command -v npm >/dev/null || { echo "fetch_mermaid: npm is needed to fetch mermaid" >&2; exit 1; }
mkdir -p build/mermaid
rm -rf build/mermaid/package
(cd build/mermaid && npm pack --silent "mermaid@${VERSION}" >/dev/null \
  && tar -xzf "mermaid-${VERSION}.tgz" package/dist/mermaid.min.js package/LICENSE)
cp build/mermaid/package/dist/mermaid.min.js "$TARGET"
# Its licence (MIT) travels with it into the site; THIRD-PARTY.yaml names source and licence.
cp build/mermaid/package/LICENSE docs/assets/mermaid.LICENSE
echo "fetch_mermaid: mermaid ${VERSION} in ${TARGET}"
