"""Checks of our own (tag "portal"): settings the portal cannot work with.

The numbers from the environment are checked by every command (`check`,
`runserver`, `migrate`); the deployment checks, settings that cannot work on
the servers declared, by `manage.py check --deploy`, and by gunicorn before
it starts (deploy/gunicorn.conf.py) and the worker unit before the worker: a
server on such settings refuses to start and says why.
"""

import secrets
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError
from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage

from portal.documents import STORE_ERRORS

TAG = "portal"
# Caches every process of the portal reaches alike; anything else is per process.
SHARED_CACHES = (
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
)


# The least value each number from the environment may take, and what a smaller
# one would do. Checked on every command, not only at deployment: `make run` on
# TAKEDOWN_GRACE_DAYS=-2 would date a takedown's deadline before its notice.
LEAST_VALUES = {
    "RESPONSE_TARGET_WORKING_DAYS": (1, "flag every request overdue"),
    "DEFAULT_QUOTE_VALIDITY_DAYS": (1, "issue quotes already lapsed"),
    "REQUEST_LINK_MAX_AGE_DAYS": (1, "email links already expired"),
    "MAGIC_LINK_MAX_AGE": (60, "expire sign-in links before they arrive"),
    "TAKEDOWN_GRACE_DAYS": (0, "set takedown deadlines in the past"),
    "QUOTE_REMINDER_DAYS_BEFORE": (0, "remind requesters after their quote lapsed"),
    "PORTAL_SERVERS": (1, "declare no server at all"),
}
# A variable whose setting has another name (django-sesame's own).
SETTING_NAMES = {"MAGIC_LINK_MAX_AGE": "SESAME_MAX_AGE"}


@checks.register(TAG)
def check_numbers(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """The day counts and ages from the environment are ones the portal can work with."""
    errors: list[checks.CheckMessage] = []
    for variable, (least, effect) in LEAST_VALUES.items():
        value = getattr(settings, SETTING_NAMES.get(variable, variable))
        if value < least:
            errors.append(
                checks.Error(
                    f"{variable}={value}: under {least}, the portal would {effect}.",
                    hint=f"Set {variable} to {least} or more (README.md, Settings).",
                    id="portal.E005",
                )
            )
    return errors


@checks.register(TAG, deploy=True)
def check_shared_state(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Several servers must share documents, and the cache that counts rate limits."""
    errors: list[checks.CheckMessage] = []
    on_this_disk = isinstance(storages["documents"], FileSystemStorage)
    if settings.PORTAL_SERVERS > 1 and on_this_disk:
        errors.append(
            checks.Error(
                f"DOCUMENT_STORAGE=local with PORTAL_SERVERS={settings.PORTAL_SERVERS}: each "
                "server would keep the PDFs it rendered on its own disk, out of the others' reach.",
                hint="Set DOCUMENT_STORAGE=s3 and the AWS_* settings (docs/deploy.md).",
                id="portal.E001",
            )
        )
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if settings.PORTAL_SERVERS > 1 and cache_backend not in SHARED_CACHES:
        errors.append(
            checks.Error(
                f"The cache ({cache_backend}) lives in each process, with "
                f"PORTAL_SERVERS={settings.PORTAL_SERVERS}: every server would count its own "
                "rate limits.",
                hint="Set CACHE_URL=redis://... to the one Redis all servers share.",
                id="portal.E002",
            )
        )
    return errors


@checks.register(TAG, deploy=True)
def check_document_bucket(
    *, app_configs: Sequence[AppConfig] | None, databases: Sequence[str] | None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """With DOCUMENT_STORAGE=s3 the bucket answers, within the storage's short timeouts."""
    storage = storages["documents"]
    if not isinstance(storage, S3Storage):
        return []
    client = storage.bucket.meta.client
    try:
        # head_bucket: the bucket exists and these keys may use it; reads no object.
        client.head_bucket(Bucket=storage.bucket_name)
    except STORE_ERRORS as error:
        return [
            checks.Error(
                f"The document bucket {storage.bucket_name!r} cannot be reached: {error}",
                hint=(
                    "Check AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME "
                    "and the keys, and that this server can reach the bucket."
                ),
                id="portal.E003",
            )
        ]
    # A key that cannot exist must answer 404. Without s3:ListBucket, S3 answers
    # 403 for a missing key instead, and a document deleted from the bucket would
    # read as "store unavailable" for ever instead of being rendered again.
    missing = f"{storage.location.strip('/')}/portal-check-{secrets.token_hex(8)}".lstrip("/")
    try:
        client.head_object(Bucket=storage.bucket_name, Key=missing)
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            return []
        answer = f"HTTP {status}" if status else str(error)
        problem = f"answered {answer}, not 404"
    except STORE_ERRORS as error:
        problem = f"gave no answer: {error}"
    else:
        problem = "found an object there"
    return [
        checks.Error(
            f"The document bucket {storage.bucket_name!r}, asked for a key that does not "
            f"exist ({missing}), {problem}: a document missing from the bucket could not be "
            "told apart from the bucket being unavailable, and would never be rendered again.",
            hint=(
                "Grant these keys s3:ListBucket on the bucket, and s3:GetObject, s3:PutObject "
                "and s3:DeleteObject on its objects (docs/deploy.md, bucket policy)."
            ),
            id="portal.E004",
        )
    ]
