"""Bench-only settings: the portal's own, plus two baseline views and no throttling.

The baselines live in bench/urls.py so production URLs never grow; rate
limits are off because the bench posts far faster than any person.
"""

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BASE_DIR / "templates", BASE_DIR / "bench" / "templates"]}]
RATELIMIT_ENABLE = False
# Emails are counted, not printed: stdout carries the JSON figures.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend", "OPTIONS": {}}}
