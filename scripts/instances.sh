#!/usr/bin/env bash
# Three instances of the service on one PostgreSQL database with a loopback SMTP server
# (scripts/instances.py says what is checked): SIGKILL of one instance during delivery, an
# SMTP outage, 50 concurrent submissions of one link. A debug build on a fresh database
# on 127.0.0.1; bounded in time (about a minute).
set -euo pipefail
export PGOPTIONS='-c client_min_messages=warning'
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
server=${INSTANCES_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
count=${INSTANCES_INVITATIONS:-300}
cargo build --quiet --bin followup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_instances WITH (FORCE)'
psql "$server/postgres" -qc 'CREATE DATABASE followup_instances'
timeout 300 python3 scripts/instances.py target/debug/followup "$server/followup_instances" "$work" "$count"
psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_instances WITH (FORCE)'
