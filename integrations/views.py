"""The read-only JSON API for staff tools, and the demo article page showing the button."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from integrations.models import ApiToken
from licensing.models import RepublicationRequest, RequestStatus

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
SEED_CANONICAL_URL = (
    "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front"
)


def token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`Authorization: Bearer <token>` with an active token, or 401 JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        token = ApiToken.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            response = JsonResponse(
                {"error": "A valid API token is required: Authorization: Bearer <token>."},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return view(request, *args, **kwargs)

    return wrapper


class RequestFilterForm(forms.Form):
    status = forms.ChoiceField(choices=RequestStatus.choices, required=False)
    updated_since = forms.DateTimeField(required=False, help_text="ISO 8601 date and time.")
    article = forms.SlugField(required=False, help_text="The article's slug.")
    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)

    def __init__(self, data: Any) -> None:
        data = data.copy()
        # An unencoded "+01:00" offset arrives as " 01:00" in a query string.
        if since := data.get("updated_since"):
            data["updated_since"] = since.replace(" ", "+")
        super().__init__(data)

    def clean_updated_since(self) -> Any:
        since = self.cleaned_data["updated_since"]
        # Years 1 and 9999 overflow when the database converts the offset to UTC.
        if since is not None and not 2 <= since.year <= 9998:
            raise forms.ValidationError("Give a date and time between the years 2 and 9998.")
        return since


def request_json(req: RepublicationRequest) -> dict[str, Any]:
    licence = getattr(req, "licence", None)
    return {
        "reference": req.reference,
        "uuid": str(req.uuid),
        "status": req.status,
        "article": {"title": req.article.title, "canonical_url": req.article.canonical_url},
        "outlet_name": req.outlet_name,
        "outlet_type": req.outlet_type,
        "country": str(req.country),
        "media": req.media,
        "language": req.language,
        "territory": req.territory,
        "extent": req.extent,
        "fee_minor": req.fee_minor,
        "currency": req.currency or None,
        "invoice_number": req.invoice.number if req.invoice else None,
        "licence_number": licence.number if licence else None,
        "licence_status": licence.status if licence else None,
        "created_at": req.created_at.isoformat(),
        "updated_at": req.updated_at.isoformat(),
    }


def _page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@require_safe
@token_required
def request_list(request: HttpRequest) -> HttpResponse:
    form = RequestFilterForm(request.GET)
    if not form.is_valid():
        return JsonResponse(
            {"error": "Invalid filters.", "fields": form.errors.get_json_data()}, status=400
        )
    data = form.cleaned_data
    # An unconfirmed request is nobody's yet: the desk's tools see it once confirmed.
    requests = RepublicationRequest.objects.exclude(
        status=RequestStatus.UNCONFIRMED
    ).select_related("article", "invoice", "licence")
    if data["status"]:
        requests = requests.filter(status=data["status"])
    if data["updated_since"]:
        requests = requests.filter(updated_at__gte=data["updated_since"])
    if data["article"]:
        requests = requests.filter(article__slug=data["article"])
    # Oldest change first, so a tool syncing with updated_since never skips one.
    paginator = Paginator(
        requests.order_by("updated_at", "id"), data["page_size"] or DEFAULT_PAGE_SIZE
    )
    number = data["page"] or 1
    if number > paginator.num_pages:
        return JsonResponse({"error": f"Page {number} does not exist."}, status=404)
    page = paginator.page(number)
    return JsonResponse(
        {
            "count": paginator.count,
            "next": _page_url(request, number + 1) if page.has_next() else None,
            "previous": _page_url(request, number - 1) if page.has_previous() else None,
            "results": [request_json(req) for req in page.object_list],
        }
    )


# The demo stands in for the publisher's own page, whose policy is theirs, not
# ours: it has a <style> block and the button script adds one, which the
# portal's style-src 'self' would block.
DEMO_ARTICLE_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
}


@require_safe
@csp_override(DEMO_ARTICLE_CSP)
def demo_article(request: HttpRequest) -> HttpResponse:
    """A publisher's article page with the button, for trying the integration (DEBUG only)."""
    if not settings.DEBUG:
        raise Http404("The demo article is only served with DEBUG on.")
    return render(request, "integrations/demo_article.html", {"canonical_url": SEED_CANONICAL_URL})
