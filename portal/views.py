"""Pages that belong to no single app: home, health check, error pages."""

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from licensing.models import Article


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    latest = Article.objects.filter(republishable=True).order_by("-published_at")[:6]
    return render(request, "portal/home.html", {"latest": latest})


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The language switcher returns home, so the page never echoes a path it hides.
    context = {"query": request.GET.get("q", ""), "language_next": "/"}
    return render(request, "404.html", context, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # A stale or missing token is the user's browser, not our bug: explain and
    # offer the way back instead of Django's developer page.
    return render(request, "403_csrf.html", {"language_next": "/"}, status=403)
