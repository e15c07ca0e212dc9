#!/usr/bin/env bash
# `make serve`: the production set-up on one machine, over plain http on
# 127.0.0.1. DEBUG off, static files collected and served by whitenoise,
# gunicorn with deploy/gunicorn.conf.py and TASK_WORKERS task workers (portal's
# db_worker, default 2) side by side; a worker that exits is started again,
# gunicorn keeps serving; Ctrl+C (or SIGTERM) stops them all.
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
# Two workers, as many as make bench's machine has cores: one alone renders and
# sends licences more slowly than a burst of payments arrives (docs/deploy.md).
TASK_WORKERS=${TASK_WORKERS:-2}

"$PY" manage.py collectstatic --no-input --verbosity 0
"$PY" manage.py migrate --no-input --verbosity 0

# The web server is the site: when it stops, everything stops. Each worker is
# restarted whenever it exits (as systemd's Restart=always does), after a
# delay that grows while it keeps failing; the site stays up meanwhile.
web=
workers=()        # pid of worker slot n
worker_started=() # when slot n's worker started ($SECONDS)
delays=()         # slot n's next restart delay
stop() {
    trap - INT TERM EXIT
    kill -TERM $web "${workers[@]}" 2>/dev/null || true
    wait $web "${workers[@]}" 2>/dev/null || true
    exit "${1:-0}"
}
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

start_worker() {
    "$PY" manage.py db_worker --no-startup-delay &
    workers[$1]=$!
    worker_started[$1]=$SECONDS
    echo "Task worker started (pid ${workers[$1]})"
}

.venv/bin/gunicorn --config deploy/gunicorn.conf.py &
web=$!
for (( n = 0; n < TASK_WORKERS; n++ )); do
    delays[n]=1
    start_worker $n
done
echo "Serving on http://127.0.0.1:$PORT/ (DEBUG off, $TASK_WORKERS task workers running; Ctrl+C to stop)"

while true; do
    wait -n -p exited $web "${workers[@]}" && status=0 || status=$?
    if [ "${exited:-}" = "$web" ]; then
        echo "gunicorn stopped (exit status $status): stopping" >&2
        stop "$status"
    fi
    slot=
    for n in "${!workers[@]}"; do
        if [ "${exited:-}" = "${workers[n]}" ]; then slot=$n; fi
    done
    if [ -z "$slot" ]; then
        continue  # woken by a signal: its trap decides
    fi
    # A worker that ran a while failed afresh: start again from the shortest delay.
    if (( SECONDS - worker_started[slot] > 60 )); then delays[slot]=1; fi
    echo "Task worker (pid ${workers[slot]}) exited with status $status; restarting in ${delays[slot]}s" >&2
    # In the background, so Ctrl+C need not wait for the delay to end.
    sleep "${delays[slot]}" &
    wait $! || true
    delays[slot]=$(( delays[slot] < 30 ? delays[slot] * 2 : 30 ))
    start_worker "$slot"
done
