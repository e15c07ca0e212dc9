"""/staff/requests/<id>/ and its actions: what reviewers see and what each decision does."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from billing.models import Invoice
from licensing.models import Message, RepublicationRequest, StatusChange
from tests.factories import make_article, make_price_rule, make_request, make_request_in


def page(client: Client, req: RepublicationRequest) -> str:
    response = client.get(f"/staff/requests/{req.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def act(client: Client, req: RepublicationRequest, action: str, data: dict, **kwargs):
    """POST an action; emails queued for after the commit go out as in production."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(f"/staff/requests/{req.pk}/{action}/", data, **kwargs)


def buttons(html: str) -> set[str]:
    return {" ".join(b.split()) for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)}


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(req: RepublicationRequest) -> tuple:
    """Everything an action may change, to show that a refused one changed nothing."""
    req.refresh_from_db()
    return (
        req.status,
        req.waiting_on,
        req.assignee_id,
        req.fee_minor,
        req.decline_reason,
        StatusChange.objects.filter(request=req).count(),
        Message.objects.filter(request=req).count(),
        Invoice.objects.count(),
        len(mail.outbox),
    )


# --- The page --------------------------------------------------------------


def test_page_shows_everything_the_requester_sent(reviewer_client: Client, article) -> None:
    req = make_request(
        article,
        contact_name="Amira Haddad",
        outlet_name="Sahel Weekly",
        outlet_website="https://sahel-weekly.example",
        outlet_type="ngo",
        country="FR",
        audience_size="12345",
        media="print",
        language="fr",
        territory="africa",
        duration="6m",
        extent="excerpt",
        word_count="150",
        edits="Translate into French; cut the last paragraph.",
        notes="We print on Thursdays.",
    )
    html = page(reviewer_client, req)
    for shown in [
        req.reference,
        article.title,
        "Amira Haddad",
        "amira@outlet.example",
        "Sahel Weekly",
        "https://sahel-weekly.example",
        "NGO or charity",
        "France",
        "12,345",
        "Print",
        "French",
        "Sub-Saharan Africa",
        req.start_date.strftime("%-d %b %Y"),
        "6 months",
        "Excerpt (150 words)",
        "Translate into French; cut the last paragraph.",
        "We print on Thursdays.",
        "No rate card rule matches",
    ]:
        assert shown in html, shown


def test_page_lists_earlier_requests_from_the_same_email(reviewer_client: Client, article) -> None:
    earlier = make_request(make_article(title="Older piece"))
    stranger = make_request(article, email="someone@else.example")
    req = make_request(article)
    html = page(reviewer_client, req)
    section = html.split('id="earlier-h"', 1)[1]
    assert earlier.reference in section
    assert "Older piece" in section
    assert stranger.reference not in section
    # The first request has no earlier one, even though a later one exists.
    section = page(reviewer_client, earlier).split('id="earlier-h"', 1)[1]
    assert "None: this is their first request." in section
    assert req.reference not in section


def test_page_shows_thread_with_internal_notes_and_history(
    reviewer_client: Client, reviewer, submitted
) -> None:
    submitted.add_internal_note(actor=reviewer, body="Check the outlet's reputation first.")
    submitted.ask_for_information(actor=reviewer, message="Which edition will carry it?")
    submitted.reply(body="The Saturday edition.")
    html = page(reviewer_client, submitted)
    thread = html.split('id="thread-h"', 1)[1].split('id="history-h"', 1)[0]
    assert "Internal note" in thread
    assert "Check the outlet&#x27;s reputation first." in thread
    assert "Which edition will carry it?" in thread
    assert "The Saturday edition." in thread
    history = html.split('id="history-h"', 1)[1].split('id="earlier-h"', 1)[0]
    assert "New → Unconfirmed" in history
    assert "Unconfirmed → Submitted" in history
    assert "Submitted → Information requested</strong> · reviewer" in history
    assert "Information requested → Submitted</strong> · requester or system" in history


