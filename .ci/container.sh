#!/usr/bin/env bash
# The container image: build the Dockerfile with podman on a Debian base made by debootstrap (no
# public image can be pulled here), run it, wait for /healthz, review a design over HTTP, stop it;
# then parse deploy/compose.yaml (its engines' official images cannot be pulled here either).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
IMAGE="${DESIGN_REVIEW_IMAGE:-localhost/design-reviewer:ci}"
BASE="localhost/debian:bookworm"
PORT="${DESIGN_REVIEW_CONTAINER_PORT:-18080}"
NAME="design-review-ci-$$"

need=()
for tool in podman runc debootstrap podman-compose; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ "${#need[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# runc (crun fails on setrlimit and the hybrid cgroups here) and explicit ulimits.
$SUDO mkdir -p /etc/containers/containers.conf.d
$SUDO tee /etc/containers/containers.conf.d/design-review.conf >/dev/null <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF

if ! $SUDO podman image exists "$BASE"; then
    # The mirror apt uses here (deb822 "URIs:" or one-line "deb" entries, comments skipped).
    MIRROR="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -E '^(URIs:|deb )' \
              | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -1 | tr -d ' ' || true)"
    ROOT="$(mktemp -d)"
    $SUDO debootstrap --variant=minbase bookworm "$ROOT" "${MIRROR:-http://deb.debian.org/debian}" >/dev/null
    $SUDO tar -C "$ROOT" -c . | $SUDO podman import - "$BASE" >/dev/null
    $SUDO rm -rf "$ROOT"
fi

# pip inside the build uses the host's CA bundle and pip configuration (mounts do not change the
# layer cache key: --no-cache).
mounts=()
[ -f /etc/pip.conf ] && mounts+=(-v /etc/pip.conf:/etc/pip.conf:ro)
[ -f /etc/ssl/certs/ca-certificates.crt ] && mounts+=(-v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro
                                                    --build-arg PIP_CERT=/run/host-ca.crt)
$SUDO podman build --no-cache --network host --build-arg BASE_IMAGE="$BASE" "${mounts[@]}" -t "$IMAGE" .

cleanup() { $SUDO podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
$SUDO podman run -d --name "$NAME" -p "127.0.0.1:$PORT:8000" "$IMAGE" >/dev/null
[ "$($SUDO podman exec "$NAME" id -u)" != 0 ] || { echo "the image runs as root" >&2; exit 1; }
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/healthz"; echo
review="$(curl -fsS -X POST "http://127.0.0.1:$PORT/v1/reviews" -H 'Content-Type: application/json' \
    --data-binary @- <<'JSON'
{"document": "# Churn model\n\n## Problem\nPredict which customers cancel next month so the retention team can call them. Input: account history; output: a probability per account, daily.\n\n## Metrics\nOffline: PR-AUC on a time-based holdout. Online: retained revenue per call.\n"}
JSON
)"
echo "$review" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("review", r["id"], r["overall"])'
$SUDO podman stop -t 10 "$NAME" >/dev/null

# The deployment files, parsed and checked (podman-compose 1.0.3 has no `config`, and its
# --dry-run still creates volumes): tests/replicas/test_deploy.py.
.venv/bin/python -m pytest -q tests/replicas/test_deploy.py
echo "container image and compose file: ok"
