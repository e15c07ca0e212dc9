"""Finance pages (being built)."""

from django.http import Http404, HttpRequest, HttpResponse


def invoice_list(request: HttpRequest) -> HttpResponse:
    raise Http404("Not built yet")


def invoice_csv(request: HttpRequest) -> HttpResponse:
    raise Http404("Not built yet")


def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    raise Http404("Not built yet")


def record_transfer(request: HttpRequest, number: str) -> HttpResponse:
    raise Http404("Not built yet")
