#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for user postgres without a
# password, as the tests expect: starts the local cluster when it is stopped, installs
# PostgreSQL from Debian's packages when it is missing (fresh machine), and allows
# trust authentication on loopback when the server asks for a password.
set -euo pipefail

url=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
answers() { psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; }

if command -v psql >/dev/null 2>&1 && answers; then
  exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if [ ! -d "/etc/postgresql/$version/main" ]; then
  pg_createcluster "$version" main >/dev/null
fi
echo "ensure-postgres: starting PostgreSQL $version" >&2
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true

for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.2
done

if ! answers; then
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  echo "ensure-postgres: allowing trust authentication on loopback in $hba" >&2
  { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.new"
  mv "$hba.new" "$hba"
  chown postgres:postgres "$hba" 2>/dev/null || true
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 0.5
fi

answers || { echo "ensure-postgres: PostgreSQL does not answer at $url" >&2; exit 1; }
