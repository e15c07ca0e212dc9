"""Stripe webhook endpoint (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def stripe_webhook(request: HttpRequest) -> HttpResponse:
    raise Http404("Not built yet")
