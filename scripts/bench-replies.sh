#!/usr/bin/env bash
# Reply submissions under load, against PostgreSQL itself. A release build on a fresh
# PostgreSQL database; one round with BENCH_PARTICIPANTS personal links (set up through the
# API). wrk on 127.0.0.1 then submits replies (`PUT /v1/respond/{token}`, round-robin over
# the links: first submissions, then revisions) and reads the answering page
# (`GET /v1/respond/{token}`) and the server-rendered page (`GET /respond/{token}`, its form
# posted to `POST /respond/{token}`), printing requests per second and p50/p99; after a warm-up
# of first submissions every measured PUT is a revision that writes. Beside it, pgbench
# runs the SQL of one such submission (scripts/bench_reply.sql: the transaction the
# service runs, as PostgreSQL logged it) with as many clients, so the service's
# throughput reads as a fraction of what PostgreSQL itself does on this machine: the two run
# three times alternately and the median of the three ratios is printed. The SQL statements
# of a revision are counted from PostgreSQL's own log (`log_statement = all` for this
# database only, while a fresh service process revises BENCH_COUNTED replies one at a time).
# Beside each run, where the CPU went per transaction (from /proc): PostgreSQL's own
# processes, the service, the load generator (wrk or pgbench) and the rest, with the share
# the hypervisor stole; on two cores shared by all of them, the ratio is roughly
# pgbench's CPU per transaction over the service run's. Also the service's resident memory,
# idle and at its highest under load. BENCH_DATABASE_OPTIONS is appended to the database URL
# of both (e.g. '?sslmode=disable': by default both negotiate TLS on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database="$server/followup_bench_replies${BENCH_DATABASE_OPTIONS:-}"
connections=${BENCH_CONNECTIONS:-8}
seconds=${BENCH_SECONDS:-15}
participants=${BENCH_PARTICIPANTS:-2000}

cargo build --quiet --release --bin followup
psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_bench_replies WITH (FORCE)'
psql "$server/postgres" -qc 'CREATE DATABASE followup_bench_replies'

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The service's pool holds as many connections as wrk keeps requests in flight (BENCH_POOL
# to change it), as pgbench has clients: sqlx hands out its idle connections oldest first,
# so a larger pool spreads the same statements over more PostgreSQL backends, each with
# colder caches, and PostgreSQL spends more CPU on each revision.
export DATABASE_URL="$database" BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn \
  FOLLOWUP_BACKGROUND_JOBS=false FOLLOWUP_RESPOND_REQUESTS_PER_MINUTE=1000000000 \
  FOLLOWUP_REVISIONS_PER_HOUR=1000000000 FOLLOWUP_MOST_REVISIONS=1000000000 \
  FOLLOWUP_DATABASE_MAX_CONNECTIONS=${BENCH_POOL:-$connections}
target/release/followup migrate >/dev/null
key=$(target/release/followup keys create --role admin --name bench | grep -o 'fu_[A-Za-z0-9]*')
pid=
start_service() {
  target/release/followup serve >>"$work/service.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "the service did not start" >&2; cat "$work/service.log" >&2; exit 1
}
stop_service() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop_service; psql "$database" -qc "ALTER DATABASE followup_bench_replies RESET log_statement" 2>/dev/null || true; rm -rf "$work"' EXIT
start_service

started=$(date +%s)
python3 scripts/bench_replies_setup.py "http://127.0.0.1:$port" "$key" "$participants" >"$work/tokens"
echo "set up $(wc -l <"$work/tokens") personal links in $(( $(date +%s) - started )) s"
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
echo "resident memory, idle: $(( $(rss) / 1024 )) MiB"

