#!/usr/bin/env bash
# Analytics under load against a release build, with wrk on 127.0.0.1, on PostgreSQL. Every
# answer is computed from the database on every request: nothing is kept in memory. Data
# sets (benches/analytics_data.rs): rounds of 50 workshops x 40 participants (2,000
# invitations, about 1,400 replies each), "10 rounds" (rounds 1 to 9 closed, round 10 open,
# the round an office follows while replies come in) and "2 rounds" (round 1 closed, round
# 2 open); and the demo's Survey 2020 (`followup demo`: 40 invitations, 28 replies), a
# real round's size. Prints p50/p99 latency and requests per second of:
#  - the open round's report (JSON), 1 and 8 clients, and the SQL statements one report
#    sends, counted from PostgreSQL's own log (`log_statement = all` for that database
#    while a fresh service process answers it; BEGIN and COMMIT aside);
#  - the newest closed round's report (JSON and HTML), 8 clients;
#  - the trends over all 10 rounds, 1 and 8 clients;
#  - the demo's Survey 2020 report (JSON), 1 client;
#  - how the cost grows with the rest of the database: the open round's report with 10
#    rounds stored over its time with 2, median of three alternating pairs of runs.
# Tune with BENCH_CONNECTIONS and BENCH_SECONDS; BENCH_REUSE=1 keeps the data of an earlier
# run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
connections=${BENCH_CONNECTIONS:-8}
seconds=${BENCH_SECONDS:-15}

cargo build --quiet --release --bin followup

# Fills database $1 with $2 rounds (unless BENCH_REUSE=1 finds it filled); prints the id of
# its newest round.
data_set() {
  local name=$1 rounds=$2 newest
  if [ "${BENCH_REUSE:-0}" = 1 ] && newest=$(psql "$server/$name" -tAc "SELECT max(id) FROM rounds WHERE state = 'open'" 2>/dev/null) && [ -n "$newest" ]; then
    echo "$name: reusing the data of an earlier run; open round id $newest" >&2
  else
    psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" 2>/dev/null
    psql "$server/postgres" -qc "CREATE DATABASE $name"
    local started
    started=$(date +%s)
    newest=$(BENCH_DATABASE_URL="$server/$name" BENCH_ROUNDS=$rounds cargo bench --quiet --bench analytics_data 2>/dev/null | tail -n 1)
    # As autovacuum leaves a database that settled: statistics and the visibility map
    # (which lets the round's answers be read from their index alone).
    psql "$server/$name" -qc "VACUUM ANALYZE"
    echo "$name: generated $rounds rounds in $(( $(date +%s) - started )) s; open round id $newest" >&2
  fi
  echo "$newest"
}
open10=$(data_set followup_bench_analytics 10)
open2=$(data_set followup_bench_analytics_2 2)
psql "$server/postgres" -qc "DROP DATABASE IF EXISTS followup_bench_demo WITH (FORCE)" 2>/dev/null
psql "$server/postgres" -qc "CREATE DATABASE followup_bench_demo"
DATABASE_URL="$server/followup_bench_demo" target/release/followup demo >/dev/null 2>&1
psql "$server/followup_bench_demo" -qc "VACUUM ANALYZE"
demo=$(psql "$server/followup_bench_demo" -tAc "SELECT id FROM rounds WHERE title = 'Survey 2020'")

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn FOLLOWUP_BACKGROUND_JOBS=false
pid=
stop_service() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap 'stop_service; psql "$server/followup_bench_analytics" -qc "ALTER DATABASE followup_bench_analytics RESET log_statement" 2>/dev/null || true; rm -rf "$work"' EXIT
start_service() { # $1: database; sets key
  stop_service
  export DATABASE_URL="$server/$1"
  key=$(target/release/followup keys create --role viewer --name bench 2>/dev/null | grep -o 'fu_[A-Za-z0-9]*')
  target/release/followup serve >>"$work/service.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the service did not start:" >&2; cat "$work/service.log" >&2; exit 1
}

