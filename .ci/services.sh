#!/usr/bin/env bash
# Local services the tests need, from Debian packages: PostgreSQL (document-database integration test,
# the Celery run's metadata database) and Redis (the Celery run's broker). Each is installed if missing
# and started on a fixed local port unless something already answers there, so reruns reuse them.
#
#   source .ci/services.sh && start_postgres && start_redis    # .ci/run
#   eval "$(.ci/services.sh postgres redis)"                    # make test-celery: prints the exports
#
# Ports and directories: PARMETRICS_CI_PG_PORT / _PG_ROOT, PARMETRICS_CI_REDIS_PORT / _REDIS_ROOT.

PG_PORT="${PARMETRICS_CI_PG_PORT:-55432}"
PG_ROOT="${PARMETRICS_CI_PG_ROOT:-/tmp/parmetrics-ci-pg}"
REDIS_PORT="${PARMETRICS_CI_REDIS_PORT:-56379}"
REDIS_ROOT="${PARMETRICS_CI_REDIS_ROOT:-/tmp/parmetrics-ci-redis}"
PG_DSN="postgresql://postgres@127.0.0.1:${PG_PORT}/postgres"
REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"

apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Other jobs on the machine may hold the dpkg lock for a while: wait for it rather than fail.
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -o DPkg::Lock::Timeout=900 -y -qq "$@" >/dev/null
}

start_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt_install postgresql
  fi
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    return 0
  fi
  # initdb and postgres refuse to run as root: run them as the postgres user when we are root.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    as=(runuser -u postgres --)
    mkdir -p "$PG_ROOT" && chown postgres "$PG_ROOT"
  else
    mkdir -p "$PG_ROOT"
  fi
  if [ ! -f "$PG_ROOT/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$PG_ROOT/data" -A trust -U postgres >/dev/null
  fi
  # max_connections: a Celery cluster (scheduler, API server, dag processor, triggerer, two workers and
  # their task processes) holds far more than the document-database test alone.
  "${as[@]}" "$bin/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/server.log" -w \
    -o "-p $PG_PORT -k $PG_ROOT -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
}

start_redis() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
  fi
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    return 0
  fi
  mkdir -p "$REDIS_ROOT"
  # A broker for tests: no persistence, local interface only.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDIS_ROOT" \
    --pidfile "$REDIS_ROOT/redis.pid" --logfile "$REDIS_ROOT/redis.log" --save "" --appendonly no
  local i
  for i in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.2
  done
  echo "redis-server did not answer on port $REDIS_PORT; see $REDIS_ROOT/redis.log" >&2
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  for service in "$@"; do
    case "$service" in
      # Only the exports on stdout (the caller evaluates them); anything the services print goes to stderr.
      postgres) start_postgres >&2 && echo "export PARMETRICS_TEST_PG_DSN=$PG_DSN" ;;
      redis) start_redis >&2 && echo "export PARMETRICS_TEST_REDIS_URL=$REDIS_URL" ;;
      *) echo "unknown service: $service (postgres, redis)" >&2 && exit 2 ;;
    esac
  done
fi
