"""Public pages: the catalogue, the request form with its estimate, and the requester's page."""

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing import stripe as billing_stripe
from licensing import pricing
from licensing.forms import ArticleSearchForm, EstimateForm, ReplyForm, RepublicationRequestForm
from licensing.models import Article, Outlet, RepublicationRequest, TransitionNotAllowed
from licensing.views.access import remember_submission, requester_request_or_404
from portal.money import format_money
from portal.pagination import CappedPaginator
from portal.rate_limits import Limit, rate_limited
from portal.search import matching, search_terms

ARTICLES_PER_PAGE = 20
ARTICLES_COUNT_CAP = 1000
OUTLET_PREFILL = {
    "contact_name": "contact_name",
    "email": "email",
    "outlet_name": "name",
    "outlet_website": "website",
    "outlet_type": "outlet_type",
    "country": "country",
    "audience_size": "audience_size",
    "vat_number": "vat_number",
}


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleSearchForm(request.GET)
    articles = Article.objects.all()
    query = language = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        language = form.cleaned_data["language"]
        if query:
            # Any case, with or without accents: "elections" finds "Élections".
            articles = matching(articles, search_terms(query))
        if language:
            articles = articles.filter(language=language)
    # A word in thousands of titles is counted to a cap, not to the last row.
    paginator = CappedPaginator(articles, ARTICLES_PER_PAGE, cap=ARTICLES_COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    # The search and filter, kept on the pagination links.
    kept = urlencode({k: v for k, v in (("q", query), ("language", language)) if v})
    context = {"form": form, "page": page, "query": query, "language": language, "kept": kept}
    return render(request, "licensing/article_list.html", context)


@require_safe
def article_detail(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    return render(request, "licensing/article_detail.html", {"article": article})


def _url_variants(url: str) -> list[str]:
    """The same address with either scheme, with and without trailing slash, no query."""
    base = url.strip().split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if not base.startswith(("http://", "https://")):
        return []
    path = base.split("://", 1)[1]
    return [f"{scheme}://{path}{slash}" for scheme in ("https", "http") for slash in ("", "/")]


@require_safe
def republish_redirect(request: HttpRequest) -> HttpResponse:
    url = request.GET.get("url", "")
    article = Article.objects.filter(canonical_url__in=_url_variants(url)).first()
    if article is None:
        return render(
            request,
            "licensing/article_not_found.html",
            {"url": url, "form": ArticleSearchForm()},
            status=404,
        )
    return redirect(article.get_republish_url())


def _estimate(data: object) -> str:
    """The rate card's fee for what is chosen so far, formatted, or '' if none applies."""
    form = EstimateForm(data)  # type: ignore[arg-type]
    form.is_valid()
    suggestion = pricing.suggest_fee(form.as_request())
    return format_money(*suggestion) if suggestion else ""


def _prefill(request: HttpRequest) -> dict[str, object]:
    """A signed-in requester's outlet details, so the second request is quicker."""
    if not request.user.is_authenticated:
        return {}
    outlet = Outlet.objects.filter(email=request.user.email.lower()).first()
    if outlet is None:
        return {"email": request.user.email}
    return {field: getattr(outlet, attr) for field, attr in OUTLET_PREFILL.items()}


@require_http_methods(["GET", "HEAD", "POST"])
# Only sending counts: "Update estimate" (no JavaScript) posts too but saves nothing.
@rate_limited(Limit("request_form"), exempt=lambda request: "estimate" in request.POST)
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug)
    if not article.republishable:
        return render(request, "licensing/not_republishable.html", {"article": article})
    data = request.POST if request.method == "POST" else None
    if data is not None and "estimate" in data:
        # "Update estimate" (browsers without JavaScript): show the form again,
        # as typed, with the estimate and without error messages.
        form = RepublicationRequestForm(initial=data.dict(), article=article)
    else:
        form = RepublicationRequestForm(data, article=article, initial=_prefill(request))
        if form.is_bound and form.is_valid():
            created = RepublicationRequest.submit(
                article=article,
                details=form.request_details(),
                ui_language=get_supported_language_variant(get_language()),
            )
            remember_submission(request, created)
            return redirect(created)
    context = {
        "article": article,
        "form": form,
        "estimate": _estimate(data if data is not None else form.initial),
    }
    status = 400 if form.is_bound else 200
    return render(request, "licensing/request_form.html", context, status=status)


@require_safe
def estimate(request: HttpRequest, slug: str) -> HttpResponse:
    """The estimate fragment the form's script swaps in as options change."""
    get_object_or_404(Article, slug=slug)
    return render(request, "licensing/_estimate.html", {"estimate": _estimate(request.GET)})


def _render_request_page(
    request: HttpRequest, req: RepublicationRequest, reply_form: ReplyForm, status: int = 200
) -> HttpResponse:
    invoice = req.invoice
    context = {
        "licence": getattr(req, "licence", None),
        "req": req,
        "history": req.status_changes.all(),
        "thread": req.public_messages(),
        "reply_form": reply_form,
        "invoice": invoice,
        "credit_notes": invoice.credit_notes.all() if invoice else [],
        "stripe_enabled": billing_stripe.is_configured(),
        # Back from Stripe Checkout: the redirect proves nothing; the webhook does.
        "checkout_returned": request.GET.get("checkout") == "success",
    }
    return render(request, "licensing/request_detail.html", context, status=status)


@require_safe
def request_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    req = requester_request_or_404(
        request, uuid, RepublicationRequest.objects.select_related("article", "outlet", "invoice")
    )
    return _render_request_page(request, req, ReplyForm())


@require_POST
def request_reply(request: HttpRequest, uuid: UUID) -> HttpResponse:
    req = requester_request_or_404(request, uuid)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_request_page(request, req, form, status=400)
    try:
        req.reply(body=form.cleaned_data["body"])
    except TransitionNotAllowed:
        req.refresh_from_db()
        messages.error(
            request,
            _("Request %(reference)s is closed (“%(status)s”).")
            % {"reference": req.reference, "status": req.get_status_display()},
        )
    else:
        messages.success(request, _("Your message was sent to our desk."))
    return redirect(req)


@require_POST
def request_withdraw(request: HttpRequest, uuid: UUID) -> HttpResponse:
    req = requester_request_or_404(request, uuid)
    try:
        req.withdraw()
    except TransitionNotAllowed:
        req.refresh_from_db()
        if req.is_open:
            # Still open, so the invoice was paid under us: the payment wins.
            message = _("Request %(reference)s has just been paid; it can no longer be cancelled.")
        else:
            message = _("Cannot withdraw request %(reference)s: it is now “%(status)s”.")
        messages.error(
            request, message % {"reference": req.reference, "status": req.get_status_display()}
        )
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect(req)