measure() { # name path connections; prints the line, keeps the p50 in $work/<name>
  local name=$1 path=$2 conns=$3 out
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port$path"
  out=$(wrk -t"$(( conns < 2 ? conns : 2 ))" -c"$conns" -d"${seconds}s" --latency -H "Authorization: Bearer $key" "http://127.0.0.1:$port$path")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "some requests failed" >&2; exit 1; fi
  local p50 p99 rps
  p50=$(awk '$1=="50%"{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{print $2}' <<<"$out")
  rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  printf '%-58s p50 %-9s p99 %-9s %8s req/s (%s connections, %s s)\n' "$name" "$p50" "$p99" "$rps" "$conns" "$seconds"
  echo "$p50" >"$work/$(tr -c 'a-z0-9' '_' <<<"$name")"
}
p50_of() { cat "$work/$(tr -c 'a-z0-9' '_' <<<"$1")"; }
ms() { python3 -c "import sys; v=sys.argv[1]; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)" "$1"; }

# The statements of one report of the open round, from PostgreSQL's log: a fresh service
# process (new sessions take the database's log_statement) answers it twice; the second,
# with the questionnaire's questions read and the key's last use written, is counted.
echo "== SQL statements of one report"
log=$(pg_lsclusters -h 2>/dev/null | awk '$2=="main"{print $7; exit}')
if [ -n "$log" ] && [ -r "$log" ]; then
  psql "$server/followup_bench_analytics" -qc "ALTER DATABASE followup_bench_analytics SET log_statement = 'all'"
  start_service followup_bench_analytics
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/rounds/$open10/report"
  sleep 0.5
  offset=$(stat -c %s "$log")
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:$port/v1/rounds/$open10/report"
  sleep 0.5
  tail -c +"$((offset + 1))" "$log" | grep "@followup_bench_analytics " | grep -E "LOG:  (execute [^:]*|statement): " \
    | grep -vE "LOG:  (execute [^:]*|statement): (BEGIN|COMMIT)" >"$work/statements" || true
  psql "$server/followup_bench_analytics" -qc "ALTER DATABASE followup_bench_analytics RESET log_statement"
  echo "SQL statements of the open round's report (PostgreSQL log, BEGIN and COMMIT aside): $(wc -l <"$work/statements")"
  sed -E 's/.*LOG:  (execute [^:]*|statement): /  /' "$work/statements" | cut -c1-140
else
  echo "SQL statements of one report: PostgreSQL's log file is not readable here"
fi

echo "== 10 rounds stored"
start_service followup_bench_analytics
closed10=$((open10 - 1))
measure "open round's report (JSON), 1 client" "/v1/rounds/$open10/report" 1
measure "open round's report (JSON)" "/v1/rounds/$open10/report" "$connections"
measure "closed round's report (JSON)" "/v1/rounds/$closed10/report" "$connections"
measure "closed round's report (HTML)" "/v1/rounds/$closed10/report?format=html" "$connections"
measure "trends over 10 rounds, 1 client" "/v1/trends" 1
measure "trends over 10 rounds" "/v1/trends" "$connections"

echo "== the demo's Survey 2020 (40 invitations, 28 replies)"
start_service followup_bench_demo
measure "Survey 2020 report (JSON), 1 client" "/v1/rounds/$demo/report" 1

# The growth ratio, from three alternating pairs of runs (one run of each is at the mercy
# of this shared machine's speed in those seconds): the open round's report, 1 client,
# with 10 rounds stored and with 2.
echo "== growth: 10 rounds stored, then 2, three times alternately (1 client)"
for run in 1 2 3; do
  start_service followup_bench_analytics
  measure "growth pair $run: 10 rounds stored" "/v1/rounds/$open10/report" 1
  start_service followup_bench_analytics_2
  measure "growth pair $run: 2 rounds stored" "/v1/rounds/$open2/report" 1
done
pairs=()
for run in 1 2 3; do
  pairs+=("$(ms "$(p50_of "growth pair $run: 10 rounds stored")")" "$(ms "$(p50_of "growth pair $run: 2 rounds stored")")")
done
python3 -c "
import statistics, sys
v = list(map(float, sys.argv[1:]))
pairs = [(v[i], v[i + 1]) for i in range(0, 6, 2)]
ratios = [t / w for t, w in pairs]
print(f'growth: the open round\'s report with 10 rounds stored takes {statistics.median(ratios):.2f}x its time with 2 rounds stored, median of 3 pairs (' + ', '.join(f'{r:.2f}x: {t:.2f} vs {w:.2f} ms' for r, (t, w) in zip(ratios, pairs)) + ')')
" "${pairs[@]}"
echo "resident memory of the service after the runs: $(( $(awk '/VmRSS/{print $2}' "/proc/$pid/status") / 1024 )) MiB"
