"""portal.E005: numbers from the environment the portal cannot work with are refused."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parent.parent


def portal_errors() -> list[str]:
    return [error.msg for error in run_checks(tags=["portal"])]


def test_the_defaults_pass() -> None:
    assert portal_errors() == []


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("RESPONSE_TARGET_WORKING_DAYS", 0, "RESPONSE_TARGET_WORKING_DAYS=0: under 1"),
        ("DEFAULT_QUOTE_VALIDITY_DAYS", -5, "DEFAULT_QUOTE_VALIDITY_DAYS=-5: under 1"),
        ("REQUEST_LINK_MAX_AGE_DAYS", 0, "REQUEST_LINK_MAX_AGE_DAYS=0: under 1"),
        # Named by the variable set, not by django-sesame's setting.
        ("SESAME_MAX_AGE", 30, "MAGIC_LINK_MAX_AGE=30: under 60"),
        ("TAKEDOWN_GRACE_DAYS", -1, "TAKEDOWN_GRACE_DAYS=-1: under 0"),
        ("QUOTE_REMINDER_DAYS_BEFORE", -1, "QUOTE_REMINDER_DAYS_BEFORE=-1: under 0"),
        ("PORTAL_SERVERS", 0, "PORTAL_SERVERS=0: under 1"),
    ],
)
def test_a_number_below_its_least_value_is_refused(settings, setting, value, said) -> None:
    setattr(settings, setting, value)
    [message] = portal_errors()
    assert message.startswith(said)


@pytest.mark.parametrize(("setting", "value"), [("TAKEDOWN_GRACE_DAYS", 0), ("SESAME_MAX_AGE", 60)])
def test_the_least_value_itself_is_accepted(settings, setting, value) -> None:
    setattr(settings, setting, value)
    assert portal_errors() == []


def test_manage_py_refuses_to_run_on_a_negative_grace_period() -> None:
    """Every command runs the check: the server never starts on such a setting."""
    env = {**os.environ, "TAKEDOWN_GRACE_DAYS": "-2"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "(portal.E005) TAKEDOWN_GRACE_DAYS=-2" in done.stderr
