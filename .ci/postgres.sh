#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests (Debian's packages), idempotently.
# Prints the export line for DESIGN_REVIEW_TEST_POSTGRES_URL; `eval "$(.ci/postgres.sh)"` uses it.
set -euo pipefail
PORT="${DESIGN_REVIEW_PG_PORT:-54329}"
DATA="${DESIGN_REVIEW_PG_DIR:-/tmp/design-review-pg}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

# initdb refuses root: as root the server runs as the postgres user the package created.
if [ "$(id -u)" = 0 ]; then AS=(runuser -u postgres --); else AS=(); fi
mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
if [ ! -f "$DATA/PG_VERSION" ]; then
    "${AS[@]}" "$BIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null
fi
if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1" start >/dev/null
fi
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'design_review'" | grep -q 1 \
    || "${PSQL[@]}" -c "CREATE ROLE design_review LOGIN PASSWORD 'design_review'" >/dev/null
"${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'design_review_test'" | grep -q 1 \
    || "${PSQL[@]}" -c "CREATE DATABASE design_review_test OWNER design_review" >/dev/null
echo "export DESIGN_REVIEW_TEST_POSTGRES_URL=postgresql://design_review:design_review@127.0.0.1:$PORT/design_review_test"
