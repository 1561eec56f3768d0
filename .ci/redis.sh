#!/usr/bin/env bash
# Debian's redis-server for the replica and job tests (tests/replicas, tests/jobs start their own
# servers on loopback ports): installed once if missing.
set -euo pipefail
if ! command -v redis-server >/dev/null && [ ! -x /usr/bin/redis-server ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