def test_submitted_request_offers_every_decision(reviewer_client: Client, submitted) -> None:
    html = page(reviewer_client, submitted)
    assert {"Approve", "Decline", "Ask for information", "Assign to me"} <= buttons(html)
    for name in ["fee", "validity_days"]:
        assert re.search(rf'<input [^>]*name="{name}"', html), name
    for name in ["reason", "message", "body"]:
        assert f'<textarea name="{name}"' in html, name
    assert '<select name="currency"' in html
    assert '<label\n                for="id_fee" class="form-label requiredField">\n' in html
    assert re.search(r'for="id_fee"[^>]*>\s*Fee<', html)
    assert re.search(r'for="id_currency"[^>]*>\s*Currency<', html)
    # The contract names, not prefixed ones.
    assert 'name="approve-' not in html
    assert 'name="decline-' not in html


def test_info_requested_can_only_be_declined(reviewer_client: Client, reviewer, article) -> None:
    req = make_request_in(article, "info_requested", actor=reviewer)
    shown = buttons(page(reviewer_client, req))
    assert "Decline" in shown
    assert "Approve" not in shown
    assert "Ask for information" not in shown


@pytest.mark.parametrize(
    "status", ["awaiting_payment", "licensed", "declined", "withdrawn", "expired", "revoked"]
)
def test_closed_or_decided_request_offers_no_decision(
    reviewer_client: Client, reviewer, article, status: str
) -> None:
    req = make_request_in(article, status, actor=reviewer)
    html = page(reviewer_client, req)
    assert not {"Approve", "Decline", "Ask for information"} & buttons(html)
    assert 'name="fee"' not in html
    # What is left: cancelling an unpaid quote, revoking a licence, or nothing.
    follow_up = {"awaiting_payment": "Cancel request", "licensed": "Revoke licence"}.get(status)
    if follow_up:
        assert follow_up in buttons(html)
    else:
        assert "No decision is possible" in html


def test_approve_is_prefilled_with_the_rate_card_suggestion(
    reviewer_client: Client, article
) -> None:
    make_price_rule(name="Print in euros", media="print", fee_minor=12550, currency="EUR")
    req = make_request(article, media="print")
    html = page(reviewer_client, req)
    assert input_value(html, "fee") == "125.50"
    assert '<option value="EUR" selected>EUR</option>' in html
    assert input_value(html, "validity_days") == "30"
    assert "125.50 EUR" in html


def test_approve_without_suggestion_leaves_fee_empty(reviewer_client: Client, submitted) -> None:
    html = page(reviewer_client, submitted)
    assert input_value(html, "fee") is None
    assert '<option value="GBP" selected>GBP</option>' in html


# --- Decisions -------------------------------------------------------------


