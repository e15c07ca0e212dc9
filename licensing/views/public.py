"""Public pages: the catalogue, the request form with its estimate, and the requester's page."""

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_countries import countries

from billing import stripe as billing_stripe
from billing.vat import explain_vat
from licensing import tasks
from licensing.forms import (
    ArticleAddressForm,
    ArticleSearchForm,
    EstimateForm,
    ReplyForm,
    RepublicationRequestForm,
    on_publisher_site,
)
from licensing.links import LINK_PARAMETER, LinkState, read_request_link
from licensing.models import (
    Article,
    Outlet,
    PriceRule,
    RepublicationRequest,
    RequestStatus,
    TransitionNotAllowed,
    is_staff_account,
    without_tracking,
)
from licensing.notices import NoticeKind
from licensing.views.access import (
    may_see,
    refuse_staff,
    remember_submission,
    requester_request_or_404,
    sign_in_to_see,
    visible_request,
)
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
    "outlet_address": "address",
}


@require_safe
def article_list(request: HttpRequest) -> HttpResponse:
    form = ArticleSearchForm(request.GET)
    articles = Article.objects.filter(in_catalogue=True)
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
    article = get_object_or_404(Article, slug=slug, in_catalogue=True)
    return render(request, "licensing/article_detail.html", {"article": article})


