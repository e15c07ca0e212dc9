#!/usr/bin/env bash
# `make serve`: the production set-up on one machine, over plain http on
# 127.0.0.1. DEBUG off, static files collected and served by whitenoise,
# gunicorn with deploy/gunicorn.conf.py and the django-tasks-db worker side
# by side; Ctrl+C (or SIGTERM) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
export PORT=${PORT:-8000}
export DEBUG=false
# Plain http on this machine only: no HTTPS redirect, cookies not marked secure.
export LOCAL_HTTP=true
# A fresh key each run unless one is given (sessions end when it stops).
export SECRET_KEY=${SECRET_KEY:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
export PORTAL_BASE_URL=${PORTAL_BASE_URL:-http://127.0.0.1:$PORT}
export DATABASE_URL=${DATABASE_URL:-sqlite:///$PWD/db.sqlite3}
export TASKS_BACKEND=${TASKS_BACKEND:-database}
export GUNICORN_BIND=127.0.0.1:$PORT
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}

"$PY" manage.py collectstatic --no-input --verbosity 0
"$PY" manage.py migrate --no-input --verbosity 0

pids=()
stop() {
    trap - INT TERM EXIT
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/gunicorn --config deploy/gunicorn.conf.py &
pids+=($!)
"$PY" manage.py db_worker --no-startup-delay &
pids+=($!)
echo "Serving on http://127.0.0.1:$PORT/ (DEBUG off, worker running; Ctrl+C to stop)"
# When either stops, stop the other.
wait -n "${pids[@]}" || true