def test_approve_with_a_fee_asks_for_payment(
    reviewer_client: Client, reviewer, submitted, requester: Client
) -> None:
    mail.outbox.clear()
    response = act(
        reviewer_client,
        submitted,
        "approve",
        {"fee": "250.00", "currency": "GBP", "validity_days": "14"},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain == [(f"/staff/requests/{submitted.pk}/", 302)]
    assert f"Approved {submitted.reference}." in html
    assert ">Awaiting payment<" in html
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"
    assert submitted.waiting_on == "requester"
    assert (submitted.fee_minor, submitted.currency) == (25000, "GBP")
    valid_until = timezone.localdate() + timedelta(days=14)
    assert submitted.quote_valid_until == valid_until
    quote = Invoice.objects.get()
    assert (quote.reference, quote.net_minor, quote.currency, quote.due_on) == (
        submitted.reference,
        25000,
        "GBP",
        valid_until,
    )
    assert quote.buyer_email == "amira@outlet.example"
    change = submitted.status_changes.last()
    assert change is not None
    assert (change.from_status, change.to_status, change.actor) == (
        "submitted",
        "awaiting_payment",
        reviewer,
    )
    assert "250.00 GBP" in change.note
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert submitted.reference in email.subject or submitted.reference in email.body
    assert "250.00 GBP" in email.body
    assert ">Awaiting payment<" in requester.get(f"/requests/{submitted.uuid}/").content.decode()


def test_approve_with_zero_fee_licenses_deliberately(
    reviewer_client: Client, reviewer, submitted
) -> None:
    mail.outbox.clear()
    response = act(
        reviewer_client,
        submitted,
        "approve",
        {"fee": "0", "currency": "GBP", "validity_days": "30"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "licensed"
    assert submitted.waiting_on == "nobody"
    assert submitted.fee_minor == 0
    assert submitted.quote_valid_until is None
    assert Invoice.objects.count() == 0
    change = submitted.status_changes.last()
    assert change is not None
    assert (change.to_status, change.actor) == ("licensed", reviewer)
    assert "deliberately" in change.note
    assert "deliberately" in page(reviewer_client, submitted)
    # One email: the licence itself (a free approval needs no separate quote).
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert submitted.licence.number in email.subject
    assert email.attachments[0][0] == f"{submitted.licence.number}.pdf"


def test_decline_sends_the_reason(reviewer_client: Client, reviewer, submitted) -> None:
    mail.outbox.clear()
    reason = "We cannot license this article in that territory."
    response = act(reviewer_client, submitted, "decline", {"reason": reason}, follow=True)
    assert "the requester has been told why" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "declined"
    assert submitted.decline_reason == reason
    change = submitted.status_changes.last()
    assert change is not None
    assert (change.from_status, change.to_status, change.actor, change.note) == (
        "submitted",
        "declined",
        reviewer,
        reason,
    )
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert reason in email.body
    assert Invoice.objects.count() == 0


def test_decline_after_asking_for_information(reviewer_client: Client, reviewer, article) -> None:
    req = make_request_in(article, "info_requested", actor=reviewer)
    act(reviewer_client, req, "decline", {"reason": "No answer."})
    req.refresh_from_db()
    assert req.status == "declined"


def test_ask_for_information_reaches_the_requester(
    reviewer_client: Client, reviewer, submitted, requester: Client
) -> None:
    mail.outbox.clear()
    question = "Which edition will carry the article?"
    response = act(reviewer_client, submitted, "ask", {"message": question}, follow=True)
    assert "now waits on the requester" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "info_requested"
    assert submitted.waiting_on == "requester"
    change = submitted.status_changes.last()
    assert change is not None
    assert (change.to_status, change.actor, change.note) == ("info_requested", reviewer, question)
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert question in email.body
    requester_page = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert question in requester_page
    assert "Information requested" in requester_page


def test_assign_to_me(reviewer_client: Client, reviewer, submitted) -> None:
    response = act(reviewer_client, submitted, "assign", {"me": "1"}, follow=True)
    assert f"{submitted.reference} is assigned to you." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.assignee == reviewer
    assert "Assigned to reviewer" in page(reviewer_client, submitted)


def test_assign_to_another_reviewer_and_back_to_nobody(
    reviewer_client: Client, second_reviewer, submitted
) -> None:
    act(reviewer_client, submitted, "assign", {"assignee": str(second_reviewer.pk)})
    submitted.refresh_from_db()
    assert submitted.assignee == second_reviewer
    act(reviewer_client, submitted, "assign", {"assignee": ""})
    submitted.refresh_from_db()
    assert submitted.assignee is None
    assert submitted.status == "submitted"


def test_cannot_assign_to_a_non_reviewer(reviewer_client: Client, finance, submitted) -> None:
    before = snapshot(submitted)
    response = act(reviewer_client, submitted, "assign", {"assignee": str(finance.pk)})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert snapshot(submitted) == before


def test_internal_note_stays_internal(
    reviewer_client: Client, reviewer, submitted, requester: Client
) -> None:
    secret = "Internal: this outlet paid late last year."
    mail.outbox.clear()
    response = act(reviewer_client, submitted, "note", {"body": secret}, follow=True)
    assert "Internal note added." in response.content.decode()
    assert secret in page(reviewer_client, submitted)
    assert mail.outbox == []
    act(reviewer_client, submitted, "assign", {"me": "1"})
    act(reviewer_client, submitted, "ask", {"message": "Which edition?"})
    submitted.reply(body="Saturday.")
    act(
        reviewer_client,
        submitted,
        "approve",
        {"fee": "90", "currency": "GBP", "validity_days": "7"},
    )
    requester_page = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Which edition?" in requester_page
    assert secret not in requester_page
    assert "Assigned to" not in requester_page
    to_requester = [m for m in mail.outbox if m.to == ["amira@outlet.example"]]
    assert len(to_requester) == 2  # the question and the approval
    for message in to_requester:
        bodies = [message.body, *(str(content) for content, _type in message.alternatives)]
        assert not any(secret in body for body in bodies)


# --- Bad input ---------------------------------------------------------------

APPROVE_OK = {"fee": "250.00", "currency": "GBP", "validity_days": "30"}


@pytest.mark.parametrize(
    ("action", "data", "field", "error"),
    [
        ("approve", {**APPROVE_OK, "fee": "-1"}, "fee", "greater than or equal to 0"),
        ("approve", {**APPROVE_OK, "fee": "abc"}, "fee", "Enter a number."),
        ("approve", {**APPROVE_OK, "fee": "12.345"}, "fee", "no more than 2 decimal places"),
        ("approve", {**APPROVE_OK, "fee": ""}, "fee", "This field is required."),
        ("approve", {**APPROVE_OK, "fee": "NaN"}, "fee", "Enter a number."),
        ("approve", {**APPROVE_OK, "fee": "1e400"}, "fee", "less than or equal to 1000000"),
        ("approve", {**APPROVE_OK, "currency": "JPY"}, "currency", "JPY is not one of"),
        ("approve", {**APPROVE_OK, "validity_days": "0"}, "validity_days", "greater than"),
        ("decline", {"reason": ""}, "reason", "This field is required."),
        ("decline", {"reason": "x" * 100_000}, "reason", "at most 5000 characters"),
        ("ask", {"message": "x" * 100_000}, "message", "at most 5000 characters"),
        ("ask", {"message": "   "}, "message", "This field is required."),
        ("note", {"body": "x" * 100_000}, "body", "at most 5000 characters"),
    ],
)
def test_bad_input_is_refused_with_a_field_error(
    reviewer_client: Client, submitted, action: str, data: dict, field: str, error: str
) -> None:
    mail.outbox.clear()
    before = snapshot(submitted)
    response = act(reviewer_client, submitted, action, data)
    html = response.content.decode()
    assert response.status_code == 400
    field_error = re.search(rf'<p id="error_1_id_{field}"><strong>(.*?)</strong>', html)
    assert field_error, html
    assert error in field_error.group(1)
    assert snapshot(submitted) == before


def test_bad_fee_is_kept_in_the_form(reviewer_client: Client, submitted) -> None:
    response = act(reviewer_client, submitted, "approve", {**APPROVE_OK, "fee": "12.345"})
    assert input_value(response.content.decode(), "fee") == "12.345"


# --- Wrong status and races --------------------------------------------------


def test_approving_a_declined_request_is_refused(
    reviewer_client: Client, reviewer, article
) -> None:
    req = make_request_in(article, "declined", actor=reviewer)
    mail.outbox.clear()
    before = snapshot(req)
    response = act(reviewer_client, req, "approve", APPROVE_OK, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"This action is not possible: {req.reference} is now “Declined”." in html
    assert snapshot(req) == before


def test_second_reviewer_on_a_stale_page_sees_what_happened(
    reviewer_client: Client, second_reviewer, submitted
) -> None:
    other = client_for(second_reviewer)
    assert "Decline" in buttons(page(other, submitted))  # B opens the page...
    act(reviewer_client, submitted, "approve", APPROVE_OK)  # ...A approves...
    before = snapshot(submitted)
    response = act(
        other, submitted, "decline", {"reason": "Too late."}, follow=True
    )  # ...B declines
    html = response.content.decode()
    assert f"{submitted.reference} is now “Awaiting payment”" in html
    assert snapshot(submitted) == before
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"
    assert submitted.status_changes.filter(to_status="declined").count() == 0


def test_decision_overtaken_while_being_saved_is_refused(
    reviewer_client: Client, reviewer, second_reviewer, submitted, monkeypatch
) -> None:
    """B's request read the row just before A's approval was saved."""
    from licensing.views import staff

    stale = RepublicationRequest.objects.get(pk=submitted.pk)
    submitted.approve(actor=reviewer, fee_minor=5000, currency="GBP", validity_days=30)
    monkeypatch.setattr(staff, "_get", lambda pk: stale)
    before = snapshot(submitted)
    response = act(client_for(second_reviewer), stale, "decline", {"reason": "No."}, follow=True)
    assert response.status_code == 200
    assert f"Cannot decline request {submitted.reference}: it is now “Awaiting payment”." in (
        response.content.decode()
    )
    assert snapshot(submitted) == before


def test_approving_twice_changes_nothing_the_second_time(
    reviewer_client: Client, submitted
) -> None:
    act(reviewer_client, submitted, "approve", APPROVE_OK)
    before = snapshot(submitted)
    response = act(reviewer_client, submitted, "approve", APPROVE_OK, follow=True)
    assert "is now “Awaiting payment”" in response.content.decode()
    assert snapshot(submitted) == before
    assert Invoice.objects.count() == 1


# --- Access ------------------------------------------------------------------


def test_unknown_action_or_request_is_404(reviewer_client: Client, submitted) -> None:
    before = snapshot(submitted)
    assert act(reviewer_client, submitted, "delete", {}).status_code == 404
    assert act(reviewer_client, submitted, "withdraw", {}).status_code == 404
    missing = submitted.pk + 1000
    assert reviewer_client.get(f"/staff/requests/{missing}/").status_code == 404
    assert (
        reviewer_client.post(f"/staff/requests/{missing}/approve/", APPROVE_OK).status_code == 404
    )
    assert reviewer_client.get("/staff/requests/abc/").status_code == 404
    assert snapshot(submitted) == before


def test_actions_are_post_only(reviewer_client: Client, submitted) -> None:
    response = reviewer_client.get(f"/staff/requests/{submitted.pk}/approve/", APPROVE_OK)
    assert response.status_code == 405
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_anonymous_is_sent_to_login(client: Client, submitted) -> None:
    before = snapshot(submitted)
    url = f"/staff/requests/{submitted.pk}/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    response = client.post(f"{url}approve/", APPROVE_OK)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(submitted) == before


def _non_reviewers(request, finance) -> list[Client]:
    clerk = User.objects.create_user("clerk", "clerk@publisher.example", "pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="change_republicationrequest"))
    return [request.getfixturevalue("requester"), client_for(finance), client_for(clerk)]


def test_non_reviewers_get_404_for_page_and_actions(request, finance, submitted) -> None:
    mail.outbox.clear()
    before = snapshot(submitted)
    for client in _non_reviewers(request, finance):
        response = client.get(f"/staff/requests/{submitted.pk}/")
        assert response.status_code == 404
        assert "amira@outlet.example" not in response.content.decode()
        for action, data in [
            ("approve", APPROVE_OK),
            ("decline", {"reason": "No."}),
            ("ask", {"message": "Why?"}),
            ("assign", {"me": "1"}),
            ("note", {"body": "Hello"}),
        ]:
            assert act(client, submitted, action, data).status_code == 404, action
    assert snapshot(submitted) == before


def test_superuser_may_decide(superuser, submitted) -> None:
    act(client_for(superuser), submitted, "decline", {"reason": "No."})
    submitted.refresh_from_db()
    assert submitted.status == "declined"


def test_csrf_token_is_required(reviewer, submitted) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    before = snapshot(submitted)
    assert act(client, submitted, "approve", APPROVE_OK).status_code == 403
    assert snapshot(submitted) == before
    html = page(client, submitted)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    response = act(client, submitted, "approve", {**APPROVE_OK, "csrfmiddlewaretoken": token[1]})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "awaiting_payment"


def test_staff_cancel_voids_the_invoice(reviewer_client: Client, reviewer, submitted) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    shown = buttons(page(reviewer_client, submitted))
    assert "Cancel request" in shown and "Decline" not in shown and "Approve" not in shown
    response = act(reviewer_client, submitted, "cancel", {"reason": "Duplicate of RR-2026-00009"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    submitted.invoice.refresh_from_db()
    assert submitted.status == "withdrawn"
    assert submitted.invoice.status == "void"
    note = submitted.invoice.credit_notes.get()
    assert note.total_minor == submitted.invoice.total_minor
    assert submitted.status_changes.last().actor == reviewer


def test_staff_cancel_tells_the_requester_why(reviewer_client: Client, reviewer, submitted) -> None:
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    mail.outbox.clear()
    reason = "Duplicate of RR-2026-00009, which we approved."
    response = act(reviewer_client, submitted, "cancel", {"reason": reason}, follow=True)
    assert (
        f"Cancelled {submitted.reference}: its invoice is voided by a credit note, and the "
        "requester told why." in response.content.decode()
    )
    submitted.refresh_from_db()
    credit_note = submitted.invoice.credit_notes.get()
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert email.subject == f"Your request {submitted.reference} was cancelled"
    text = " ".join(email.body.split())
    assert reason in text
    assert (
        f"Invoice {submitted.invoice.number} is cancelled by credit note {credit_note.number}: "
        "you owe nothing." in text
    )
    html = email.alternatives[0][0]
    assert reason in html and credit_note.number in html
    assert "towards it" not in text  # nothing was paid: no refund to announce
    # Its link opens the request, as every email to the requester does.
    assert f"/requests/{submitted.uuid}/" in email.body


def test_revoke_from_the_desk(reviewer_client: Client, reviewer, submitted) -> None:
    submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    html = page(reviewer_client, submitted)
    assert f"Licence {submitted.licence.number}" in html and "Revoke licence" in html
    act(reviewer_client, submitted, "revoke", {"reason": "Rights dispute"})
    submitted.refresh_from_db()
    submitted.licence.refresh_from_db()
    assert submitted.status == "revoked"
    assert submitted.licence.status == "revoked"
    assert "Revoked on" in page(reviewer_client, submitted)


def test_revoke_needs_a_reason(reviewer_client: Client, reviewer, submitted) -> None:
    submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    response = act(reviewer_client, submitted, "revoke", {"reason": ""})
    assert response.status_code == 400
    submitted.refresh_from_db()
    assert submitted.status == "licensed"


@pytest.mark.parametrize(
    ("country", "vat_number", "case"),
    [
        ("DE", "DE136695976", "DE VAT number valid in form: reverse charge"),
        ("GB", "", "UK buyer: UK VAT at 20%"),
        ("FR", "", "FR buyer without a VAT number: outside the scope of UK VAT"),
        ("US", "", "Buyer outside the UK and the EU (US): outside the scope of UK VAT"),
    ],
)
def test_reviewer_sees_which_vat_case_applies_before_approving(
    reviewer_client: Client, article, country, vat_number, case
) -> None:
    req = make_request(
        article,
        country=country,
        vat_number=vat_number,
        outlet_address="Hauptstrasse 1\n10115 Berlin",
        purchase_order="PO-99",
    )
    html = reviewer_client.get(f"/staff/requests/{req.pk}/").content.decode()
    assert re.search(rf'id="vat-case">{re.escape(case)}<', html)
    assert f'id="vat-case-approve">VAT on the invoice: {case}<' in html
    assert "Hauptstrasse 1\n10115 Berlin" in html
    assert 'id="purchase-order">PO-99<' in html
    # What the invoice then applies is the case announced.
    req.approve(actor=None, fee_minor=10000, currency="GBP", validity_days=30)
    req.refresh_from_db()
    expected = {"DE": "reverse_charge", "GB": "standard"}.get(country, "outside_scope")
    assert req.invoice.vat_treatment == expected


def test_desk_shows_a_single_country_territory_as_the_country(
    reviewer_client: Client, article
) -> None:
    req = make_request(article, territory="country", country="FR")
    html = reviewer_client.get(f"/staff/requests/{req.pk}/").content.decode()
    assert "France only" in html
    assert "My country only" not in html
    assert "France only" in reviewer_client.get("/staff/").content.decode()
