"""Paying an invoice by card (being built)."""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse


def pay_by_card(request: HttpRequest, uuid: UUID) -> HttpResponse:
    raise Http404("Not built yet")
