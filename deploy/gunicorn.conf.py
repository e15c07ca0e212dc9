"""Gunicorn settings for the portal: `gunicorn -c deploy/gunicorn.conf.py portal.wsgi`.

Everything that differs between machines comes from the environment, so
the same file serves `make serve` and the systemd unit.
"""

import multiprocessing
import os

wsgi_app = "portal.wsgi:application"

# GUNICORN_BIND wins (a unix socket: "unix:/run/portal/gunicorn.sock");
# otherwise HOST and PORT. Loopback by default: nginx is the public face.
bind = [
    os.environ.get("GUNICORN_BIND")
    or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
]

# Sync workers: the views are short and the database is the bottleneck.
# WEB_CONCURRENCY overrides the usual 2 x CPUs + 1.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
# Recycle workers now and then so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200

# Access and error logs on stdout/stderr: journald (or the container) keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the proxy in front (nginx on the same machine
# by default); Django reads X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn's control socket (`gunicornc`) defaults to one path per user, which
# two instances on one machine would fight over: off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def on_starting(server: object) -> None:
    """Refuse to start on settings that cannot work on the servers declared (portal/checks.py).

    Checked in a child process: this master then never holds a connection to
    the bucket that its forked workers would share.
    """
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--tag", "portal"],
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit("Not starting: `manage.py check --deploy --tag portal` failed (above).")
