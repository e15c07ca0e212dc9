"""Invoice and credit note PDF downloads (being built)."""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse


def invoice_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    raise Http404("Not built yet")


def credit_note_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    raise Http404("Not built yet")
