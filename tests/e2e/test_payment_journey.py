"""From approval to a verifiable licence, in real browsers.

Three ways to a licence: paying by card through the local Stripe stub (its
payment page sends the browser back, then Stripe's signed webhook records the
payment), a bank transfer recorded by finance on the invoice page, and a
free licence granted at once by an auto-approval rule. Each time the
requester downloads the documents and a stranger's browser verifies the
licence.
"""

import re
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from billing.models import Invoice, Payment
from licensing.models import Article, Licence, PriceRule, RepublicationRequest
from tests.e2e.helpers import (
    REQUEST_URL,
    confirm_by_email,
    download,
    expect_request_form,
    fill_request_form,
    pdf_text,
    send,
    sign_in_staff,
)
from tests.factories import make_auto_approval_rule
from tests.stripe_stub import StripeStub, sign

pytestmark = pytest.mark.e2e

SNIPPET_LABEL = "Publish-ready attribution"


@pytest.fixture
def card_payments(site: LiveServer, stripe_stub: StripeStub, settings) -> StripeStub:
    """Stripe keys set, the library pointed at the stub, Stripe sending buyers back here."""
    settings.PORTAL_BASE_URL = site.url
    # The stub's payment page stands in for Stripe Checkout's: a Content-Security-Policy
    # form-action naming Stripe's origin must let the browser follow "Pay by card" there.
    policy = getattr(settings, "SECURE_CSP", None)
    if policy and "form-action" in policy:
        settings.SECURE_CSP = {**policy, "form-action": [*policy["form-action"], stripe_stub.url]}
    return stripe_stub


def request_from_the_article_page(page: Page, article: Article, **overrides: str) -> str:
    """The requester's browser: article page, the form, the estimate, sent. Returns the estimate."""
    page.goto(article.get_absolute_url())
    page.get_by_role("link", name="Republish this article").click()
    expect_request_form(page, article)
    fill_request_form(page, **overrides)
    estimate = page.locator("#estimate").inner_text()
    send(page)
    expect(page).to_have_url(REQUEST_URL)
    confirm_by_email(page, overrides.get("email", "amira@outlet.example"))
    return estimate


