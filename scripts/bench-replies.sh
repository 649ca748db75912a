#!/usr/bin/env bash
# Reply submissions under load, against PostgreSQL itself. A release build on a fresh
# PostgreSQL database; one round with BENCH_PARTICIPANTS personal links (set up through the
# API). wrk on 127.0.0.1 then submits replies (`PUT /v1/respond/{token}`, round-robin over
# the links: first submissions, then revisions) and reads the answering page
# (`GET /v1/respond/{token}`) and the server-rendered page (`GET /respond/{token}`, its form
# posted to `POST /respond/{token}`), printing requests per second and p50/p99; after a warm-up
# of first submissions every measured PUT is a revision that writes. Beside it, pgbench
# runs the SQL of one such submission (scripts/bench_reply.sql: the statements the
# service sends, as PostgreSQL logged them) with as many clients, so the service's
# throughput reads as a fraction of what PostgreSQL itself does on this machine. Also the
# service's resident memory, idle and at its highest under load.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database="$server/followup_bench_replies"
connections=${BENCH_CONNECTIONS:-8}
seconds=${BENCH_SECONDS:-15}
participants=${BENCH_PARTICIPANTS:-2000}

cargo build --quiet --release --bin followup
psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_bench_replies WITH (FORCE)'
psql "$server/postgres" -qc 'CREATE DATABASE followup_bench_replies'

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="$database" BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn \
  FOLLOWUP_BACKGROUND_JOBS=false FOLLOWUP_RESPOND_REQUESTS_PER_MINUTE=1000000000 \
  FOLLOWUP_DATABASE_MAX_CONNECTIONS=${BENCH_POOL:-16}
target/release/followup migrate >/dev/null
key=$(target/release/followup keys create --role admin --name bench | grep -o 'fu_[A-Za-z0-9]*')
target/release/followup serve >"$work/service.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

started=$(date +%s)
python3 scripts/bench_replies_setup.py "http://127.0.0.1:$port" "$key" "$participants" >"$work/tokens"
echo "set up $(wc -l <"$work/tokens") personal links in $(( $(date +%s) - started )) s"
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
echo "resident memory, idle: $(( $(rss) / 1024 )) MiB"

peak=0
sample_rss() { while kill -0 "$1" 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$work/peak"; sleep 0.2; done; }

measure() { # name method
  local name=$1 method=$2 out
  BENCH_TOKENS="$work/tokens" BENCH_METHOD=$method \
    BENCH_THREADS=2 wrk -t2 -c"$connections" -d"${seconds}s" --latency -s scripts/bench_replies.lua "http://127.0.0.1:$port" >"$work/wrk.out" &
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
}

# Warm-up: every link's first submission (new_projects: no), one at a time.
started=$(date +%s)
python3 - "http://127.0.0.1:$port" "$work/tokens" <<'PY'
import json, sys, urllib.request
base, tokens = sys.argv[1], open(sys.argv[2]).read().split()
body = json.dumps({"answers": {"follow_up_actions": {"choices": ["share_materials", "submit_report"]},
    "lessons_applied": {"text": "Reviewed our AEO program against the regional good practices."},
    "direct_effects": {"yes": True, "comment": "Compliance division now advises AEOs."},
    "efficiency_improved": {"yes": True}, "new_projects": {"yes": False}}}).encode()
for token in tokens:
    request = urllib.request.Request(f"{base}/v1/respond/{token}", data=body, method="PUT",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).read()
PY
echo "warm-up: $(wc -l <"$work/tokens") first submissions, one client, in $(( $(date +%s) - started )) s"
export BENCH_PASS_OFFSET=1
measure "PUT /v1/respond/{token} (revise)" PUT
measure "GET /v1/respond/{token} (read)" GET
measure "GET /respond/{token} (answering page)" PAGE
measure "POST /respond/{token} (form, revise)" FORM
echo "resident memory, highest under load: $(( $(cat "$work/peak" 2>/dev/null || rss) / 1024 )) MiB"

# PostgreSQL alone, the same statements with as many clients.
psql "$database" -qtAc "SELECT id FROM invitations WHERE token_hash IS NOT NULL ORDER BY id" >"$work/invitations"
first=$(head -n 1 "$work/invitations"); last=$(tail -n 1 "$work/invitations")
out=$(pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" -D first="$first" -D last="$last" \
  -f scripts/bench_reply.sql "$database" 2>&1)
tps=$(awk '/^tps/{print $3; exit}' <<<"$out")
latency=$(awk '/^latency average/{print $4, $5}' <<<"$out")
printf '%-40s average %-9s %9s tx/s (%s clients, %s s)\n' "pgbench: one reply revision's SQL" "$latency" "$tps" "$connections" "$seconds"
put=$(awk '/^PUT/{print $(NF-5)}' "$work/results")
python3 -c "import sys; print(f'the service revises replies at {float(sys.argv[1]) / float(sys.argv[2]):.0%} of the rate PostgreSQL runs their SQL alone')" "$put" "$tps"
