#!/usr/bin/env bash
# Start a local PostgreSQL server and create a scratch database for the broker's PostgreSQL
# tests. Prints the SQLAlchemy URL to use as EB_TEST_POSTGRES_URL. Idempotent. Needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_lsclusters >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
pg_ctlcluster "$version" "$cluster" start 2>/dev/null || true
for _ in $(seq 1 50); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'eb_test'\"" | grep -q 1 \
  || su postgres -c "createdb eb_test"
echo "postgresql+psycopg://postgres:postgres@localhost/eb_test"
