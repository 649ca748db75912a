#!/usr/bin/env bash
# Fuzzes the running service against its own OpenAPI document with every schemathesis
# check (settings in schemathesis.toml). Starts a debug build on a free port over a fresh
# database, with an admin key: a new PostgreSQL database `followup_schemathesis` when
# SCHEMATHESIS_POSTGRES is set to a server URL (e.g. postgres://postgres@127.0.0.1:5432),
# else a temporary SQLite file.
# Usage: scripts/schemathesis.sh [extra schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi

cargo build --quiet --bin followup
bin=target/debug/followup
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The rate limits of the participant routes, of made-up keys and of a link's revisions have
# their own tests; here they would only get in the way.
export DATA_DIR="$work" BIND="127.0.0.1:$port" LOG_LEVEL="${SCHEMATHESIS_LOG_LEVEL:-warn}" FOLLOWUP_RESPOND_REQUESTS_PER_MINUTE=1000000 \
  FOLLOWUP_FAILED_KEYS_PER_MINUTE=1000000 FOLLOWUP_REVISIONS_PER_HOUR=1000000 FOLLOWUP_MOST_REVISIONS=1000000
if [ -n "${SCHEMATHESIS_POSTGRES:-}" ]; then
  psql "$SCHEMATHESIS_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS followup_schemathesis WITH (FORCE)'
  psql "$SCHEMATHESIS_POSTGRES/postgres" -qc 'CREATE DATABASE followup_schemathesis'
  export DATABASE_URL="$SCHEMATHESIS_POSTGRES/followup_schemathesis"
fi

key=$("$bin" keys create --role admin --name schemathesis)
"$bin" serve >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; cp "$work/service.log" "${TMPDIR:-/tmp}/schemathesis-service.log" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

# One worker: schemathesis' workers are threads of one Python process, and while one
# generates a large schema-valid body (mail templates run to 20,000 characters) it holds
# the interpreter lock, stalling the other mid-request for seconds; the stall then shows
# as the service's response time (ST112) or as a body arriving too late (408).
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $key" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-30}" \
  --seed "${SCHEMATHESIS_SEED:-20261128}" \
  --workers 1 \
  --no-color \
  "$@"
