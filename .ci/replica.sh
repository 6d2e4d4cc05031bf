#!/usr/bin/env bash
# A PostgreSQL primary, a hot standby streaming from it (pg_basebackup -R) and PgBouncer in
# transaction mode in front of the standby, each on a port of its own (the machine's main
# cluster is left alone). Prints the tests' variables, one NAME=value a line.
# Idempotent; `replica.sh stop` stops all three. Needs root (Debian cluster tools); CI runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=15
PRIMARY=newsfacts_primary
PRIMARY_PORT=5442
STANDBY=newsfacts_standby
STANDBY_PORT=5443
BOUNCER_PORT=6442
BOUNCER_DIR=/var/lib/postgresql/newsfacts-pgbouncer
# The role the API reads as through PgBouncer (its password is in PgBouncer's auth file).
READER=newsfacts_reader
READER_PASSWORD=reader
SOCKETS=/var/run/postgresql

as_postgres() { runuser -u postgres -- "$@"; }
psql_at() { as_postgres psql -X -v ON_ERROR_STOP=1 -q -h "$SOCKETS" -p "$1" -tA "${@:2}"; }
online() {
  pg_lsclusters -h | awk -v v="$VERSION" -v c="$1" '$1==v && $2==c {print $4}' | grep -q online
}
exists() { pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$VERSION/$1"; }
bouncer_running() { [ -f "$BOUNCER_DIR/pgbouncer.pid" ] && kill -0 "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.1 s, fail loudly
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 10))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "replica.sh: $what: not within $seconds s" >&2
  exit 1
}

if [ "${1:-}" = stop ]; then
  if bouncer_running; then
    kill "$(cat "$BOUNCER_DIR/pgbouncer.pid")"
  fi
  for cluster in "$STANDBY" "$PRIMARY"; do
    if exists "$cluster" && online "$cluster"; then pg_ctlcluster "$VERSION" "$cluster" stop; fi
  done
  exit 0
fi

if ! command -v pgbouncer >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null
fi

# The primary: a cluster of its own with the test role and database, as postgres.sh makes them
# (made here first, and with fsync off: the clusters are throw-away, and syncing files would
# take most of the seconds this script takes).
if ! exists "$PRIMARY"; then
  pg_createcluster "$VERSION" "$PRIMARY" --port "$PRIMARY_PORT" -o fsync=off -- --no-sync >&2
fi
PRIMARY_URL="$(PG_CLUSTER="$PRIMARY" PG_PORT="$PRIMARY_PORT" bash .ci/postgres.sh)"
psql_at "$PRIMARY_PORT" >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$READER') THEN
    CREATE ROLE $READER LOGIN PASSWORD '$READER_PASSWORD';
  END IF;
END
\$\$;
-- What the API asks for on connecting, which PgBouncer drops (NEWSFACTS_QUERY_TIMEOUT's default).
ALTER ROLE $READER SET default_transaction_read_only = on;
ALTER ROLE $READER SET statement_timeout = '5s';
SQL
# The tests hold replay back to make the standby lag: granted on the primary, it replicates; in
# template1, every database made from now on has the grant (a function's ACL is per database).
for db in template1 newsfacts; do
  psql_at "$PRIMARY_PORT" -d "$db" -c \
    "GRANT EXECUTE ON FUNCTION pg_wal_replay_pause(), pg_wal_replay_resume(), pg_get_wal_replay_pause_state() TO newsfacts" >&2
done

# The standby: a base backup of the primary, with -R writing primary_conninfo and standby.signal.
if ! exists "$STANDBY"; then
  # Retrying a lost primary every 0.5 s, not 5 s: the tests stop and restart it.
  pg_createcluster "$VERSION" "$STANDBY" --port "$STANDBY_PORT" -o fsync=off \
    -o wal_retrieve_retry_interval=500ms -- --no-sync >&2
  data="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$STANDBY" '$1==v && $2==c {print $6}')"
  find "$data" -mindepth 1 -delete
  as_postgres pg_basebackup -h "$SOCKETS" -p "$PRIMARY_PORT" -D "$data" -R -X stream -c fast --no-sync >&2
fi
if ! online "$STANDBY"; then
  pg_ctlcluster "$VERSION" "$STANDBY" start >&2
fi
wait_for 30 "standby $STANDBY accepting connections" pg_isready -q -h 127.0.0.1 -p "$STANDBY_PORT"
if [ "$(psql_at "$STANDBY_PORT" -c 'SELECT pg_is_in_recovery()')" != t ]; then
  echo "replica.sh: $STANDBY is not a standby (drop it: pg_dropcluster --stop $VERSION $STANDBY)" >&2
  exit 1
fi
streaming() {
  [ "$(psql_at "$PRIMARY_PORT" -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" -ge 1 ]
}
wait_for 30 "standby $STANDBY streaming from $PRIMARY" streaming

# PgBouncer, transaction pooling, in front of the standby; runs as postgres (it refuses root).
install -d -o postgres -g postgres -m 700 "$BOUNCER_DIR"
as_postgres tee "$BOUNCER_DIR/userlist.txt" >/dev/null <<EOF
"$READER" "$READER_PASSWORD"
EOF
as_postgres tee "$BOUNCER_DIR/pgbouncer.ini" >/dev/null <<EOF
[databases]
* = host=127.0.0.1 port=$STANDBY_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
; PgBouncer 1.18 refuses the "options" startup parameter the API sends (-c default_transaction_read_only,
; -c statement_timeout): ignored here, so the reader role carries both settings itself.
ignore_startup_parameters = options
; Fewer server connections than the tests' 32 clients: they must share them.
default_pool_size = 8
max_client_conn = 500
pidfile = $BOUNCER_DIR/pgbouncer.pid
logfile = $BOUNCER_DIR/pgbouncer.log
EOF
if bouncer_running; then
  kill -HUP "$(cat "$BOUNCER_DIR/pgbouncer.pid")"  # reread the configuration
else
  as_postgres pgbouncer -d -q "$BOUNCER_DIR/pgbouncer.ini"
fi
BOUNCER_URL="postgresql://$READER:$READER_PASSWORD@127.0.0.1:$BOUNCER_PORT/newsfacts"
through_bouncer() { [ "$(psql -X -tA "$BOUNCER_URL" -c 'SELECT pg_is_in_recovery()')" = t ]; }
wait_for 10 "PgBouncer on $BOUNCER_PORT reaching the standby" through_bouncer

echo "NEWSFACTS_TEST_PRIMARY_URL=$PRIMARY_URL"
echo "NEWSFACTS_TEST_STANDBY_URL=${PRIMARY_URL/:$PRIMARY_PORT\//:$STANDBY_PORT/}"
echo "NEWSFACTS_TEST_PGBOUNCER_URL=$BOUNCER_URL"
echo "NEWSFACTS_TEST_PRIMARY_CLUSTER=$VERSION/$PRIMARY"
