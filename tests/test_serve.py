"""`make serve`: gunicorn and the task worker with DEBUG off answer /healthz, and stop together."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_serve_recipe_runs_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "serve: install fonts\n\tPORT=$(PORT) bash deploy/serve.sh\n" in makefile


def test_serve_answers_healthz_with_debug_off(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PORTAL_BASE_URL", "TASKS_BACKEND"}
    }
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        WEB_CONCURRENCY="1",
    )
    log = (tmp_path / "serve.log").open("w")
    # The same commands as `make serve`, without make's install step; a
    # session of its own so the whole group (script, gunicorn, worker) stops.
    process = subprocess.Popen(
        ["bash", "deploy/serve.sh"],  # noqa: S607
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body, headers = None, None
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body, headers = json.loads(r.read()), r.headers
                    break
            except OSError:
                time.sleep(0.3)
        # The worker logs its start on its own schedule: give it the rest of the time.
        while time.monotonic() < deadline and "Starting worker" not in (
            output := (tmp_path / "serve.log").read_text()
        ):
            time.sleep(0.3)
        output = (tmp_path / "serve.log").read_text()
        assert body == {"status": "ok", "database": "ok"}, output
        assert headers is not None and headers["Content-Type"] == "application/json"
        assert "Starting worker" in output, output  # the db_worker runs beside gunicorn
        assert "DEBUG off" in output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
    assert process.returncode is not None
