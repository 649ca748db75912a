#!/usr/bin/env bash
# Fault runs (scripts/faults.py says what each checks): PostgreSQL stopped and started
# under load, and SIGTERM under load, against a debug build on a fresh PostgreSQL
# database on 127.0.0.1. Restarts the local PostgreSQL cluster: run it alone (CI runs it
# after the tests). A hung SMTP server is covered by the integration test
# mail_faults::a_hung_server_times_out_and_the_queue_moves_on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
server=${FAULTS_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
version=$(pg_lsclusters -h | awk '$2=="main"{print $1; exit}')
cargo build --quiet --bin followup
bin=target/debug/followup

run_service() { # $1: log file; sets pid, port, key
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_faults WITH (FORCE)'
  psql "$server/postgres" -qc 'CREATE DATABASE followup_faults'
  export DATABASE_URL="$server/followup_faults" BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn \
    FOLLOWUP_DATABASE_ACQUIRE_TIMEOUT_SECS=2 FOLLOWUP_MAIL_POLL_INTERVAL_MS=50 \
    FOLLOWUP_SCHEDULER_INTERVAL_SECS=1
  key=$("$bin" keys create --role admin --name faults | grep -o 'fu_[A-Za-z0-9]*')
  "$bin" serve >"$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the service did not start" >&2; cat "$1" >&2; exit 1
}

work=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== PostgreSQL stopped for 4 s under load"
run_service "$work/restart.log"
python3 scripts/faults.py postgres-restart "http://127.0.0.1:$port" "$key" "$pid" "$version"
scripts/ensure-postgres.sh
kill "$pid"; wait "$pid" || true

echo "== SIGTERM under load"
run_service "$work/sigterm.log"
# A round opening today with 300 participants: the scheduler queues their invitations
# and the mail worker is sending them when SIGTERM arrives.
python3 scripts/bench_replies_setup.py "http://127.0.0.1:$port" "$key" 300 >/dev/null
python3 scripts/faults.py sigterm "http://127.0.0.1:$port" "$key" "$pid"
status=0; wait "$pid" || status=$?
pid=
echo "exit status after SIGTERM: $status"
[ "$status" -eq 0 ] || { cat "$work/sigterm.log" >&2; exit 1; }
claimed=$(psql "$server/followup_faults" -tAc "SELECT count(*) FROM mailings WHERE status = 'queued' AND leased_until > now()")
sent=$(psql "$server/followup_faults" -tAc "SELECT count(*) FROM mailings WHERE status = 'sent'")
echo "mail sent before the stop: $sent; still claimed by the stopped worker: $claimed"
[ "$claimed" -eq 0 ]
echo "faults: all checks passed"
