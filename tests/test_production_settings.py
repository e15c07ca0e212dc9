"""DEBUG off: refuse to start without the production settings; check --deploy is clean."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Settings these tests decide; anything the caller's shell set is dropped.
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "PORTAL_BASE_URL",
    "DATABASE_URL",
    "CACHE_URL",
    "REDIS_URL",
    "RATE_LIMITS",
    "EMAIL_URL",
    "LOCAL_HTTP",
    "TASKS_BACKEND",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    # Set by the browser tests (pytest-playwright) earlier in the same run.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    environ.update(DJANGO_SETTINGS_MODULE="portal.settings", **env)
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def setup(**env: str) -> subprocess.CompletedProcess[str]:
    return run(["-c", "import django; django.setup()"], **env)


def production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "licensing.example.com",
        "PORTAL_BASE_URL": "https://licensing.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp+tls://desk:secret@smtp.example.com:587",
        "TASKS_BACKEND": "database",
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_debug_off_with_nothing_set_lists_every_missing_setting() -> None:
    result = setup(DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG is off" in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "PORTAL_BASE_URL", "DATABASE_URL"):
        assert f"  - {name}:" in result.stderr, name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", "django-insecure-demo-key-only-for-local-development"),
        ("ALLOWED_HOSTS", None),
        ("PORTAL_BASE_URL", None),
        ("PORTAL_BASE_URL", "http://licensing.example.com"),
        ("DATABASE_URL", None),
        ("DATABASE_URL", ""),
    ],
)
def test_each_missing_setting_is_named_alone(tmp_path, name: str, value: str | None) -> None:
    env = production(tmp_path)
    if value is None:
        del env[name]
    else:
        env[name] = value

    result = setup(**env)

    assert result.returncode != 0
    listed = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0] for line in listed] == [f"  - {name}"]


def test_complete_production_settings_start(tmp_path) -> None:
    result = setup(**production(tmp_path))
    assert result.returncode == 0, result.stderr


def test_local_http_allows_an_http_base_url_for_make_serve(tmp_path) -> None:
    env = production(tmp_path, PORTAL_BASE_URL="http://127.0.0.1:8000", LOCAL_HTTP="true")
    result = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        ],
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False"]


def test_debug_on_needs_nothing() -> None:
    assert setup(DEBUG="true").returncode == 0


def test_unknown_tasks_backend_is_refused() -> None:
    result = setup(TASKS_BACKEND="celery")
    assert result.returncode != 0
    assert "TASKS_BACKEND='celery'" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_json_log_format_writes_json_lines(tmp_path) -> None:
    result = run(
        [
            "-c",
            "import django, logging; django.setup(); "
            "logging.getLogger('licensing').info('hello', extra={'licence_number': 'LIC-1'})",
        ],
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert (line["message"], line["level"], line["licence_number"]) == ("hello", "INFO", "LIC-1")


def test_env_example_lists_every_setting_read_with_a_comment() -> None:
    import re

    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (ROOT / "portal/settings.py").read_text()))
    lines = (ROOT / ".env.example").read_text().splitlines()
    listed = {}
    for number, line in enumerate(lines):
        if match := re.match(r"#?([A-Z_]+)=", line):
            listed[match[1]] = number
    assert read - listed.keys() == set()
    for name in read:
        # Commented above, or within a group under a comment.
        above = lines[: listed[name]]
        assert any(line.startswith("# ") for line in above[-6:]), name


def test_deploy_docs_refer_to_files_that_exist() -> None:
    import re

    docs = (ROOT / "docs/deploy.md").read_text()
    paths = set(re.findall(r"deploy/[\w./*-]+[\w*]", docs))
    assert "deploy/gunicorn.conf.py" in paths
    for path in paths:
        assert list(ROOT.glob(path)), path


def test_env_example_can_be_sourced_by_the_shell() -> None:
    # docs/deploy.md loads it with `set -a; . portal.env; set +a` for manage.py.
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [
            "/bin/bash",
            "-c",
            "set -a; . ./.env.example; set +a; "
            'printf "%s|%s" "$PUBLISHER_NAME" "$DEFAULT_FROM_EMAIL"',
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == "Example News|Republishing desk <republishing@example.com>"


def test_one_stripe_key_without_the_other_is_refused(tmp_path) -> None:
    # A secret key without the webhook secret would take payments nobody records.
    result = setup(**production(tmp_path, STRIPE_SECRET_KEY="sk_live_x"))
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET" in result.stderr
    both = setup(**production(tmp_path, STRIPE_SECRET_KEY="sk_x", STRIPE_WEBHOOK_SECRET="whsec_x"))
    assert both.returncode == 0, both.stderr
