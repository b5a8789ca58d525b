#!/usr/bin/env bash
# Build the Python environment that runs Jupyter notebooks headless on the Slurm platform:
# a venv (default /opt/eb-notebook) with nbclient, nbformat and ipykernel from PyPI, on the
# shared file system of the nodes (here: the one node). Prints the venv's python, the value
# of the Slurm platform's notebook_python setting. Idempotent. Needs python3-venv.
set -euo pipefail
VENV="${EB_NOTEBOOK_VENV:-/opt/eb-notebook}"
export DEBIAN_FRONTEND=noninteractive

if ! "$VENV/bin/python" -c 'import nbclient, nbformat, ipykernel' 2>/dev/null; then
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    'nbclient>=0.7' 'nbformat>=5.7' 'ipykernel>=6.17' 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import nbclient, nbformat, ipykernel'
  chmod -R a+rX "$VENV"
fi
echo "$VENV/bin/python"
