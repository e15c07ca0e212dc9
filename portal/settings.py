"""Settings for the republishing portal, read from the environment.

Every value has a safe default for the local demo; production values come
from the environment only (see README.md for the full list).
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# The demo key is only acceptable with DEBUG on; production must set one.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-demo-key-only-for-local-development")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
# The address links in emails and documents point to; by default this machine at
# PORT, so `PORT=8124 make run` mails links that open on that server.
PORTAL_BASE_URL = env.str(
    "PORTAL_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}"
).rstrip("/")
# Only for `make serve`: DEBUG off over plain http on this machine (no HTTPS
# redirect, cookies not marked secure). Never set it on a server.
LOCAL_HTTP = env.bool("LOCAL_HTTP", default=False)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PORTAL_BASE_URL])

PUBLISHER_NAME = env.str("PUBLISHER_NAME", default="Middle East Eye")
REVIEWERS_EMAIL = env.str("REVIEWERS_EMAIL", default="republishing@example.com")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Republishing desk <republishing@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

PORTAL_CURRENCIES = env.list("PORTAL_CURRENCIES", default=["GBP", "EUR", "USD"])
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default=PORTAL_CURRENCIES[0])
# Requests waiting on staff longer than this many working days are flagged
# in the queue and chased by `manage.py remind_reviewers`.
RESPONSE_TARGET_WORKING_DAYS = env.int("RESPONSE_TARGET_WORKING_DAYS", default=2)
# Public holidays that do not count as working days: a python-holidays country
# code with an optional subdivision ("GB-ENG", "FR", "US-NY").
WORKING_DAYS_COUNTRY = env.str("WORKING_DAYS_COUNTRY", default="GB-ENG")
DEFAULT_QUOTE_VALIDITY_DAYS = env.int("DEFAULT_QUOTE_VALIDITY_DAYS", default=30)

# Magic links for requesters (django-sesame): short-lived and single use.
SESAME_MAX_AGE = env.int("MAGIC_LINK_MAX_AGE", default=15 * 60)
SESAME_ONE_TIME = True
# The links in every email to a requester (and on the invoice) open the request
# in any browser, signed in as its requester, for this many days (licensing.links).
REQUEST_LINK_MAX_AGE_DAYS = env.int("REQUEST_LINK_MAX_AGE_DAYS", default=30)
# After a takedown request, licensees have this many days to take the article
# down; `manage.py daily` then ends their licences as withdrawn (licensing.notices).
TAKEDOWN_GRACE_DAYS = env.int("TAKEDOWN_GRACE_DAYS", default=2)

# The seller printed on invoices and credit notes, frozen into each at issue.
SELLER = {
    "name": env.str("SELLER_NAME", default=f"{PUBLISHER_NAME} Ltd"),
    # One line in an env file: "\n" separates the address lines.
    "address": env.str(
        "SELLER_ADDRESS",
        default="Example House\n1 Example Street\nLondon EC1A 1AA",
        multiline=True,
    ),
    "country": env.str("SELLER_COUNTRY", default="GB"),
    "company_number": env.str("SELLER_COMPANY_NUMBER", default="00000000"),
    "vat_number": env.str("SELLER_VAT_NUMBER", default="GB000000000"),
    "email": env.str("SELLER_EMAIL", default="accounts@example.com"),
}
# Where bank transfers go; the invoice number is the payment reference.
BANK_DETAILS = {
    "account_name": env.str("BANK_ACCOUNT_NAME", default=SELLER["name"]),
    "bank_name": env.str("BANK_NAME", default="Example Bank plc"),
    "sort_code": env.str("BANK_SORT_CODE", default="00-00-00"),
    "account_number": env.str("BANK_ACCOUNT_NUMBER", default="00000000"),
    "iban": env.str("BANK_IBAN", default="GB00EXAM00000000000000"),
    "bic": env.str("BANK_BIC", default="EXAMGB2L"),
}
UK_VAT_RATE = env.str("UK_VAT_RATE", default="20")  # percent, read as Decimal by billing.vat
QUOTE_REMINDER_DAYS_BEFORE = env.int("QUOTE_REMINDER_DAYS_BEFORE", default=3)

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Seconds each call to Stripe waits for an answer. The library tries a call up
# to three times, so "Pay by card" gives up within about three times this,
# inside gunicorn's 30-second worker timeout.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=8)

# Outgoing webhooks go to public addresses only (integrations.destinations);
# on lets them reach loopback and private networks: tests and the local demo.
OUTGOING_WEBHOOKS_ALLOW_PRIVATE = env.bool("OUTGOING_WEBHOOKS_ALLOW_PRIVATE", default=False)
# The hosts of the publisher's own sites: /republish/?url= for an address on one of
# them that the catalogue lacks (an archive piece, a new article) offers the form anyway.
PUBLISHER_DOMAINS = [
    host.strip().lower().removeprefix("www.")
    for host in env.list("PUBLISHER_DOMAINS", default=["www.middleeasteye.net"])
    if host.strip()
]
# The desk's public address, on the contact page and in the privacy notice.
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default=REVIEWERS_EMAIL)

# The publisher's RSS or Atom feed that `manage.py daily` imports; empty skips the import.
PUBLISHER_FEED_URL = env.str("PUBLISHER_FEED_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_include_bootstrap",
    "django_countries",
    "django_ratelimit",
    "portal",
    "billing",
    "licensing",
    "integrations",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (SECURE_CSP below) on every response.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: picks the language from the cookie or Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.StaffPagesInEnglishMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which is the first to read a posted form.
    "portal.middleware.RejectUnreadableFormsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.RejectNulBytesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# An empty DATABASE_URL means the default, the local SQLite file.
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, and the timeout makes a second
    # writer wait for it instead of failing with "database is locked". WAL lets
    # pages be read while a request is written, and with synchronous=NORMAL a
    # commit no longer waits for the disk twice (a power cut may lose the last
    # commits, never corrupt the file): SQLite is the local and demo database;
    # production runs on PostgreSQL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/staff/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
# English is the default; Arabic (right to left) and French for requesters.
LANGUAGES = [("en", "English"), ("ar", "العربية"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our dates and number separators per language ("3 déc. 2026", "3 ديسمبر، 2026").
# Numbers are grouped where a reader sees a figure (intcomma, number_format
# with force_grouping), not by USE_THOUSAND_SEPARATOR: that would also group
# ids, page numbers and coordinates printed into attributes and links.
FORMAT_MODULE_PATH = ["portal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# DejaVu Sans (regular and bold) for licence, invoice and credit note PDFs; `make fonts`
# installs Debian's copy here. LICENCE_FONT_DIR, its earlier name, is still read.
PDF_FONT_DIR = env.str("PDF_FONT_DIR", default="") or env.str(
    "LICENCE_FONT_DIR", default="/usr/share/fonts/truetype/dejavu"
)
# Stored documents (licence, invoice and credit note PDFs): on this machine's disk
# under MEDIA_ROOT, the default; or with DOCUMENT_STORAGE=s3 in a private
# S3-compatible bucket that every web server and worker shares (django-storages;
# AWS_* as it names them).
DOCUMENT_STORAGE = env.str("DOCUMENT_STORAGE", default="local")
# How many machines run the portal (web servers and workers) against this one
# database: above one, documents on local disk would be on the wrong machine, and
# `manage.py check --deploy` (run at gunicorn's start) refuses it (portal.checks).
PORTAL_SERVERS = env.int("PORTAL_SERVERS", default=1)
# Seconds to connect to, and to wait for an answer from, the bucket: a stalled
# bucket gives the visitor the "documents unavailable" page, not a worker timeout.
DOCUMENT_STORAGE_TIMEOUT_SECONDS = env.float("DOCUMENT_STORAGE_TIMEOUT_SECONDS", default=5)


def _document_storage() -> dict[str, object]:
    if DOCUMENT_STORAGE == "local":
        # No location: it follows MEDIA_ROOT (tests point it at a temporary folder).
        # A document rendered again replaces its file, under the same name
        # (portal.documents.save_document), as S3Storage's file_overwrite does.
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"allow_overwrite": True},
        }
    if DOCUMENT_STORAGE != "s3":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"DOCUMENT_STORAGE={DOCUMENT_STORAGE!r}: use local or s3.")
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            # Empty means AWS itself; any S3-compatible service has its own URL.
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            # Empty keys: boto3's own chain (instance role, ~/.aws) finds them.
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Private: no ACL on any object (the bucket's own, private, applies) and
            # no public URL; the portal reads each file and serves it after its check.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 60,
            # A document rendered again replaces its object under the same key
            # (django-storages' default, relied on by portal.documents.save_document).
            "file_overwrite": True,
            # django-storages takes the addressing style ("path" or "virtual") from
            # this Config when one is given, so it is set here.
            "client_config": Config(
                s3={"addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None},
                signature_version="s3v4",
                connect_timeout=DOCUMENT_STORAGE_TIMEOUT_SECONDS,
                read_timeout=DOCUMENT_STORAGE_TIMEOUT_SECONDS,
                retries={"mode": "standard", "max_attempts": 2},
            ),
        },
    }


# PAdES signatures on licence PDFs (docs/deploy.md): a PKCS#12 file (RSA key) and its
# password; with a timestamp authority's URL the signatures are PAdES B-T.
LICENCE_SIGNING_P12 = env.str("LICENCE_SIGNING_P12", default="")
LICENCE_SIGNING_P12_PASSWORD = env.str("LICENCE_SIGNING_P12_PASSWORD", default="")
LICENCE_TSA_URL = env.str("LICENCE_TSA_URL", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "documents": _document_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# Console in development; EMAIL_URL in production (smtp+tls://user:pass@host:587,
# smtps://..., consolemail://, filemail:///path). Django 6.1's MAILERS replaces
# EMAIL_BACKEND, so the URL django-environ parses is mapped onto its options.
def _mailer_from_url(url: str) -> dict[str, object]:
    parsed = environ.Env.email_url_config(url)
    options = {
        "host": parsed.get("EMAIL_HOST"),
        "port": parsed.get("EMAIL_PORT"),
        "username": parsed.get("EMAIL_HOST_USER"),
        "password": parsed.get("EMAIL_HOST_PASSWORD"),
        "use_tls": parsed.get("EMAIL_USE_TLS"),
        "use_ssl": parsed.get("EMAIL_USE_SSL"),
        "file_path": parsed.get("EMAIL_FILE_PATH"),
        "timeout": 30,
    }
    backend = str(parsed["EMAIL_BACKEND"])
    if backend.endswith("filebased.EmailBackend"):
        # django-environ drops the leading slash of filemail:///var/mail; keep
        # the URL's own path so the folder is absolute as written.
        options = {"file_path": urlsplit(url).path or parsed.get("EMAIL_FILE_PATH")}
    elif not backend.endswith("smtp.EmailBackend"):
        options = {}
    return {
        "BACKEND": backend,
        "OPTIONS": {k: v for k, v in options.items() if v not in (None, "")},
    }


MAILERS = {
    "default": _mailer_from_url(env.str("EMAIL_URL", default="consolemail://")),
}

# REDIS_URL is accepted as another name for CACHE_URL (hosts that provide
# Redis usually export it); CACHE_URL wins when both are set.
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": environ.Env.cache_url_config(CACHE_URL or "locmemcache://"),
    # Markup that depends only on the language and the day (the empty request
    # form): kept in each process, so a deploy never serves the old markup.
    "rendered": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "rendered",
    },
}
# A Redis that stops answering must cost a page a fraction of a second, not the
# socket's default wait of minutes: every rate-limit check asks it (and fails
# open when it cannot, portal.rate_limits). Seconds, for connecting and for
# each answer.
CACHE_TIMEOUT_SECONDS = env.float("CACHE_TIMEOUT_SECONDS", default=0.25)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", CACHE_TIMEOUT_SECONDS)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", CACHE_TIMEOUT_SECONDS)

# Background tasks (emails, licence PDFs): run at once in development and
# tests; queued in the database and run by `manage.py db_worker` in production.
TASK_BACKENDS = {
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate")
if TASKS_BACKEND not in TASK_BACKENDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"TASKS_BACKEND={TASKS_BACKEND!r}: use one of {', '.join(TASK_BACKENDS)}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# A worker silent this long (no heartbeat: killed, crashed, machine lost) is
# taken for dead, and the task it was running is queued again for another
# (portal.task_workers). Seconds; it beats six times in that span.
TASK_WORKER_TIMEOUT_SECONDS = env.float("TASK_WORKER_TIMEOUT_SECONDS", default=60)
# Rate limits (django-ratelimit) count in the cache; production uses Redis
# (CACHE_URL=redis://...). The per-process memory cache is fine for the demo.
RATELIMIT_USE_CACHE = "default"
# Behind nginx every request comes from the proxy's address: count per visitor
# with the header nginx sets (deploy/nginx: X-Real-IP -> HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
# Requests allowed per visitor and period ("30/h": 30 an hour) on the public
# forms, sign-in and verification; over it a visitor gets the 429 page
# (portal.rate_limits). RATE_LIMITS overrides some: "request_form=60/h,login_ip=50/h".
RATE_LIMITS = {
    # Per address; generous, since a whole newsroom may share one address.
    "request_form": "30/h",
    # Sign-in links: enough for a person who mistypes, too few to flood an inbox.
    "magic_link_ip": "10/h",
    "magic_link_email": "3/h",
    # Staff sign-in (and the admin's): per address and per username tried.
    "login_ip": "30/h",
    "login_username": "10/h",
    # Licence checks: plenty for people scanning QR codes, too few to enumerate numbers.
    "verify": "60/m",
    # "Send the link again" on an unconfirmed request's page, per request.
    "confirmation_email": "3/h",
}
_rate_overrides = env.dict("RATE_LIMITS", default={})
if set(_rate_overrides) - set(RATE_LIMITS) or not all(
    re.fullmatch(r"[1-9]\d*/\d*[smhd]", str(rate)) for rate in _rate_overrides.values()
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"RATE_LIMITS={_rate_overrides!r}: names are {', '.join(RATE_LIMITS)}; "
        "rates look like 30/h (per s, m, h or d)."
    )
RATE_LIMITS.update(_rate_overrides)
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
elif CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's own Redis backend counts with atomic INCR; django-ratelimit's
    # list of supported backends predates it.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Sessions in the database (Django's default, said here on purpose): every
# server behind a load balancer reads the same ones, with no sticky sessions.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and not LOCAL_HTTP
CSRF_COOKIE_SECURE = not DEBUG and not LOCAL_HTTP
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG and not LOCAL_HTTP)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: scripts, styles and images from this site only, so
# the templates carry no inline <script>, on...= handler or style= attribute
# (tests/test_security_headers.py checks). form-action also names Stripe
# Checkout: "Pay by card" posts to us and we answer with a 303 redirect to
# checkout.stripe.com, and browsers apply form-action to the redirects that
# follow a form submission, so 'self' alone would block the payment page.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, STRIPE_CHECKOUT_ORIGIN],
}
# /healthz must answer plain HTTP probes from a load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# LOG_FORMAT=json writes one JSON object a line, with the request reference,
# invoice and licence numbers as fields on state changes and webhooks.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_context": {"()": "portal.structured_logging.LogContextFilter"}},
    "formatters": {
        "text": {"format": "%(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["log_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pikepdf says at import that its logger is ready: noise at every command's start.
        "pikepdf": {"level": "WARNING"},
    },
}


def _missing_for_production() -> list[str]:
    """What production (DEBUG off) lacks: each must be set explicitly, no demo default."""
    missing = []
    if not env.str("SECRET_KEY", default="") or SECRET_KEY.startswith("django-insecure"):
        missing.append("SECRET_KEY: a long random value of your own, not the demo key")
    if not env.list("ALLOWED_HOSTS", default=[]):
        missing.append("ALLOWED_HOSTS: the host names the portal answers to")
    if not env.str("PORTAL_BASE_URL", default="") or not (
        PORTAL_BASE_URL.startswith("https://") or LOCAL_HTTP
    ):
        missing.append("PORTAL_BASE_URL: the public https:// address of the portal")
    if not env.str("DATABASE_URL", default=""):
        missing.append("DATABASE_URL: the database, e.g. postgres://user:pass@host:5432/name")
    # One Stripe key without the other takes card payments nobody can record.
    if bool(STRIPE_SECRET_KEY) != bool(STRIPE_WEBHOOK_SECRET):
        missing.append(
            "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET: set both for card payment, or neither"
        )
    return missing


if not DEBUG and (_missing := _missing_for_production()):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DEBUG is off, so the portal runs in production mode and needs these settings "
        "in the environment (see .env.example and docs/deploy.md):\n  - " + "\n  - ".join(_missing)
    )
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
