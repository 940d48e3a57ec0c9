#!/usr/bin/env bash
# `make serve`: the platform in production mode, as a bureau runs it (docs/deploy.md):
# PostgreSQL, gunicorn with several workers, static files from STATIC_ROOT through WhiteNoise,
# the background worker and the scheduler as their own processes, DEBUG off, secrets from the
# environment.
#
# Database: the server named by PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE; when PGHOST is not
# set, a throw-away PostgreSQL on 127.0.0.1:${ZHIJIAN_SERVE_PG_PORT:-54330} (scripts/pg.sh) — for
# trying the production set-up, not for keeping data.
# TLS: a bureau puts a TLS-terminating reverse proxy in front (deploy/); this script serves plain
# HTTP on loopback and therefore sets ZHIJIAN_SSL_REDIRECT=0 unless told otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1:8000}"

if [ -z "${PGHOST:-}" ]; then
  export PGHOST=127.0.0.1 PGPORT="${ZHIJIAN_SERVE_PG_PORT:-54330}" PGUSER=postgres
  ZHIJIAN_PG_PORT="$PGPORT" ZHIJIAN_PG_DATA="/tmp/zhijian-serve-pg-$PGPORT" scripts/pg.sh start
  echo "Throw-away PostgreSQL on $PGHOST:$PGPORT (set PGHOST etc. for a real server)" >&2
fi
export PGDATABASE="${PGDATABASE:-zhijian}" ZHIJIAN_DB=postgres ZHIJIAN_DEBUG=0
export ZHIJIAN_SSL_REDIRECT="${ZHIJIAN_SSL_REDIRECT:-0}"
export ZHIJIAN_ALLOWED_HOSTS="${ZHIJIAN_ALLOWED_HOSTS:-127.0.0.1,localhost}"
if [ -z "${ZHIJIAN_SECRET_KEY:-}" ]; then  # generated once, kept beside the other keys
  mkdir -p var/keys && chmod 700 var/keys
  [ -s var/keys/secret_key ] || (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(64))' > var/keys/secret_key)
  ZHIJIAN_SECRET_KEY="$(cat var/keys/secret_key)"; export ZHIJIAN_SECRET_KEY
fi
$PY - <<'PYEOF'  # create the database when it is not there yet
import os, psycopg
from psycopg import sql
name = os.environ["PGDATABASE"]
with psycopg.connect(dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PYEOF

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0
$PY manage.py load_reference
[ "${ZHIJIAN_SERVE_DEMO:-0}" = "1" ] && $PY manage.py setup_demo
$PY manage.py complaints_train --default  # the first deployment fits the classifier (~1 min) here
$PY manage.py check --deploy || true  # prints what a loopback set-up leaves (e.g. SSL redirect)

WORKERS="${ZHIJIAN_WORKERS:-$(( $(nproc) * 2 + 1 ))}"
echo "Serving Zhijian (production mode, $WORKERS gunicorn workers) at http://$HOST/" >&2
$PY manage.py worker --no-reload & worker=$!
$PY manage.py credit_schedule --every 3600 & scheduler=$!
trap 'kill $worker $scheduler 2>/dev/null; wait' EXIT INT TERM
.venv/bin/gunicorn zhijian.wsgi:application --bind "$HOST" --workers "$WORKERS" \
  --access-logfile - --error-logfile - --graceful-timeout 30 --timeout 120
