#!/usr/bin/env bash
# Analytics under load: 10 rounds x 50 workshops x 40 participants (20,000 invitations,
# about 14,000 replies) on PostgreSQL, then the round report and the 10-round trends under
# concurrent load with wrk on 127.0.0.1 against a release build. Prints p50/p99 latency and
# requests per second: first as served (closed rounds' figures kept in memory), then with
# that cache off, every request computed in the database. Tune with BENCH_CONNECTIONS and
# BENCH_SECONDS; BENCH_REUSE=1 keeps the data of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database="$server/followup_bench_analytics"
connections=${BENCH_CONNECTIONS:-8}
seconds=${BENCH_SECONDS:-15}

cargo build --quiet --release --bin followup
if [ "${BENCH_REUSE:-0}" = 1 ] && round=$(psql "$database" -tAc 'SELECT max(id) FROM rounds' 2>/dev/null) && [ -n "$round" ]; then
  echo "reusing the data of an earlier run; newest round id $round"
else
  psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_bench_analytics WITH (FORCE)'
  psql "$server/postgres" -qc 'CREATE DATABASE followup_bench_analytics'
  started=$(date +%s)
  round=$(BENCH_DATABASE_URL="$database" cargo bench --quiet --bench analytics_data)
  echo "generated the data in $(( $(date +%s) - started )) s; newest round id $round"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="$database" BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn FOLLOWUP_BACKGROUND_JOBS=false
key=$(target/release/followup keys create --role viewer --name bench)
pid=
stop_service() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; }
trap 'stop_service; rm -rf "$work"' EXIT
start_service() { # $1: closed rounds kept in memory
  stop_service
  FOLLOWUP_ANALYTICS_CACHE_ROUNDS=$1 target/release/followup serve >>"$work/service.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the service did not start:" >&2; cat "$work/service.log" >&2; exit 1
}

measure() { # name path connections
  local name=$1 path=$2 conns=$3
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port$path"
  local out
  out=$(wrk -t"$(( conns < 2 ? conns : 2 ))" -c"$conns" -d"${seconds}s" --latency -H "Authorization: Bearer $key" "http://127.0.0.1:$port$path")
  local p50 p99 rps
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  printf '%-44s p50 %-9s p99 %-9s %8s req/s (%s connections, %s s)\n' "$name" "$p50" "$p99" "$rps" "$conns" "$seconds"
}

echo "closed rounds' figures kept in memory (the default):"
start_service 64
measure "round report (JSON)" "/v1/rounds/$round/report" "$connections"
measure "round report (HTML)" "/v1/rounds/$round/report?format=html" "$connections"
measure "trends over 10 rounds" "/v1/trends" "$connections"
echo "every request computed afresh in the database (cache off):"
start_service 0
measure "round report (JSON), one client" "/v1/rounds/$round/report" 1
measure "trends over 10 rounds, one client" "/v1/trends" 1
measure "round report (JSON)" "/v1/rounds/$round/report" "$connections"
measure "trends over 10 rounds" "/v1/trends" "$connections"
