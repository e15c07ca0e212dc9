"""EMAIL_URL becomes Django 6.1's MAILERS["default"]: each scheme the README lists."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def mailer_for(email_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update({"EMAIL_URL": email_url, "DJANGO_SETTINGS_MODULE": "portal.settings"})
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.MAILERS['default']))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp+tls://user:p%40ss@mail.example.org:587",
            {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "mail.example.org",
                    "port": 587,
                    "username": "user",
                    "password": "p@ss",
                    "use_tls": True,
                    "timeout": 30,
                },
            },
        ),
        (
            "filemail:///var/spool/portal-mail",
            {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": "/var/spool/portal-mail"},
            },
        ),
        (
            "consolemail://",
            {"BACKEND": "django.core.mail.backends.console.EmailBackend", "OPTIONS": {}},
        ),
    ],
)
def test_email_url_schemes(url: str, expected: dict) -> None:
    assert mailer_for(url) == expected
