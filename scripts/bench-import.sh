#!/usr/bin/env bash
# A bulk import of historical replies against a release build on PostgreSQL: BENCH_ROWS
# replies (4,000 by default: 20,000 answers, five per reply, and their chosen options) in one
# CSV file, posted to `POST /v1/rounds/{id}/replies/import` (all or nothing, one
# transaction). Three imports, each into a new draft round with workshops of its own, on a
# fresh database; prints each import's time and their median. BENCH_BIN runs another build
# (an older one, say) instead of this tree's; BENCH_SQL runs statements on the migrated
# database before the imports (to compare a schema change by hand).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh

server=${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
database="$server/followup_bench_import"
rows=${BENCH_ROWS:-4000}
bin=${BENCH_BIN:-target/release/followup}
[ -n "${BENCH_BIN:-}" ] || cargo build --quiet --release --bin followup

psql "$server/postgres" -qc 'DROP DATABASE IF EXISTS followup_bench_import WITH (FORCE)'
psql "$server/postgres" -qc 'CREATE DATABASE followup_bench_import'
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="$database" BIND="127.0.0.1:$port" DATA_DIR="$work" LOG_LEVEL=warn \
  FOLLOWUP_BACKGROUND_JOBS=false FOLLOWUP_MAX_BODY_BYTES=16777216
"$bin" migrate >/dev/null
[ -z "${BENCH_SQL:-}" ] || psql "$database" -qc "$BENCH_SQL"
key=$("$bin" keys create --role admin --name bench | grep -o 'fu_[A-Za-z0-9]*')
"$bin" serve >>"$work/service.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

# The replies file of run $1: workshops of 35 replies, one per member administration.
replies_file() {
  python3 - "$1" "$rows" <<'PY'
import csv, sys
run, rows = sys.argv[1], int(sys.argv[2])
codes = ("AF BD BT IN IR MV NP PK LK CN HK MO MN JP KR BN KH ID "
         "LA MY MM PH SG TH VN AU FJ NZ PG PW WS SB TL TO VU").split()
options = ["share_materials", "submit_report", "make_recommendations", "organize_inhouse_workshop", "develop_manuals"]
out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["workshop", "workshop_topic", "workshop_scope", "workshop_start_date", "workshop_end_date",
              "workshop_venue", "workshop_virtual", "administration", "submitted_at", "late", "provenance",
              "follow_up_actions", "follow_up_actions.other", "lessons_applied", "direct_effects",
              "direct_effects.comment", "efficiency_improved", "efficiency_improved.comment",
              "new_projects", "new_projects.comment"])
for i in range(rows):
    workshop, code = divmod(i, len(codes))
    chosen = ";".join(o for k, o in enumerate(options) if (i >> k) & 1) or "share_materials"
    out.writerow([f"Run {run} workshop {workshop}", "Risk management", "regional", "2019-11-18", "2019-11-22",
                  "Bangkok, Thailand", "false", codes[code], "2020-05-24T03:00:00+00:00", "false", "participant",
                  chosen, "", f"Applied the lessons of workshop {workshop}.", "yes" if i % 3 else "no", "",
                  "yes" if i % 2 else "no", "", "no" if i % 5 else "yes", ""])
PY
}

call() { curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
times=()
for run in 1 2 3; do
  round=$(call -X POST "http://127.0.0.1:$port/v1/rounds" \
    -d "{\"title\": \"Imported $run\", \"round_number\": $run, \"fiscal_year\": \"2019/20\", \"questionnaire_id\": 1}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  replies_file "$run" >"$work/replies.csv"
  seconds=$(curl -fsS -o "$work/summary.json" -w '%{time_total}' -H "Authorization: Bearer $key" \
    -H 'Content-Type: text/csv' --data-binary "@$work/replies.csv" \
    "http://127.0.0.1:$port/v1/rounds/$round/replies/import")
  answers=$(psql "$database" -tAc "SELECT count(*) FROM answers WHERE round_id = $round")
  echo "import $run: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replies"])' "$work/summary.json") replies, $answers answers in ${seconds} s"
  times+=("$seconds")
done
python3 -c "import statistics, sys; print(f'median of 3 imports: {statistics.median(map(float, sys.argv[1:])):.3f} s')" "${times[@]}"
