"""Plain functions that build test data with sensible defaults."""

from datetime import timedelta
from itertools import count
from typing import Any

from django.utils import timezone

from licensing.models import Article, AutoApprovalRule, PriceRule, RepublicationRequest

_numbers = count(1)


def make_article(**overrides: Any) -> Article:
    n = next(_numbers)
    values: dict[str, Any] = {
        "title": f"Test article {n}",
        "slug": f"test-article-{n}",
        "standfirst": "A standfirst for testing.",
        "author": "Test Author",
        "published_at": timezone.now() - timedelta(days=n),
        "canonical_url": f"https://news.example.org/articles/test-{n}",
        "section": "News",
        "language": "en",
        "word_count": 800,
        "has_images": True,
    }
    values.update(overrides)
    article = Article(**values)
    article.full_clean()
    article.save()
    return article


def request_form_data(**overrides: Any) -> dict[str, Any]:
    """A valid POST body for the request form, with the contract field names."""
    data: dict[str, Any] = {
        "contact_name": "Amira Haddad",
        "email": "amira@outlet.example",
        "outlet_name": "The Daily Example",
        "outlet_website": "https://daily.example",
        "outlet_type": "newspaper",
        "country": "GB",
        "audience_size": "250000",
        "vat_number": "",
        "outlet_address": "1 Example Road\nManchester M1 1AA",
        "purchase_order": "",
        "media": "online",
        "language": "en",
        "territory": "worldwide",
        "start_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "duration": "1y",
        "extent": "full",
        "word_count": "",
        "include_images": "on",
        "edits": "",
        "notes": "",
        "accept_terms": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_request(
    article: Article, *, confirmed: bool = True, **overrides: Any
) -> RepublicationRequest:
    """A request stored through the same domain method the form uses, and (unless
    `confirmed=False`) confirmed by its requester's emailed link: submitted."""
    from licensing.forms import RepublicationRequestForm

    form = RepublicationRequestForm(request_form_data(**overrides), article=article)
    assert form.is_valid(), form.errors
    req = RepublicationRequest.submit(article=article, details=form.request_details())
    if confirmed:
        req.confirm()
        req.refresh_from_db()
    return req


def follow_request_link(client: Any, req: RepublicationRequest) -> Any:
    """Open, in `client`, the signed link every email about `req` carries.

    For an unconfirmed request this is the acknowledgement's confirmation:
    it confirms, signs the browser in as the requester and shows the page.
    """
    from django.conf import settings

    from licensing.links import request_link

    return client.get(request_link(req).removeprefix(settings.PORTAL_BASE_URL), follow=True)


def submit_and_confirm(client: Any, article: Article, **overrides: Any) -> RepublicationRequest:
    """Send the form in `client`, then confirm by the emailed link in the same browser."""
    client.post(article.get_republish_url(), request_form_data(**overrides))
    req = RepublicationRequest.objects.latest("id")
    follow_request_link(client, req)
    req.refresh_from_db()
    return req


def make_price_rule(**overrides: Any) -> PriceRule:
    """An active rate-card line; no conditions (matches anything) unless given."""
    values: dict[str, Any] = {"name": "Rule", "fee_minor": 25000, "currency": "GBP"}
    values.update(overrides)
    rule = PriceRule(**values)
    rule.full_clean()
    rule.save()
    return rule


def make_auto_approval_rule(**overrides: Any) -> AutoApprovalRule:
    values: dict[str, Any] = {"name": "Auto", "fee_minor": 0, "currency": "GBP"}
    values.update(overrides)
    rule = AutoApprovalRule(**values)
    rule.full_clean()
    rule.save()
    return rule


def make_request_in(
    article: Article, status: str, *, actor: Any, **overrides: Any
) -> RepublicationRequest:
    """A request brought to `status` through its transitions."""
    req = make_request(article, **overrides)
    if status == "info_requested":
        req.ask_for_information(actor=actor, message="Which edition?")
    elif status in {"awaiting_payment", "expired"}:
        req.approve(actor=actor, fee_minor=10000, currency="GBP", validity_days=30)
        if status == "expired":
            req.expire()
    elif status in {"licensed", "revoked"}:
        req.approve(actor=actor, fee_minor=0, currency="GBP", validity_days=30)
        if status == "revoked":
            req.revoke(actor=actor, reason="Published against the terms.")
    elif status == "declined":
        req.decline(actor=actor, reason="Not for this outlet.")
    elif status == "withdrawn":
        req.withdraw()
    else:
        assert status == "submitted", status
    req.refresh_from_db()
    return req


def make_invoice(
    *,
    amount_minor: int = 25000,
    currency: str = "GBP",
    country: str = "GB",
    vat_number: str = "",
    name: str = "The Daily Example",
    reference: str = "RR-2026-00001",
    description: str = "Licence to republish “Test article” (RR-2026-00001)",
) -> Any:
    """An invoice issued by billing on its own (no request), 250.00 GBP net to a UK buyer."""
    from billing.models import Buyer, Invoice

    return Invoice.issue(
        reference=reference,
        description=description,
        buyer=Buyer(
            name=name,
            contact="Amira Haddad",
            email="amira@outlet.example",
            country=country,
            vat_number=vat_number,
            address="1 Example Road\nManchester M1 1AA",
        ),
        amount_minor=amount_minor,
        currency=currency,
        due_on=timezone.localdate() + timedelta(days=30),
    )


def approved_request(
    article: Article,
    *,
    actor: Any = None,
    fee_minor: int = 25000,
    currency: str = "GBP",
    validity_days: int = 30,
    **overrides: Any,
) -> RepublicationRequest:
    """A request approved at a fee (awaiting payment, invoice issued); 250.00 GBP by default."""
    req = make_request(article, **overrides)
    req.approve(actor=actor, fee_minor=fee_minor, currency=currency, validity_days=validity_days)
    req.refresh_from_db()
    return req


def pay_by_transfer(req: RepublicationRequest) -> None:
    """The invoice paid in full by bank transfer (reference BANK-1); the request as now stored.

    Licensing follows on commit: call inside
    django_capture_on_commit_callbacks(execute=True) to have the licence.
    """
    assert req.invoice is not None
    req.invoice.record_payment(
        method="bank_transfer",
        amount_minor=req.invoice.total_minor,
        currency=req.invoice.currency,
        received_on=timezone.localdate(),
        provider_reference="BANK-1",
    )


def email_html(message: Any) -> str:
    """The HTML alternative of a sent email, as its reader's mail program shows it."""
    return next(str(body) for body, mimetype in message.alternatives if mimetype == "text/html")


def make_licence_holder(
    article: Article, *, actor: Any, ui_language: str = "en", **overrides: Any
) -> RepublicationRequest:
    """A request licensed free of charge, its requester reading the site (and so their
    emails) in `ui_language`; `overrides` are request form fields."""
    req = make_request_in(article, "licensed", actor=actor, **overrides)
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language=ui_language)
    req.refresh_from_db()
    return req
