"""`make serve`: gunicorn and the task worker with DEBUG off answer /healthz, and stop together.

A worker that dies is started again while gunicorn keeps serving.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.serve


def test_make_serve_recipe_runs_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "serve: install fonts\n\tPORT=$(PORT) bash deploy/serve.sh\n" in makefile


class Served:
    """deploy/serve.sh running, with its combined output in a file."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, port: int) -> None:
        self.process, self.log, self.port = process, log, port

    def output(self) -> str:
        return self.log.read_text()

    def healthz(self) -> tuple[int, dict, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                return r.status, json.loads(r.read()), r.headers
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read()), error.headers
        except OSError:
            return None

    def worker_pids(self) -> list[int]:
        return [int(pid) for pid in re.findall(r"Task worker started \(pid (\d+)\)", self.output())]


@contextmanager
def serving(tmp_path: Path) -> Iterator[Served]:
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
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
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
    served = Served(process, log_path, port)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None and not served.healthz():
            time.sleep(0.3)
        # The worker logs its start on its own schedule: give it the rest of the time.
        while time.monotonic() < deadline and "Starting worker" not in served.output():
            time.sleep(0.3)
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Whatever the script left behind (a test of its trap that failed).
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_serve_answers_healthz_with_debug_off(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        answer = served.healthz()
        output = served.output()
        assert answer is not None, output
        status, body, headers = answer
        assert status == 200
        assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "ok"), output
        assert headers["Content-Type"] == "application/json"
        assert "Starting worker" in output, output  # the db_worker runs beside gunicorn
        assert "DEBUG off" in output
        assert body["tasks"]["state"] == "ok"
    assert served.process.returncode is not None


def test_serve_restarts_a_worker_that_dies_and_keeps_serving(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        # Two workers, as make serve runs by default (TASK_WORKERS).
        first, second = served.worker_pids()
        assert served.healthz() is not None, served.output()

        os.kill(first, signal.SIGKILL)
        answers = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(served.worker_pids()) < 3:
            answers.append(served.healthz())
            time.sleep(0.2)

        output = served.output()
        assert len(served.worker_pids()) == 3, output
        assert f"Task worker (pid {first}) exited" in output
        assert f"Task worker (pid {second}) exited" not in output
        # gunicorn answered all along.
        assert answers and all(a is not None and a[0] == 200 for a in answers), output
        assert served.process.poll() is None
        # The new worker is at work: its heartbeat shows on /healthz.
        assert wait_for(lambda: live_workers(served) >= 2), served.output()

        # SIGTERM to the script alone (as systemd or Ctrl+C's shell would): its
        # trap must stop gunicorn and both workers, the restarted one too.
        assert len(processes_in_group(served.process.pid)) >= 4  # script, gunicorn, 2 workers
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=15)
        assert wait_for(lambda: processes_in_group(served.process.pid) == []), served.output()
    assert not any(Path(f"/proc/{pid}").exists() for pid in served.worker_pids())


def live_workers(served: Served) -> int:
    # Retried while /healthz has no "tasks" yet (or does not answer).
    answer = served.healthz()
    return int(answer[1].get("tasks", {}).get("workers", 0)) if answer else 0


def processes_in_group(group: int) -> list[int]:
    """The live processes of process group `group` (the script's own session)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == group and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def wait_for(condition, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False
