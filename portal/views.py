"""Pages that belong to no single app: home, health check, error pages."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from billing.views.finance import RECORD_PAYMENT_PERMISSION
from licensing.models import UNCONFIRMED_LIFETIME, Article
from licensing.views.access import REVIEW_PERMISSION
from portal.rate_limits import CACHE_OUTAGE
from portal.task_workers import queue_health

logger = logging.getLogger(__name__)

# What a browser is told to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 60


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    latest = Article.objects.filter(republishable=True).order_by("-published_at")[:6]
    return render(request, "portal/home.html", {"latest": latest})


def _about_context() -> dict[str, object]:
    return {
        "contact_email": settings.CONTACT_EMAIL,
        "seller": settings.SELLER,
        "target_days": settings.RESPONSE_TARGET_WORKING_DAYS,
        "unconfirmed_days": UNCONFIRMED_LIFETIME.days,
        "takedown_days": getattr(settings, "TAKEDOWN_GRACE_DAYS", 2),
    }


@require_safe
def contact(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/contact.html", _about_context())


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy.html", _about_context())


@require_safe
def terms(request: HttpRequest) -> HttpResponse:
    """The full republishing terms, linked from the request form's terms checkbox."""
    return render(request, "portal/terms.html", _about_context())


class StaffLoginView(LoginView):
    """Staff sign-in. Without a `next`, finance staff who do not review land on the invoices."""

    def get_default_redirect_url(self) -> str:
        user = self.request.user
        if user.has_perm(RECORD_PAYMENT_PERMISSION) and not user.has_perm(REVIEW_PERMISSION):
            return reverse("billing:invoice_list")
        return super().get_default_redirect_url()


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers, else 503; the cache and the task queue are reported.

    Only the database decides the status: without the cache the pages still
    work (rate limits fail open), and a stalled worker is no reason for a
    load balancer to stop sending visitors here.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse(
            {"status": "error", "database": "unreachable", "cache": _cache_state()}, status=503
        )
    try:
        tasks = queue_health()
    except DatabaseError:
        tasks = {"state": "unknown"}
    except Exception:
        # The extras only inform: a fault computing them (the queue table
        # gone, a bug) must not turn a healthy site into a 500.
        logger.exception("Task queue health could not be computed")
        tasks = {"state": "unknown"}
    return JsonResponse({"status": "ok", "database": "ok", "cache": _cache_state(), "tasks": tasks})


def _cache_state() -> str:
    try:
        cache.get("healthz")
    except CACHE_OUTAGE:
        return "unreachable"
    except Exception:
        logger.exception("Cache health could not be computed")
        return "unknown"
    return "ok"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The language switcher returns home, so the page never echoes a path it hides.
    context = {"query": request.GET.get("q", ""), "language_next": "/"}
    return render(request, "404.html", context, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 400 page. Not decorated with requires_csrf_token as Django's own is: that
    check reads the posted form, which may be the very thing that could not be read."""
    return render(request, "400.html", {"language_next": "/"}, status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # A stale or missing token is the user's browser, not our bug: explain and
    # offer the way back instead of Django's developer page.
    return render(request, "403_csrf.html", {"language_next": "/"}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or 503 while the database is unreachable; neither page needs the database.

    Django calls this while handling the exception, so `sys.exception()` is it,
    and logs the exception itself.
    The page is rendered without the request's context processors: they read
    the session and the user, which live in the database that may be down.
    """
    unavailable = isinstance(sys.exception(), (OperationalError, InterfaceError))
    context = {
        "request": request,
        "PUBLISHER_NAME": settings.PUBLISHER_NAME,
        "language_next": "/",
        # The language switcher's form; the token lives in a cookie, not the database.
        "csrf_token": get_token(request),
    }
    if not unavailable:
        return HttpResponse(render_to_string("500.html", context), status=500)
    response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
