#!/usr/bin/env bash
# Mail throughput benchmark: 10,000 mails queued on PostgreSQL, drained into an SMTP sink
# on 127.0.0.1. Prints mails per second. Tune with BENCH_MAILS and BENCH_WORKERS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
cargo bench --quiet --bench mail_drain