def post_webhook(site: LiveServer, payload: str) -> tuple[int, str]:
    """Stripe's side: the event, signed with the endpoint's secret, posted to the portal."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// address)
        f"{site.url}/billing/stripe/webhook/",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read().decode()


def expect_verified_by_a_stranger(
    new_context: CreateContextCallback, licence: Licence, licensee: str
) -> None:
    """Anyone, with no session at all, sees the licence on its public page: it starts in a week."""
    public = new_context().new_page()
    public.goto(f"/verify/{licence.number}/")
    expect(public.get_by_role("heading", level=1)).to_have_text(licence.number)
    start = licence.start_date
    assert start == timezone.localdate() + timedelta(days=7)
    expect(public.locator("#licence-status")).to_have_text(
        f"Not yet valid: from {start.day} {start:%B %Y}"
    )
    expect(public.get_by_role("status")).to_contain_text(
        f"{licensee} holds a licence to republish this article within the scope below from"
    )


def download_licence(page: Page, licence: Licence) -> str:
    name, pdf = download(page, "Download the licence (PDF)")
    assert name == f"{licence.number}.pdf"
    text = pdf_text(pdf)
    assert licence.number in text
    return text


def test_requester_pays_by_card_and_gets_a_verifiable_licence(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
    card_payments: StripeStub,
    console_errors: list[str],
) -> None:
    PriceRule.objects.create(name="Newspapers", outlet_type="newspaper", fee_minor=18000)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    estimate = request_from_the_article_page(page, article, country="United Kingdom", vat_number="")
    assert "180.00 GBP" in estimate
    expect(page.locator("#request-status")).to_have_text("Submitted")
    request_page = page.url
    req = RepublicationRequest.objects.get()
    # The desk approves at the suggested fee (test_review_journey does it in the browser).
    req.approve(actor=reviewer, fee_minor=18000, currency="GBP", validity_days=30)
    invoice = Invoice.objects.get()

    page.reload()
    expect(page.locator("#request-status")).to_have_text("Awaiting payment")
    expect(page.locator("#invoice-total")).to_have_text("216.00 GBP")
    name, pdf = download(page, "Download the invoice (PDF)")
    assert name == f"{invoice.number}.pdf"
    text = pdf_text(pdf)
    assert f"INVOICE {invoice.number}" in text.upper()
    assert req.reference in text
    assert "Total (GBP) 216.00 GBP" in text

    # Off to the card processor's page, which takes the card and sends the browser back.
    page.get_by_role("button", name="Pay by card").click()
    expect(page).to_have_url(re.compile(r"/pay/cs_test_\w+$"))
    expect(page.locator("#invoice")).to_have_text(invoice.number)
    page.get_by_role("button", name="Pay 216.00 GBP").click()
    expect(page).to_have_url(request_page + "?checkout=success")
    # The way back proves nothing: the page waits for Stripe's word.
    expect(page.locator("#payment-processing")).to_be_visible()
    expect(page.locator("#request-status")).to_have_text("Awaiting payment")

    [session] = card_payments.sessions.values()
    assert session["payment_status"] == "paid"
    assert post_webhook(site, card_payments.completed_event(session["id"]))[0] == 200
    payment = Payment.objects.get()
    assert (payment.method, payment.amount_minor, payment.provider_reference) == (
        "stripe",
        21600,
        session["id"],
    )

    page.goto(request_page)
    expect(page.locator("#request-status")).to_have_text("Licensed")
    expect(page.locator("#invoice-status")).to_have_text("Paid")
    expect(page.get_by_role("button", name="Pay by card")).to_have_count(0)
    licence = Licence.objects.get()
    expect(page.get_by_role("heading", name=f"Licence {licence.number}")).to_be_visible()
    text = download_licence(page, licence)
    assert invoice.number in text  # every document names the others

    # The snippet goes to the clipboard with one click.
    snippet = page.get_by_label(SNIPPET_LABEL).input_value()
    # In French, the language the outlet publishes in.
    assert f"republié sous la licence {licence.number}" in snippet
    assert licence.article_url in snippet
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == snippet

    expect_verified_by_a_stranger(new_context, licence, "The Daily Example")


def test_free_auto_approved_request_is_licensed_at_once(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    console_errors: list[str],
) -> None:
    make_auto_approval_rule(
        name="Small NGO excerpt", outlet_type="ngo", extent="excerpt", max_audience=10_000
    )
    request_from_the_article_page(
        page,
        article,
        outlet_name="Friends of the Archive",
        outlet_type="NGO or charity",
        audience_size="4000",
        extent="Excerpt",
        word_count="150",
    )

    expect(page.locator("#request-status")).to_have_text("Licensed")
    expect(page.get_by_role("heading", name="Your quote")).to_be_visible()
    expect(page.get_by_text("No fee: this use is licensed free of charge.")).to_be_visible()
    expect(page.get_by_role("button", name="Pay by card")).to_have_count(0)
    expect(page.locator("#invoice")).to_have_count(0)
    assert Invoice.objects.count() == 0
    licence = Licence.objects.get()
    expect(page.get_by_role("heading", name=f"Licence {licence.number}")).to_be_visible()
    download_licence(page, licence)
    expect(page.get_by_label(SNIPPET_LABEL)).to_have_value(
        re.compile(f"sous la licence {licence.number}")
    )

    expect_verified_by_a_stranger(new_context, licence, "Friends of the Archive")


def test_finance_records_a_bank_transfer_and_the_requester_is_licensed(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
    finance: User,
    console_errors: list[str],
) -> None:
    request_from_the_article_page(page, article, country="United Kingdom", vat_number="")
    request_page = page.url
    req = RepublicationRequest.objects.get()
    req.approve(actor=reviewer, fee_minor=18000, currency="GBP", validity_days=30)
    invoice = Invoice.objects.get()
    page.reload()
    expect(page.locator("#bank-details")).to_contain_text(invoice.number)

    # Finance sees the money arrive on the statement and records it against the invoice.
    desk = new_context().new_page()
    sign_in_staff(desk, "finance", "pw-for-tests", next_url="/staff/invoices/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Invoices")
    desk.get_by_role("link", name=invoice.number).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"Invoice {invoice.number}")
    expect(desk.locator("#amount-due")).to_have_text("216.00 GBP")
    received_on = timezone.localdate() - timedelta(days=1)
    desk.get_by_label("Amount received (GBP)").fill("216.00")
    desk.get_by_label("Received on").fill(received_on.isoformat())
    desk.get_by_label("Bank reference").fill(f"BACS {invoice.number} DAILY EXAMPLE")
    desk.get_by_role("button", name="Record transfer").click()
    expect(desk.locator("#invoice-status")).to_have_text("Paid")
    expect(desk.locator("#paid-in-full")).to_be_visible()
    expect(desk.locator("#payments")).to_contain_text(f"BACS {invoice.number} DAILY EXAMPLE")
    payment = Payment.objects.get()
    assert (payment.method, payment.amount_minor, payment.received_on, payment.recorded_by) == (
        "bank_transfer",
        21600,
        received_on,
        finance,
    )

    page.goto(request_page)
    expect(page.locator("#request-status")).to_have_text("Licensed")
    expect(page.locator("#invoice-status")).to_have_text("Paid")
    licence = Licence.objects.get()
    download_licence(page, licence)
    expect_verified_by_a_stranger(new_context, licence, "The Daily Example")
