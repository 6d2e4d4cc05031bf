#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 cluster and create the test role; prints the test URL.
# Idempotent. Needs root (Debian cluster tools); CI runs as root.
set -euo pipefail

VERSION=${PG_VERSION:-15}
CLUSTER=${PG_CLUSTER:-main}
PORT=${PG_PORT:-5432}
ROLE=newsfacts
PASSWORD=newsfacts

if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "$VERSION/$CLUSTER"; then
  pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2

runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$PORT" <<SQL >&2
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SELECT 'CREATE DATABASE $ROLE OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$ROLE')
\gexec
SQL
# What `newsfacts db grant-reader` asks a superuser to do (models.REVOKE_LARGE_OBJECTS): no role
# but a superuser may create large objects, in every database made from template1 from now on.
for db in template1 "$ROLE"; do
  runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$PORT" -d "$db" -c \
    "REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer), lo_import(text), lo_import(text, oid), lo_from_bytea(oid, bytea) FROM PUBLIC" >&2
done
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$PORT/$ROLE"
