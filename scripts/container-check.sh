#!/usr/bin/env bash
# The container image, built and run where the tests run (a Debian machine without a
# container registry):
#   1. installs docker.io, debootstrap and docker-compose from Debian's packages when missing;
#   2. starts a Docker daemon of its own (its own data and exec roots and socket under a
#      work folder, --iptables=false --bridge=none; builds and containers use the host's
#      network), so nothing of the machine's network or Docker set-up changes;
#   3. makes stand-in base images under the names the Dockerfile uses when they are not
#      there: debian:bookworm-slim from `debootstrap --variant=minbase bookworm` with apt
#      configured as on this machine, and rust:1.95-bookworm from it with gcc, this
#      machine's Rust toolchain and its extra CA certificates (so cargo reaches the registry
#      through this machine's egress; those belong to the stand-in only, never to the
#      project's Dockerfile);
#   4. builds the project's Dockerfile unchanged;
#   5. runs the image with a named volume: /healthz, /readyz, /docs/, a key made with
#      `keys create` through the image, the health check turning healthy, SIGTERM exiting 0,
#      a restart that keeps the data (the same token secret, the same key);
#   6. runs docker-compose.yml's `followup` service against this machine's PostgreSQL (an
#      override file: host networking, the database URL, the image just built);
#   7. stops everything it started (the daemon by its pid file, its mounts) and removes the
#      work folder and the database it made, leaving the machine as it was.
# Each step prints its time. CONTAINER_CHECK_DIR names where its work folder
# (followup-container-check) goes, /var/tmp by default; CONTAINER_CHECK_POSTGRES names the
# PostgreSQL server. Packages it installs stay installed (as scripts/ensure-postgres.sh
# leaves PostgreSQL); on a machine run by systemd it keeps the packaged Docker service off.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
step() { printf '\n== container [%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { echo "container-check: $*" >&2; exit 1; }

work=${CONTAINER_CHECK_DIR:-/var/tmp}/followup-container-check # only ever this folder
postgres=${CONTAINER_CHECK_POSTGRES:-postgres://postgres@127.0.0.1:5432}
export PGOPTIONS="--client-min-messages=warning"
database=followup_container_check
docker=/usr/bin/docker # Debian's client, the daemon's version (another may be on PATH)
image=followup:container-check
volume=followup-container-check-data
container=followup-container-check
export DOCKER_HOST="unix://$work/docker.sock"

step "tools: docker.io, debootstrap, docker-compose"
missing=()
[ -x /usr/sbin/dockerd ] || [ -x /usr/bin/dockerd ] || missing+=(docker.io)
[ -x "$docker" ] || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "container-check: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  # The package starts Docker's own service under systemd: this check uses its own daemon.
  if [ -d /run/systemd/system ] && [[ " ${missing[*]} " == *" docker.io "* ]]; then
    systemctl disable --now docker.service docker.socket containerd.service >/dev/null 2>&1 || true
  fi
fi

cleanup() (
  set +e
  "$docker" rm -f "$container" followup-compose-check >/dev/null 2>&1
  "$docker" network prune -f >/dev/null 2>&1 # the daemon removes the bridges it made
  pid=$(cat "$work/docker.pid" 2>/dev/null)
  # Only the daemon this script started: a dockerd whose data root is the work folder.
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
      | grep -q "dockerd --data-root $work/data"; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null
  fi
  # The daemon's network namespace files and any layer left mounted under the folder.
  awk -v w="$work" '$2 == w || index($2, w "/") == 1 { print $2 }' /proc/self/mounts \
    | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null; done
  rm -rf "$work"
  psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
)
trap cleanup EXIT

step "a Docker daemon of its own under $work"
cleanup # what an interrupted run left
mkdir -p "$work"
echo '{}' >"$work/daemon.json" # not the machine's /etc/docker/daemon.json
dockerd --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
  --config-file "$work/daemon.json" --host "$DOCKER_HOST" \
  --containerd-namespace followup-check --containerd-plugins-namespace followup-check-plugins \
  --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
  >"$work/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  "$docker" version >/dev/null 2>&1 && break
  sleep 1
done
"$docker" info --format '  daemon {{.ServerVersion}}, storage driver {{.Driver}}' \
  || { tail -20 "$work/dockerd.log"; fail "the daemon did not start"; }

step "stand-in base images (no registry here)"
if ! "$docker" image inspect debian:bookworm-slim >/dev/null 2>&1; then
  rootfs="$work/rootfs"
  mirror=$({ sed -n 's/^URIs: *\([^ ]*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources
    sed -n 's/^deb \+\(http[^ ]*\/debian\)\/\? .*/\1/p' /etc/apt/sources.list || true
  } 2>/dev/null | head -1)
  debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  # apt in the image as it is configured here.
  if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
    rm -f "$rootfs/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/*.sources "$rootfs/etc/apt/sources.list.d/"
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "$docker" import - debian:bookworm-slim >/dev/null
  rm -rf "$rootfs"
fi
if ! "$docker" image inspect rust:1.95-bookworm >/dev/null 2>&1; then
  toolchain=$(rustc --print sysroot)
  extra_ca=()
  [ -d /usr/local/share/ca-certificates ] \
    && extra_ca=(-v /usr/local/share/ca-certificates:/extra-ca:ro)
  "$docker" run --name rust-stand-in --network host -v "$toolchain:/toolchain:ro" \
    "${extra_ca[@]}" debian:bookworm-slim sh -c '
      set -e
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        gcc libc6-dev ca-certificates >/dev/null
      cp /extra-ca/*.crt /usr/local/share/ca-certificates/ 2>/dev/null || true
      update-ca-certificates >/dev/null 2>&1
      cp -a /toolchain /usr/local/rust
      mkdir -p /usr/local/cargo/bin
      ln -s /usr/local/rust/bin/* /usr/local/cargo/bin/
      rm -rf /var/lib/apt/lists/*'
  "$docker" commit \
    --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV CARGO_HOME=/usr/local/cargo' rust-stand-in rust:1.95-bookworm >/dev/null
  "$docker" rm rust-stand-in >/dev/null
fi
"$docker" image ls --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'debian|rust'

step "docker build (the project's Dockerfile, unchanged)"
build_started=$(date +%s)
"$docker" build --network host --tag "$image" . >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; fail "the image does not build"; }
build_secs=$(( $(date +%s) - build_started ))
size=$("$docker" image inspect "$image" --format '{{.Size}}')
echo "  built in ${build_secs} s; image $(( size / 1000000 )) MB"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
base="http://127.0.0.1:$port"
wait_for() { # url: 200 within 60 s
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  "$docker" logs --tail 30 "$container" >&2 || true
  fail "$1 did not answer 200"
}
health() { "$docker" inspect --format '{{.State.Health.Status}}' "$container"; }
run_service() {
  "$docker" run -d --name "$container" --network host -e "BIND=127.0.0.1:$port" \
    -v "$volume:/var/lib/followup/data" "$image" >/dev/null
}
sigterm_exits_0() {
  "$docker" stop --time 20 "$container" >/dev/null
  code=$("$docker" inspect --format '{{.State.ExitCode}}' "$container")
  [ "$code" = 0 ] || { "$docker" logs --tail 30 "$container" >&2; fail "SIGTERM: exit code $code"; }
  echo "  SIGTERM: exit code 0"
}

step "the image with a named volume ($volume), port $port"
"$docker" volume create "$volume" >/dev/null
run_service
wait_for "$base/healthz"
wait_for "$base/readyz"
wait_for "$base/docs/"
echo "  /healthz, /readyz and /docs/ answer 200"
folder=$("$docker" run --rm -v "$volume:/data" --entrypoint stat "$image" -c '%U %a' /data)
[ "$folder" = "followup 700" ] || fail "the data folder on a new volume is $folder, not followup 700"
echo "  the data folder on a new volume: $folder"
key=$("$docker" exec "$container" followup keys create --role admin --name container-check 2>/dev/null)
[ -n "$key" ] || fail "keys create printed no key"
curl -fsS -o /dev/null -H "Authorization: Bearer $key" "$base/v1/workshops" \
  || fail "the key made through the image is refused"
echo "  keys create through the image: the key opens /v1/workshops"
secret=$("$docker" exec "$container" sha256sum /var/lib/followup/data/token-secret | cut -d' ' -f1)
for _ in $(seq 1 60); do
  [ "$(health)" = healthy ] && break
  sleep 1
done
[ "$(health)" = healthy ] || fail "the health check says $(health)"
echo "  health: healthy"
sigterm_exits_0

step "a restart keeps the data"
"$docker" start "$container" >/dev/null
wait_for "$base/readyz"
again=$("$docker" exec "$container" sha256sum /var/lib/followup/data/token-secret | cut -d' ' -f1)
[ "$again" = "$secret" ] || fail "the token secret changed across the restart"
curl -fsS -o /dev/null -H "Authorization: Bearer $key" "$base/v1/workshops" \
  || fail "the key is refused after the restart"
echo "  the same token secret, the same key"
sigterm_exits_0
"$docker" rm "$container" >/dev/null

step "docker-compose.yml's followup service against this machine's PostgreSQL"
psql "$postgres/postgres" -qc "DROP DATABASE IF EXISTS $database" >/dev/null
psql "$postgres/postgres" -qc "CREATE DATABASE $database" >/dev/null
port=$(free_port)
base="http://127.0.0.1:$port"
override="$work/compose.override.yml"
cat >"$override" <<YAML
services:
  followup:
    image: $image
    network_mode: host
    environment:
      DATABASE_URL: $postgres/$database
      BIND: 127.0.0.1:$port
      FOLLOWUP_SMTP_URL: smtp://127.0.0.1:1
networks:
  default: # the host's: no bridge of the project's on this machine
    external: true
    name: host
YAML
# `run` leaves out the published ports (host networking has none) and, with --no-deps,
# the postgres and mail services, whose images come from a registry.
compose=(docker-compose --project-name followupcheck -f docker-compose.yml -f "$override")
"${compose[@]}" run -d --no-deps --name followup-compose-check followup >/dev/null
container=followup-compose-check
wait_for "$base/readyz"
tables=$(psql "$postgres/$database" -Atc "SELECT count(*) FROM administrations")
[ "$tables" -gt 0 ] || fail "the compose service did not migrate PostgreSQL"
echo "  /readyz answers; the service migrated and seeded PostgreSQL ($tables administrations)"
sigterm_exits_0
"$docker" rm "$container" >/dev/null

step "container check passed: image built in ${build_secs} s, $(( size / 1000000 )) MB"
