"""A quote cancelled by the desk, followed from the requester's email in a fresh browser:
the page says the desk cancelled it and why, and the part-payment to refund; the credit
note downloads as a real PDF; another requester's browser is told the request does not
exist. A quote closed by a takedown reads the same, in the requester's language."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer
from pytest_playwright.pytest_playwright import CreateContextCallback

from licensing.models import Article, ArticleNotice, RepublicationRequest
from licensing.notices import TAKEDOWN_CLOSING_NOTE
from tests.e2e.helpers import (
    EMAILED_REQUEST_LINK,
    REQUEST_URL,
    check_accessibility,
    download,
    emailed_request_link,
    pdf_text,
    sign_in_staff,
)
from tests.factories import approved_request, make_request

pytestmark = pytest.mark.e2e

REASON = "A duplicate of an earlier request, which we approved."


def cancellation_link(
    req: RepublicationRequest, subject: str = "Your request {} was cancelled"
) -> str:
    """The link in the one cancellation email to the requester, as a path on the live server."""
    sent = [m for m in mail.outbox if m.subject == subject.format(req.reference)]
    assert [m.to for m in sent] == [[req.email]]
    assert len([m for m in mail.outbox if m.to == [req.email]]) == 1
    match = EMAILED_REQUEST_LINK.search(sent[0].body)
    assert match, sent[0].body
    return match.group(1)


def test_a_quote_cancelled_at_the_desk_seen_from_its_email(
    site: LiveServer,
    page: Page,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
    console_errors: list[str],
) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB", vat_number="")
    invoice_number = req.invoice.number
    # 50.00 GBP of the 180.00 GBP due arrived by transfer before the desk cancelled.
    req.invoice.record_payment(
        method="bank_transfer",
        amount_minor=5000,
        currency="GBP",
        received_on=timezone.localdate(),
    )
    stranger = make_request(article, email="someone@elsewhere.example")
    stranger_link = emailed_request_link(stranger.email)
    mail.outbox.clear()

    # The reviewer cancels the quote from the desk, after "Are you sure?".
    sign_in_staff(page, "reviewer", "pw-for-tests", next_url=f"/staff/requests/{req.pk}/")
    page.get_by_label("Reason (sent to the requester)").fill(REASON)
    page.get_by_role("button", name="Cancel request").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"voids invoice {invoice_number} with a numbered credit note")
    expect(dialog).to_contain_text(f"and emails {req.outlet_name} <{req.email}>")
    dialog.get_by_role("button", name="Yes, cancel the request").click()
    expect(page.locator("#request-status")).to_have_text("Withdrawn")

    (email,) = [m for m in mail.outbox if m.to == [req.email]]
    assert REASON in email.body
    assert "We received 50.00 GBP towards it: we will refund it to you." in email.body

    # The requester opens the emailed link in a browser that has never seen the portal.
    requester = new_context().new_page()
    requester.goto(cancellation_link(req))
    expect(requester).to_have_url(REQUEST_URL)
    expect(requester.locator("#request-status")).to_have_text("Withdrawn")
    expect(requester.get_by_role("status")).to_contain_text("Our desk cancelled this request.")
    expect(requester.get_by_role("status")).not_to_contain_text("You withdrew")
    expect(requester.locator("#cancellation")).to_contain_text(REASON)
    expect(requester.locator("#invoice-status")).to_have_text("Cancelled")
    expect(requester.locator("#refund")).to_have_text(
        "We received 50.00 GBP towards it: we will refund it to you."
    )
    expect(requester.get_by_role("button", name="Pay by card")).to_have_count(0)
    expect(requester.locator("#bank-details")).to_have_count(0)
    check_accessibility(requester)

    # The credit note that cancels the invoice is a real PDF naming both.
    credit_note = req.invoice.credit_notes.get()
    name, pdf = download(requester, f"Credit note {credit_note.number} (PDF)")
    assert name.endswith(".pdf")
    text = pdf_text(pdf)
    assert credit_note.number in text
    assert invoice_number in text

    # Another requester, signed in through their own link, is told it does not exist.
    other = new_context().new_page()
    other.goto(stranger_link)
    expect(other).to_have_url(re.compile(re.escape(f"/requests/{stranger.uuid}/") + "$"))
    response = other.goto(f"/requests/{req.uuid}/")
    assert response is not None and response.status == 404
    expect(other.get_by_text(REASON)).to_have_count(0)
    response = other.goto(f"/billing/credit-notes/{credit_note.uuid}/pdf")
    assert response is not None and response.status == 404


def test_a_quote_closed_by_a_takedown_seen_from_its_email(
    site: LiveServer,
    new_context: CreateContextCallback,
    article: Article,
    reviewer: User,
) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=15000, country="FR")
    RepublicationRequest.objects.filter(pk=req.pk).update(ui_language="fr")
    mail.outbox.clear()
    ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")

    # The French requester's email, then their page in a French browser.
    link = cancellation_link(req, subject="Votre demande {} a été annulée")
    requester = new_context(locale="fr-FR").new_page()
    requester.goto(link)
    expect(requester.locator("#request-status")).to_have_text("Retirée")
    expect(requester.get_by_role("status")).to_contain_text("Notre équipe a annulé cette demande.")
    expect(requester.locator("#cancellation")).to_contain_text(
        "L’éditeur a retiré cet article de la republication."  # noqa: RUF001
    )
    expect(requester.locator("#cancellation")).not_to_contain_text(TAKEDOWN_CLOSING_NOTE)
    expect(requester.locator("#invoice-status")).to_have_text("Annulée")
    check_accessibility(requester)