def _url_variants(url: str) -> list[str]:
    """The same address with either scheme, with and without trailing slash, with its
    query (tracking parameters removed) and without any."""
    own = without_tracking(url)
    if not own.startswith(("http://", "https://")):
        return []
    path, _, query = own.split("://", 1)[1].partition("?")
    path = path.rstrip("/")
    tails = [f"?{query}", ""] if query else [""]
    return [
        f"{scheme}://{path}{slash}{tail}"
        for tail in tails
        for scheme in ("https", "http")
        for slash in ("", "/")
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited(Limit("request_form"))
def republish_redirect(request: HttpRequest) -> HttpResponse:
    url = request.POST.get("url") or request.GET.get("url", "")
    article = Article.objects.filter(canonical_url__in=_url_variants(url)).first()
    if article is not None and not article.republishable:
        # Refused here too: an unlisted article would otherwise get the form below.
        return _not_republishable(request, article)
    if article is not None and article.in_catalogue:
        return redirect(article.get_republish_url())
    if not on_publisher_site(url):
        return render(
            request,
            "licensing/article_not_found.html",
            {"url": url, "form": ArticleSearchForm()},
            status=404,
        )
    return _uncatalogued_request_form(request, url=url, known=article)


def _uncatalogued_request_form(
    request: HttpRequest, *, url: str, known: Article | None
) -> HttpResponse:
    """The form for an article of our own sites that the catalogue lacks (an archive
    piece, one published since the last import): the requester names it, the desk
    confirms it when approving."""
    title = known.title if known is not None else ""
    if request.method == "POST":
        address = ArticleAddressForm(request.POST)
        draft = Article(title=request.POST.get("article_title", ""), canonical_url=url)
        form = RepublicationRequestForm(request.POST, article=draft)
        if address.is_valid() and form.is_valid():
            article = known or Article.outside_catalogue(
                url=address.cleaned_data["url"], title=address.cleaned_data["article_title"]
            )
            return _send_request(request, article, form)
        status = 400
    else:
        address = ArticleAddressForm(initial={"url": url, "article_title": title})
        draft = Article(title=title, canonical_url=url)
        form = RepublicationRequestForm(article=draft, initial=_prefill(request))
        status = 200
    context = {"article": draft, "form": form, "address_form": address, "uncatalogued": True}
    return render(request, "licensing/request_form.html", context, status=status)


def _send_request(
    request: HttpRequest, article: Article, form: RepublicationRequestForm
) -> HttpResponse:
    """Store the valid form's request, let this browser follow it, and show its page."""
    created = RepublicationRequest.submit(
        article=article,
        details=form.request_details(),
        ui_language=get_supported_language_variant(get_language()),
        signed_in=request.user if request.user.is_authenticated else None,
    )
    remember_submission(request, created)
    return redirect(created)


def request_estimate(data: object) -> str:
    """The rate card's fee for what is chosen so far, formatted, or '' if none applies."""
    form = EstimateForm(data)  # type: ignore[arg-type]
    form.is_valid()
    suggestion = PriceRule.suggest_fee(form.as_request())
    return format_money(*suggestion) if suggestion else ""


def vat_case(data: Any) -> str:
    """The VAT case an invoice would apply to what is typed so far, and why; '' without country."""
    values = data or {}
    country = str(values.get("country") or "").upper()
    if country not in countries:
        return ""
    return explain_vat(country=country, vat_number=str(values.get("vat_number") or "").strip())


def _prefill(request: HttpRequest) -> dict[str, object]:
    """A signed-in requester's outlet details, so the second request is quicker."""
    if not request.user.is_authenticated or is_staff_account(request.user):
        return {}
    outlet = Outlet.objects.filter(email=request.user.email.lower()).first()
    if outlet is None:
        return {"email": request.user.email}
    return {field: getattr(outlet, attr) for field, attr in OUTLET_PREFILL.items()}


@require_http_methods(["GET", "HEAD", "POST"])
# Only sending counts: "Update estimate" (no JavaScript) posts too but saves nothing.
@rate_limited(Limit("request_form"), exempt=lambda request: "estimate" in request.POST)
def request_form(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(Article, slug=slug, in_catalogue=True)
    if not article.republishable:
        return _not_republishable(request, article)
    data = request.POST if request.method == "POST" else None
    if data is not None and "estimate" in data:
        # "Update estimate" (browsers without JavaScript): show the form again,
        # as typed, with the estimate and without error messages.
        form = RepublicationRequestForm(initial=data.dict(), article=article)
    else:
        form = RepublicationRequestForm(data, article=article, initial=_prefill(request))
        if form.is_bound and form.is_valid():
            return _send_request(request, article, form)
    context = {
        "article": article,
        "form": form,
        "estimate": request_estimate(data if data is not None else form.initial),
        "vat_case": vat_case(data if data is not None else form.initial),
    }
    status = 400 if form.is_bound else 200
    return render(request, "licensing/request_form.html", context, status=status)


def _not_republishable(request: HttpRequest, article: Article) -> HttpResponse:
    """No new requests: the desk unticked the article, or the publisher took it down."""
    context = {
        "article": article,
        "taken_down": article.notices.filter(kind=NoticeKind.TAKEDOWN).exists(),
    }
    return render(request, "licensing/not_republishable.html", context)


@require_safe
def estimate(request: HttpRequest, slug: str) -> HttpResponse:
    """The estimate fragment the form's script swaps in as options change."""
    get_object_or_404(Article, slug=slug)
    context = {"estimate": request_estimate(request.GET), "vat_case": vat_case(request.GET)}
    return render(request, "licensing/_estimate.html", context)


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
        "withdraw_statement": _withdraw_statement(req),
    }
    return render(request, "licensing/request_detail.html", context, status=status)


@require_safe
def request_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    if LINK_PARAMETER in request.GET:
        return _follow_link(request, uuid)
    req = visible_request(
        request, uuid, RepublicationRequest.objects.select_related("article", "outlet", "invoice")
    )
    if isinstance(req, HttpResponse):
        return req
    return _render_request_page(request, req, ReplyForm())


def _follow_link(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """A link from an email: confirm the request if need be, sign in as its requester, show it.

    The page is then shown at its plain address, without the link in the
    browser's history or address bar.
    """
    page = reverse("licensing:request_detail", args=[uuid])
    req = RepublicationRequest.objects.filter(uuid=uuid).first()
    state = read_request_link(request.GET[LINK_PARAMETER], req=req)
    if req is None or state == LinkState.INVALID:
        # Altered, cut short, for another request, or for one deleted since.
        return render(request, "licensing/request_link_invalid.html", {"next": page}, status=400)
    if state == LinkState.EXPIRED:
        if may_see(request, req):
            return redirect(page)
        return sign_in_to_see(request, next_url=page, email=req.email)
    if req.confirm():
        messages.success(request, _("Thank you: your email is confirmed and your request is sent."))
    req.refresh_from_db()
    user = req.requester
    if user is None or is_staff_account(user) or not user.is_active:
        # A staff address: the link proved the mailbox, but staff sign in with
        # their password and follow requests from the desk.
        messages.info(request, _("This address belongs to a staff account: sign in as staff."))
        return redirect_to_login(reverse("licensing:staff_request", args=[req.pk]))
    if request.user.pk != user.pk:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(page)


@require_POST
def request_resend(request: HttpRequest, uuid: UUID) -> HttpResponseBase:
    """Send the confirmation link again, to the address the request was sent with."""
    return _resend(request, requester_request_or_404(request, uuid))


# Counted per request, and only for those who may see it: the link goes to the
# request's own address alone, so the limit spares that inbox (and our mail server).
@rate_limited(Limit("confirmation_email", key=lambda group, request: request.path))
def _resend(request: HttpRequest, req: RepublicationRequest) -> HttpResponse:
    if req.status == RequestStatus.UNCONFIRMED:
        tasks.send_request_email.enqueue(request_id=req.pk, email="request_received")
        messages.success(request, _("We sent the link again to %(email)s.") % {"email": req.email})
    return redirect(req)


@require_POST
def request_reply(request: HttpRequest, uuid: UUID) -> HttpResponse:
    refuse_staff(request)
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


def _withdraw_statement(req: RepublicationRequest) -> str:
    """What withdrawing does, for the "are you sure?" dialog and page."""
    if req.invoice is not None and req.invoice.status == "open":
        return _(
            "This withdraws request %(reference)s and cancels invoice %(invoice)s with a "
            "credit note: nothing will be due. Our desk stops working on it, and it cannot "
            "be reopened; to ask again, send a new request."
        ) % {"reference": req.reference, "invoice": req.invoice.number}
    return _(
        "This withdraws request %(reference)s: our desk stops working on it, and it cannot "
        "be reopened. To ask again, send a new request."
    ) % {"reference": req.reference}


@require_POST
def request_withdraw(request: HttpRequest, uuid: UUID) -> HttpResponse:
    refuse_staff(request)
    req = requester_request_or_404(request, uuid)
    if request.POST.get("step") == "review" and req.is_open:
        # Without JavaScript the form asks here; with it, the page's dialog asked already.
        context = {
            "statement": _withdraw_statement(req),
            "carried": [],
            "action_url": request.path,
            "back_url": req.get_absolute_url(),
            "yes_label": _("Yes, withdraw it"),
        }
        return render(request, "licensing/confirm_action.html", context)
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
