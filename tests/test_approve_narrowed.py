"""The approve form may narrow the scope asked (territory, duration, extent, words, images,
edits), never widen it; the requester's page, emails, invoice line and licence say what
was granted."""

import json
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.test import Client
from django.utils import timezone

from billing.pdf import render_invoice_pdf
from licensing.models import Licence, RepublicationRequest, Scope
from tests.e2e.helpers import pdf_text
from tests.factories import email_html, make_price_rule, make_request

APPROVE = {"fee": "250.00", "currency": "GBP", "validity_days": "30"}


def approve(client: Client, req: RepublicationRequest, **scope: str):
    return client.post(f"/staff/requests/{req.pk}/approve/", {**APPROVE, **scope})


def test_the_approve_form_is_prefilled_with_what_was_asked(
    reviewer_client: Client, article
) -> None:
    req = make_request(
        article,
        territory="europe",
        extent="excerpt",
        word_count="200",
        include_images="",
        edits="Headline shortened.",
        duration="6m",
    )
    html = reviewer_client.get(f"/staff/requests/{req.pk}/").content.decode()
    form = html.split(f'action="/staff/requests/{req.pk}/approve/"')[1].split("</form>")[0]
    assert '<option value="europe" selected>' in form
    # Only what is not wider than asked is offered.
    assert 'value="worldwide"' not in form and 'value="mena"' not in form
    assert "United Kingdom only" in form
    assert '<option value="6m" selected>' in form and 'value="1y"' not in form
    assert 'value="full"' not in form
    assert 'name="word_count" value="200"' in form
    assert 'name="include_images" value="true"' not in form
    assert "Headline shortened." in form
    assert "Price the scope granted" in form


def test_approving_as_asked_grants_what_was_asked(reviewer_client: Client, submitted) -> None:
    approve(reviewer_client, submitted)
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"
    assert submitted.scope() == submitted.asked_scope
    assert submitted.scope_changes() == []
    assert submitted.granted_territory == "worldwide"


