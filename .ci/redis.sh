#!/usr/bin/env bash
# Start a Redis server on loopback for the shared rate-limit storage tests; prints its URL.
# Idempotent. Installs Debian's redis-server when missing (CI runs as root).
set -euo pipefail

PORT=${REDIS_PORT:-6391}

if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq redis-server >/dev/null
fi
if ! redis-cli -p "$PORT" ping >/dev/null 2>&1; then
  # Counters only: nothing saved to disk, no password on a loopback-only port.
  redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --daemonize yes \
    --logfile /tmp/newsfacts-redis.log >&2
fi
for _ in $(seq 1 30); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.2
done
redis-cli -p "$PORT" ping >&2
echo "redis://127.0.0.1:$PORT/0"
