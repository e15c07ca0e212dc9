"""Figures through gunicorn (2 workers, DEBUG off) on 127.0.0.1: the request form and article pages.

Each page is read against a baseline served by the same gunicorn in the
same run: a bare view returning a fixed string, and the request form's
class printed with Django's plain {{ form }}. Run by bench/run.py on the
database the PostgreSQL step filled.
"""

import os
import secrets
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import django

from bench.figures import CONCURRENCY, emit, load, ratio
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
WORKERS = CONCURRENCY
ROUNDS = 5
REQUESTS = 800
SECONDS = 15.0


def production_env(port: int, static_root: str) -> dict[str, str]:
    """What deploy/serve.sh sets: DEBUG off over plain http on 127.0.0.1."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "LOCAL_HTTP": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "STATIC_ROOT": static_root,
    }


def start_gunicorn(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn and config)
            [str(ROOT / ".venv/bin/gunicorn"), "--config", "deploy/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start-up: see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 30 s: see {log_path}")


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
        os.environ.update(production_env(port, static_root))
        django.setup()
        from django.core.management import call_command

        from licensing.models import Article

        # DEBUG off serves hashed static names from the manifest, as in production.
        call_command("collectstatic", interactive=False, verbosity=0)
        article = Article.objects.filter(republishable=True).order_by("pk").first()
        if article is None:
            raise SystemExit("no republishable article: run bench/run.py, which seeds the data")
        pages = {
            "bare_view": "/bench/bare/",
            "plain_form": f"/bench/plain-form/{article.slug}/",
            "form_page": article.get_republish_url(),
            "article_page": article.get_absolute_url(),
        }
        log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-{port}.log"
        server = start_gunicorn(port, log_path)
        try:
            got = load(port, pages, rounds=ROUNDS, requests=REQUESTS, seconds=SECONDS)
        finally:
            server.terminate()
            server.wait(timeout=30)
        log_path.unlink()  # kept only when something went wrong
    served = {"server": f"gunicorn, {WORKERS} workers, DEBUG off", "concurrency": CONCURRENCY}
    emit("bare_view", got["bare_view"], **served, baseline=None, target=None, ok=True)
    emit("plain_form", got["plain_form"], **served, baseline=None, target=None, ok=True)

    def emit_page(name: str, baseline: str, *, min_ratio: float, p95_under_ms: float = 0) -> None:
        """A page's figure beside its baseline's, with its target: requests/s at least
        `min_ratio` x the baseline's, and (when given) p95 under `p95_under_ms`."""
        measured, base = got[name], got[baseline]
        page_ratio = ratio(measured["rps"], base["rps"])
        target = f"at least {min_ratio} x {baseline} rps"
        ok = page_ratio >= min_ratio
        if p95_under_ms:
            target = f"p95 under {p95_under_ms:g} ms and {target}"
            ok = ok and measured["p95_ms"] < p95_under_ms
        emit(
            name,
            measured,
            **served,
            path=pages[name],
            baseline=baseline,
            baseline_rps=base["rps"],
            ratio=page_ratio,
            target=target,
            ok=ok,
        )

    emit_page("form_page", "plain_form", min_ratio=0.7, p95_under_ms=50)
    emit_page("article_page", "bare_view", min_ratio=0.25)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
