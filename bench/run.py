"""`make bench`: every performance figure, one JSON line each, then a summary line.

Sets up its own data: a fresh PostgreSQL database (bench_portal on
BENCH_POSTGRES, dropped at the end) for the staff queue, submissions and the
pages served by gunicorn, and a throw-away SQLite file for PDFs and the
webhook. Each step runs in its own process; its JSON lines are passed on
as they come. Exits 1 when a figure misses its target.
Usage: python -m bench.run
BENCH_STEPS (comma-separated, default all): documents, desk, web, delivery;
e.g. BENCH_STEPS=delivery to measure the licence emails alone. Without desk,
the PostgreSQL steps run on a database that is only migrated and seeded.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Its own name per checkout when several benches share one server (BENCH_DB=bench_desk).
BENCH_DB = os.environ.get("BENCH_DB", "bench_portal")
STEPS = ("documents", "desk", "web", "delivery")
WEBHOOK_SECRET = "whsec_test"  # noqa: S105 (a test value: the one tests/stripe_stub.py signs with)


def recreate_database(*, drop_only: bool = False) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def run_step(module: str, env: dict[str, str]) -> list[dict[str, object]]:
    """Run `python -m module`; pass its JSON lines on and return them."""
    quiet = {"DJANGO_SETTINGS_MODULE": "bench.settings", "LOG_LEVEL": "WARNING"}
    child = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={**os.environ, **quiet, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    figures = []
    for line in child.stdout or ():
        if line.startswith("{"):
            figures.append(json.loads(line))
        print(line, end="", flush=True)
    if child.wait() != 0:
        raise SystemExit(f"bench step {module} failed (exit {child.returncode})")
    return figures


def chosen_steps() -> set[str]:
    named = {step.strip() for step in os.environ.get("BENCH_STEPS", "").split(",") if step.strip()}
    if unknown := named - set(STEPS):
        wrong, known = ", ".join(sorted(unknown)), ", ".join(STEPS)
        raise SystemExit(f"BENCH_STEPS: unknown {wrong}; use {known}")
    return named or set(STEPS)


def prepare_database(env: dict[str, str]) -> None:
    """What the desk step does before it builds the desk: migrate and seed."""
    for command in (["migrate", "--no-input", "--verbosity", "0"], ["seed_demo"]):
        subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", **env},
            stdout=subprocess.DEVNULL,
            check=True,
        )


def main() -> int:
    started = time.monotonic()
    steps = chosen_steps()
    figures: list[dict[str, object]] = []
    queued = {"TASKS_BACKEND": "database"}
    # SQLite first: after the PostgreSQL steps the server is still busy for a
    # while (checkpoint, dropping 100,000 rows), which slowed the webhook's
    # commits by a fifth when it ran last.
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        sqlite = {
            **queued,
            "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
            "MEDIA_ROOT": f"{folder}/media",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_SECRET_KEY": "sk_test_bench",
        }
        if "documents" in steps:
            figures += run_step("bench.documents", sqlite)
    if steps & {"desk", "web", "delivery"}:
        recreate_database()
        try:
            postgres = {**queued, "DATABASE_URL": f"{SERVER}/{BENCH_DB}"}
            if "desk" in steps:
                figures += run_step("bench.staff_queue", postgres)
            else:
                prepare_database(postgres)
            if "web" in steps:
                figures += run_step("bench.web", postgres)
            if "delivery" in steps:
                stripe = {
                    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                    "STRIPE_SECRET_KEY": "sk_test_bench",
                }
                figures += run_step("bench.licence_delivery", {**postgres, **stripe})
        finally:
            recreate_database(drop_only=True)
    missed = [str(f["figure"]) for f in figures if not f.get("ok")]
    print(
        json.dumps(
            {
                "summary": True,
                "figures": len(figures),
                "ok": not missed,
                "missed": missed,
                "seconds": round(time.monotonic() - started, 1),
            }
        ),
        flush=True,
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
