#!/bin/sh
# Entry point of the broker image: serve with the site's /etc/ivoa-eb/broker.toml when there is
# one (it must then set [server] host = "0.0.0.0" and its [database] url), else with the
# container defaults (all addresses, port 8080, SQLite in the /var/lib/ivoa-eb volume).
# Arguments are passed on to `ivoa-eb-broker serve` (e.g. --platform docker).
set -eu
config=/etc/ivoa-eb/broker.toml
[ -f "$config" ] || config=/usr/local/share/ivoa-eb/container.toml
exec ivoa-eb-broker serve --config "$config" "$@"