peak=0
sample_rss() { while kill -0 "$1" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$work/peak"; sleep 0.2; done; }

# Where the machine's CPU time goes (in ms, from /proc): all of it busy (user, system, irq),
# taken by the hypervisor (steal), the service's own, a finished command's (bash's `time`).
machine_cpu() { awk '/^cpu /{printf "%d %d\n", ($2+$3+$4+$7+$8)*10, $9*10}' /proc/stat; }
service_cpu() { awk '{print ($14+$15)*10}' "/proc/$pid/stat"; }
# PostgreSQL's own: its live processes', and those ended (the postmaster's reaped children).
postgres_cpu() {
  local postmaster
  postmaster=$(pgrep -o -x postgres)
  { cat $(pgrep -x postgres | sed 's|.*|/proc/&/stat|') 2>/dev/null; echo "reaped $(cut -d' ' -f16,17 "/proc/$postmaster/stat")"; } \
    | awk '$1=="reaped"{t+=$2+$3; next} {t+=$14+$15} END{print t*10}'
}
command_cpu() { awk '{printf "%d\n", ($1+$2)*1000}' "$1"; }
# CPU per transaction: PostgreSQL's, the service's, the load generator's and the rest (the
# kernel's network work not charged to a process, other processes), and the share stolen.
cpu_line() { # label transactions busy0 steal0 busy1 steal1 postgres service load seconds
  python3 -c "import sys; l, n, b0, s0, b1, s1, pg, svc, load, secs = sys.argv[1], *map(float, sys.argv[2:]); \
n = max(n, 1); rest = (b1 - b0 - pg - svc - load) / n; \
print(f'  {l} CPU per transaction: PostgreSQL {pg / n:.2f} ms, service {svc / n:.2f} ms, load generator {load / n:.2f} ms, rest {rest:.2f} ms; machine busy {(b1 - b0) / (20 * secs):.0f}%, stolen {(s1 - s0) / (20 * secs):.0f}%')" "$@"
}

measure() { # name method
  local name=$1 method=$2 out
  local before service_before postgres_before
  before=$(machine_cpu); service_before=$(service_cpu); postgres_before=$(postgres_cpu)
  ( TIMEFORMAT='%U %S'; time env BENCH_TOKENS="$work/tokens" BENCH_METHOD="$method" \
    BENCH_THREADS=2 wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench_replies.lua "http://127.0.0.1:$port" >"$work/wrk.out" ) 2>"$work/wrk.time" &
  local wrk_pid=$!
  sample_rss "$wrk_pid" &
  local sampler_pid=$!
  wait "$wrk_pid"
  wait "$sampler_pid"
  out=$(cat "$work/wrk.out")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "some requests failed" >&2; exit 1; fi
  printf '%-40s p50 %-9s p99 %-9s %9s req/s (%s connections, %s s)\n' "$name" \
    "$(awk '$1=="50%"{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
    "$(awk '/Requests\/sec/{print $2}' <<<"$out")" "$connections" "$seconds" | tee -a "$work/results"
  # shellcheck disable=SC2046
  cpu_line "service:" "$(awk '/requests in/{print $1}' <<<"$out")" $before $(machine_cpu) \
    $(( $(postgres_cpu) - postgres_before )) $(( $(service_cpu) - service_before )) "$(command_cpu "$work/wrk.time")" "$seconds"
}

# Submits every link in $work/tokens once (or the first $2), one at a time, with run $1's
# answers: each submission of a new run changes the reply.
submit_each() {
  python3 - "http://127.0.0.1:$port" "$work/tokens" "$1" "${2:-0}" <<'PY'
import json, sys, urllib.request
base, tokens, run, limit = sys.argv[1], open(sys.argv[2]).read().split(), sys.argv[3], int(sys.argv[4])
body = json.dumps({"answers": {"follow_up_actions": {"choices": ["share_materials", "submit_report"]},
    "lessons_applied": {"text": f"Reviewed our AEO program against the regional good practices (run {run})."},
    "direct_effects": {"yes": True, "comment": "Compliance division now advises AEOs."},
    "efficiency_improved": {"yes": True}, "new_projects": {"yes": False}}}).encode()
for token in tokens[:limit or None]:
    request = urllib.request.Request(f"{base}/v1/respond/{token}", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
}

started=$(date +%s)
submit_each warm-up
echo "warm-up: $(wc -l <"$work/tokens") first submissions, one client, in $(( $(date +%s) - started )) s"

# Statements per revision, from PostgreSQL's log: a fresh service process (new sessions take
# the database's log_statement) revises BENCH_COUNTED replies one at a time.
counted=${BENCH_COUNTED:-50}
log=$(pg_lsclusters -h 2>/dev/null | awk '$2=="main"{print $7; exit}')
if [ -n "$log" ] && [ -r "$log" ]; then
  stop_service
  psql "$database" -qc "ALTER DATABASE followup_bench_replies SET log_statement = 'all'"
  start_service
  submit_each counting 1 # the questionnaire is read once per process
  offset=$(stat -c %s "$log")
  submit_each counted "$counted"
  sleep 0.5
  tail -c +"$((offset + 1))" "$log" | grep "@followup_bench_replies " | grep -E "LOG:  (execute [^:]*|statement): " \
    | grep -vE "LOG:  (execute [^:]*|statement): (BEGIN|COMMIT)" >"$work/statements" || true
  stop_service
  psql "$database" -qc "ALTER DATABASE followup_bench_replies RESET log_statement"
  start_service
  python3 -c "import sys; print(f'SQL statements per reply revision (PostgreSQL log, BEGIN and COMMIT aside): {int(sys.argv[1]) / int(sys.argv[2]):.2f} ({sys.argv[1]} over {sys.argv[2]} revisions)')" \
    "$(wc -l <"$work/statements")" "$counted"
  echo "the statements of one revision:"
  tail -n "$(( $(wc -l <"$work/statements") / counted ))" "$work/statements" | sed -E 's/.*LOG:  (execute [^:]*|statement): /  /' | cut -c1-160
else
  echo "SQL statements per reply revision: PostgreSQL's log file is not readable here"
fi
echo "resident memory, idle: $(( $(rss) / 1024 )) MiB"

# PostgreSQL alone, the same statements with as many clients.
psql "$database" -qtAc "SELECT id FROM invitations WHERE token_hash IS NOT NULL ORDER BY id" >"$work/invitations"
first=$(head -n 1 "$work/invitations"); last=$(tail -n 1 "$work/invitations")
pgbench_run() {
  local out tps latency before postgres_before
  before=$(machine_cpu); postgres_before=$(postgres_cpu)
  out=$( { TIMEFORMAT='%U %S'; time pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" -D first="$first" -D last="$last" -D run="${BENCH_RUN:-0}" \
    -f scripts/bench_reply.sql "$database" 2>&1; } 2>"$work/pgbench.time")
  tps=$(awk '/^tps/{print $3; exit}' <<<"$out")
  latency=$(awk '/^latency average/{print $4, $5}' <<<"$out")
  printf '%-40s average %-9s %9s tx/s (%s clients, %s s)\n' "pgbench: one reply revision's SQL" "$latency" "$tps" "$connections" "$seconds" >&2
  # shellcheck disable=SC2046
  cpu_line "pgbench:" "$(awk '/^number of transactions actually processed/{split($NF, a, "/"); print a[1]}' <<<"$out")" \
    $before $(machine_cpu) $(( $(postgres_cpu) - postgres_before )) 0 "$(command_cpu "$work/pgbench.time")" "$seconds" >&2
  echo "$tps"
}

# Three runs of each, alternately; every measured PUT revises (run N's text, new_projects
# flipped on each pass).
ratios=()
for run in 1 2 3; do
  echo "-- run $run"
  export BENCH_RUN=$run
  measure "PUT /v1/respond/{token} (revise)" PUT
  put=$(awk '/^PUT/{print $(NF-5)}' "$work/results" | tail -n 1)
  tps=$(pgbench_run)
  ratios+=("$(python3 -c "import sys; print(float(sys.argv[1]) / float(sys.argv[2]))" "$put" "$tps")")
  python3 -c "import sys; print(f'run $run: the service revises replies at {float(sys.argv[1]):.0%} of the rate PostgreSQL runs their SQL alone')" "${ratios[-1]}"
done
python3 -c "import sys, statistics; r = sorted(map(float, sys.argv[1:])); print(f'median of 3 runs: the service revises replies at {statistics.median(r):.0%} of the rate PostgreSQL runs their SQL alone (runs: {\", \".join(f\"{x:.0%}\" for x in r)})')" "${ratios[@]}"

export BENCH_RUN=4
measure "GET /v1/respond/{token} (read)" GET
measure "GET /respond/{token} (answering page)" PAGE
measure "POST /respond/{token} (form, revise)" FORM
echo "resident memory, highest under load: $(( $(cat "$work/peak" 2>/dev/null || rss) / 1024 )) MiB"
