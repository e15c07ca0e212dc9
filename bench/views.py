"""Baselines: what Django costs with nothing of ours, and the request form with no styling."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from licensing.forms import RepublicationRequestForm
from licensing.models import Article


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def plain_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The same form class as the request form, printed with Django's plain {{ form }}."""
    article = get_object_or_404(Article, slug=slug)
    form = RepublicationRequestForm(article=article)
    return render(request, "bench/plain_form.html", {"form": form})
