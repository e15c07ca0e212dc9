"""Rate limits on the public forms, sign-in and verification, and the one 429 page they share.

Counting is django-ratelimit's (in the cache: Redis in production); the rates
are the RATE_LIMITS setting, read on every request so tests can change them.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable cache raises: the socket's own errors, and Redis's client's.
CACHE_OUTAGE = (OSError, RedisError)

View = Callable[..., HttpResponseBase]
# A django-ratelimit key: "ip", or a function of (group, request) giving the value counted.
Key = str | Callable[[str, HttpRequest], str]


@dataclass(frozen=True)
class Limit:
    """Count `key` in the group named after a RATE_LIMITS entry."""

    name: str
    key: Key = "ip"


def posted(field: str) -> Callable[[str, HttpRequest], str]:
    """A key counting per value of a posted field (an email, a username), case-insensitive."""

    def key(group: str, request: HttpRequest) -> str:
        return request.POST.get(field, "").strip().lower()

    return key


def _rate(group: str, request: HttpRequest) -> str:
    return settings.RATE_LIMITS[group]


def seconds_until_allowed(
    request: HttpRequest, limits: Sequence[Limit], methods: tuple[str, ...]
) -> int | None:
    """Count this request against each limit; None when all allow it, else seconds to wait."""
    waits = []
    for limit in limits:
        key = limit.key
        if callable(key):
            value = key(limit.name, request)
            if not value:
                # Nothing typed (an empty email or username): counting every
                # empty form together would let one visitor block everyone's.
                continue
            key = lambda group, request, value=value: value  # noqa: E731
        try:
            usage = get_usage(
                request, group=limit.name, key=key, rate=_rate, method=methods, increment=True
            )
        except CACHE_OUTAGE as error:
            # The counts are out of reach: let the request through rather than
            # turn a cache outage into an error on every limited page.
            # The other limits would wait for the same cache: none is counted.
            logger.error(
                "Rate limits %s not counted, the cache is unreachable: %s",
                ", ".join(other.name for other in limits),
                error,
            )
            break
        if usage is not None and usage["should_limit"]:
            waits.append(max(usage["time_left"], 1))
    return max(waits) if waits else None


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The friendly 429 page, with Retry-After in seconds."""
    minutes = max(1, -(-retry_after // 60))  # rounded up: "1 minute", never "0 minutes"
    response = render(request, "429.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limited(
    *limits: Limit,
    methods: tuple[str, ...] = ("POST",),
    exempt: Callable[[HttpRequest], bool] | None = None,
) -> Callable[[View], View]:
    """Answer 429 once any of `limits` is exceeded by requests with one of `methods`.

    Requests for which `exempt` is true are neither counted nor refused.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if exempt is not None and exempt(request):
                return view(request, *args, **kwargs)
            wait = seconds_until_allowed(request, limits, methods)
            if wait is not None:
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
