#!/usr/bin/env bash
# `make serve`: the production set-up on one machine, over plain http on
# 127.0.0.1. DEBUG off, static files collected and served by whitenoise,
# gunicorn with deploy/gunicorn.conf.py and the task worker (portal's
# db_worker) side by side; a worker that exits is started again, gunicorn
# keeps serving; Ctrl+C (or SIGTERM) stops both.
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

# The web server is the site: when it stops, everything stops. The worker is
# restarted whenever it exits (as systemd's Restart=always does), after a
# delay that grows while it keeps failing; the site stays up meanwhile.
web=
worker=
stop() {
    trap - INT TERM EXIT
    kill -TERM $web $worker 2>/dev/null || true
    wait $web $worker 2>/dev/null || true
    exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

start_worker() {
    "$PY" manage.py db_worker --no-startup-delay &
    worker=$!
    worker_started=$SECONDS
    echo "Task worker started (pid $worker)"
}

.venv/bin/gunicorn --config deploy/gunicorn.conf.py &
web=$!
start_worker
echo "Serving on http://127.0.0.1:$PORT/ (DEBUG off, worker running; Ctrl+C to stop)"

delay=1
while true; do
    wait -n -p exited $web $worker && status=0 || status=$?
    if [ "${exited:-}" = "$web" ]; then
        echo "gunicorn stopped (exit status $status): stopping" >&2
        stop "$status"
    fi
    if [ "${exited:-}" != "$worker" ]; then
        continue  # woken by a signal: its trap decides
    fi
    # A worker that ran a while failed afresh: start again from the shortest delay.
    if (( SECONDS - worker_started > 60 )); then delay=1; fi
    echo "Task worker (pid $worker) exited with status $status; restarting in ${delay}s" >&2
    # In the background, so Ctrl+C need not wait for the delay to end.
    sleep "$delay" &
    wait $! || true
    delay=$(( delay < 30 ? delay * 2 : 30 ))
    start_worker
done