def test_a_narrower_scope_is_stored_beside_what_was_asked(
    reviewer_client: Client, submitted, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = approve(
            reviewer_client,
            submitted,
            territory="country",
            duration="3m",
            extent="excerpt",
            word_count="120",
            include_images="false",
            edits="",
        )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.asked_scope == Scope("worldwide", "1y", "full", None, True, "")
    assert submitted.scope() == Scope("country", "3m", "excerpt", 120, False, "")
    note = submitted.status_changes.last().note
    assert note.startswith("Approved at 250.00 GBP (net of VAT). Scope narrowed: Territory:")
    assert "Territory: Worldwide → United Kingdom only" in note
    # The invoice line names the scope granted.
    line = submitted.invoice.lines.get().description
    assert line == (
        f"Licence to republish “{submitted.article.title}” ({submitted.reference}): "
        "Website or app, United Kingdom only, Excerpt, up to 120 words, text only, 3 months"
    )
    assert "United Kingdom only" in pdf_text(render_invoice_pdf(submitted.invoice))
    # The approval email says what differs from what was asked.
    [to_requester] = [m for m in mail.outbox if m.to == [submitted.email]]
    assert "We granted less than you asked for:" in to_requester.body
    assert "- Territory: you asked for Worldwide; granted: United Kingdom only" in to_requester.body
    assert "- Duration: you asked for 1 year; granted: 3 months" in to_requester.body
    assert "- Extent: you asked for Full text; granted: Excerpt, up to 120 words" in (
        to_requester.body
    )
    assert "- Images: you asked for Yes, with the article's images; granted: No, text only" in (
        to_requester.body
    )
    assert "<li>Duration: you asked for 1 year; granted: 3 months</li>" in email_html(to_requester)


def test_the_requester_sees_asked_and_granted(
    reviewer_client: Client, requester: Client, submitted
) -> None:
    approve(reviewer_client, submitted, territory="europe", duration="6m")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "What we granted" in html
    assert "Territory: you asked for Worldwide; granted: Europe" in html
    assert "Duration: you asked for 1 year; granted: 6 months" in html
    # What was asked is still shown as asked.
    assert "What you asked for" in html
    staff = reviewer_client.get(f"/staff/requests/{submitted.pk}/").content.decode()
    assert "Granted (narrowed)" in staff and "<strong>Europe</strong>" in staff


def test_the_licence_grants_what_was_approved(
    reviewer_client: Client, submitted, client: Client, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(
            reviewer_client,
            submitted,
            fee="0",
            territory="country",
            duration="1m",
            include_images="false",
        )
    submitted.refresh_from_db()
    licence = submitted.licence
    assert (licence.territory, licence.include_images) == ("country", False)
    start = max(submitted.start_date, timezone.localdate())
    assert licence.end_date == start + relativedelta(months=1) - timedelta(days=1)
    text = pdf_text(licence.pdf_bytes())
    assert "Territory United Kingdom only" in text
    assert "Images No" in text
    verify = client.get(f"/verify/{licence.number}/").content.decode()
    assert "United Kingdom only" in verify and "No, text only" in verify
    policy = json.loads(client.get(f"/verify/{licence.number}.json").content)
    constraints = policy["permission"][0]["constraint"]
    assert {
        "leftOperand": "spatial",
        "operator": "eq",
        "rightOperand": "GB",
        "dct:description": "United Kingdom only",
    } in constraints
    assert any(
        c["leftOperand"] == "dateTime"
        and c["operator"] == "lteq"
        and c["rightOperand"]["@value"] == licence.end_date.isoformat()
        for c in constraints
    )
    # Free: the licence email (no quote) says what differs.
    [licence_email] = [m for m in mail.outbox if m.to == [submitted.email]]
    assert "granted: United Kingdom only" in licence_email.body


@pytest.mark.parametrize(
    ("asked", "posted", "field", "error"),
    [
        (
            {"territory": "europe"},
            {"territory": "worldwide"},
            "territory",
            "Wider than asked (Europe)",
        ),
        ({"territory": "europe"}, {"territory": "mena"}, "territory", "Wider than asked (Europe)"),
        ({"territory": "country"}, {"territory": "europe"}, "territory", "Wider than asked"),
        ({"duration": "6m"}, {"duration": "1y"}, "duration", "Longer than asked (6 months)"),
        ({"duration": "2y"}, {"duration": "perpetual"}, "duration", "Longer than asked (2 years)"),
        (
            {"extent": "excerpt", "word_count": "200"},
            {"extent": "full", "word_count": ""},
            "extent",
            "Only an excerpt was asked for",
        ),
        (
            {"extent": "excerpt", "word_count": "200"},
            {"word_count": "201"},
            "word_count",
            "More words than asked (200)",
        ),
        ({}, {"extent": "excerpt", "word_count": ""}, "word_count", "Say how many words"),
        (
            {},
            {"extent": "excerpt", "word_count": "272"},
            "word_count",
            "An excerpt must be shorter than the article (272 words).",
        ),
        (
            {"include_images": ""},
            {"include_images": "true"},
            "include_images",
            "The requester did not ask for the images.",
        ),
        (
            {},
            {"edits": "Translate into German."},
            "edits",
            "The requester asked for no edits: leave this empty.",
        ),
        ({}, {"territory": "atlantis"}, "territory", "Select a valid choice."),
        (
            {},
            {"word_count": "-3", "extent": "excerpt"},
            "word_count",
            "Ensure this value is greater than or equal to 1.",
        ),
    ],
)
def test_a_wider_scope_is_refused_with_a_field_error(
    reviewer_client: Client, article, asked, posted, field, error
) -> None:
    req = make_request(article, **asked)
    response = approve(reviewer_client, req, **posted)
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert f'id="error_1_id_{field}"' in html or f"id_{field}" in html
    req.refresh_from_db()
    assert req.status == "submitted"
    assert not req.scope_granted
    assert req.invoice is None


def test_the_model_refuses_a_wider_scope_too(submitted, reviewer) -> None:
    wider = Scope("worldwide", "perpetual", "full", None, True, "")
    with pytest.raises(ValueError, match="wider than asked"):
        submitted.approve(
            actor=reviewer, fee_minor=0, currency="GBP", validity_days=30, scope=wider
        )
    submitted.refresh_from_db()
    assert (submitted.status, submitted.scope_granted) == ("submitted", False)
    assert not Licence.objects.exists()


def test_the_rate_card_prices_the_scope_granted(reviewer_client: Client, article) -> None:
    make_price_rule(name="Any", fee_minor=30000)
    make_price_rule(name="Excerpts", extent="excerpt", fee_minor=8000)
    req = make_request(article)
    assert req.suggested_fee_minor == 30000
    response = reviewer_client.post(
        f"/staff/requests/{req.pk}/approve/",
        {
            **APPROVE,
            "fee": "300.00",
            "extent": "excerpt",
            "word_count": "100",
            "reprice": "1",
            "step": "review",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rate card for the scope granted: 80.00 GBP." in html
    assert 'name="fee" value="80.00"' in html
    # The form keeps the narrowing typed; nothing is approved yet.
    assert 'name="word_count" value="100"' in html
    req.refresh_from_db()
    assert req.status == "submitted"


def test_the_confirmation_page_says_what_is_narrowed(reviewer_client: Client, submitted) -> None:
    response = reviewer_client.post(
        f"/staff/requests/{submitted.pk}/approve/",
        {**APPROVE, "territory": "europe", "step": "review"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The licence grants less than asked: Territory Worldwide → Europe." in html
    assert '<input type="hidden" name="territory" value="europe">' in html
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_auto_approval_grants_what_was_asked(article) -> None:
    from tests.factories import make_auto_approval_rule

    make_auto_approval_rule(name="NGOs", outlet_type="ngo", fee_minor=0)
    req = make_request(article, outlet_type="ngo", territory="europe")
    assert req.status == "licensed"
    assert req.scope() == req.asked_scope
    assert req.licence.territory == "europe"
