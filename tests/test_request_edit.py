"""/requests/<uuid>/edit/: the requester changes what they asked before the desk answers."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from licensing.models import RepublicationRequest, StatusChange
from tests.factories import (
    email_html,
    make_price_rule,
    make_request,
    make_request_in,
    request_form_data,
)


def edit_url(req: RepublicationRequest) -> str:
    return f"/requests/{req.uuid}/edit/"


def edited_data(req: RepublicationRequest, **overrides: str) -> dict[str, str]:
    """The form as the edit page prefills it for `req`, with `overrides` typed over it."""
    values = {"start_date": req.start_date.isoformat(), "email": req.email, **overrides}
    return request_form_data(**values)


def test_the_request_page_offers_edit_while_the_desk_has_not_answered(
    requester: Client, submitted, reviewer
) -> None:
    page = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Edit request" in page
    assert edit_url(submitted) in page
    submitted.approve(actor=reviewer, fee_minor=10000, currency="GBP", validity_days=30)
    page = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Edit request" not in page


def test_the_edit_page_is_the_request_form_prefilled(requester: Client, submitted) -> None:
    response = requester.get(edit_url(submitted))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Edit request {submitted.reference}" in html
    assert 'value="The Daily Example"' in html
    assert 'name="territory"' in html and '<option value="worldwide" selected>' in html
    assert "Save changes" in html
    # The address is who the request belongs to: shown, not editable.
    assert 'name="email"' in html and "disabled" in html.split('name="email"')[1].split(">")[0]


def test_saving_records_each_change_and_tells_the_desk(
    requester: Client, submitted, settings, django_capture_on_commit_callbacks
) -> None:
    make_price_rule(name="Europe", territory="europe", fee_minor=9000)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = requester.post(
            edit_url(submitted),
            edited_data(submitted, territory="europe", outlet_name="The Weekly Example"),
            follow=True,
        )
    assert "2 changes saved and sent to our desk." in response.content.decode()
    submitted.refresh_from_db()
    assert (submitted.territory, submitted.outlet_name) == ("europe", "The Weekly Example")
    assert submitted.status == "submitted"
    assert submitted.email == "amira@outlet.example"
    # The rate card prices the request as it is now.
    assert (submitted.suggested_fee_minor, submitted.suggested_currency) == (9000, "GBP")
    edit = StatusChange.objects.filter(request=submitted).last()
    assert (edit.from_status, edit.to_status) == ("submitted", "submitted")
    assert edit.changes == [
        {"field": "outlet name", "from": "The Daily Example", "to": "The Weekly Example"},
        {"field": "territory", "from": "Worldwide", "to": "Europe"},
    ]
    # The desk is told, with each change, like a new request.
    [to_desk] = mail.outbox
    assert to_desk.to == [settings.REVIEWERS_EMAIL]
    assert to_desk.subject == f"Request {submitted.reference} edited by The Weekly Example"
    assert "Territory: Worldwide → Europe" in to_desk.body
    assert "Outlet name: The Daily Example → The Weekly Example" in to_desk.body
    assert "Suggested fee now: 90.00 GBP" in to_desk.body
    assert "Territory:</strong> Worldwide → Europe" in email_html(to_desk)
    # The outlet is remembered as corrected, for the next request's form.
    assert submitted.outlet.name == "The Weekly Example"


def test_the_desk_sees_the_changes_and_the_edited_marker(
    requester: Client, submitted, reviewer_client: Client
) -> None:
    requester.post(edit_url(submitted), edited_data(submitted, duration="6m"))
    page = reviewer_client.get(f"/staff/requests/{submitted.pk}/").content.decode()
    assert "Edited by the requester" in page
    assert "Duration:</span>" in page and "1 year</span> → <span" in page
    assert "6 months" in page
    queue = reviewer_client.get("/staff/").content.decode()
    assert 'data-marker="edited"' in queue


def test_an_edit_answers_an_open_information_request(
    requester: Client,
    submitted,
    reviewer,
    reviewer_client: Client,
    django_capture_on_commit_callbacks,
) -> None:
    submitted.ask_for_information(actor=reviewer, message="Excerpt or full text?")
    page = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Edit request" in page
    with django_capture_on_commit_callbacks(execute=True):
        requester.post(
            edit_url(submitted), edited_data(submitted, extent="excerpt", word_count="150")
        )
    submitted.refresh_from_db()
    assert (submitted.status, submitted.waiting_on) == ("submitted", "staff")
    assert (submitted.extent, submitted.word_count) == ("excerpt", 150)
    rows = list(StatusChange.objects.filter(request=submitted).order_by("id"))[-2:]
    assert [(r.from_status, r.to_status) for r in rows] == [
        ("info_requested", "submitted"),
        ("submitted", "submitted"),
    ]
    assert rows[1].note == "The requester edited the request, answering the information request."
    assert "answering the information request" in mail.outbox[-1].body
    queue = reviewer_client.get("/staff/").content.decode()
    row = queue.split(f">{submitted.reference}</a>")[1].split("</td>")[0]
    assert 'data-marker="replied"' in row and 'data-marker="edited"' in row


def test_saving_without_a_change_writes_nothing(
    requester: Client, submitted, django_capture_on_commit_callbacks
) -> None:
    before = StatusChange.objects.filter(request=submitted).count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = requester.post(edit_url(submitted), edited_data(submitted), follow=True)
    assert "You changed nothing: your request is as it was." in response.content.decode()
    assert StatusChange.objects.filter(request=submitted).count() == before
    assert mail.outbox == []


def test_bad_input_is_a_field_error_and_nothing_changes(requester: Client, submitted) -> None:
    response = requester.post(
        edit_url(submitted),
        edited_data(submitted, outlet_name="x" * 201, extent="excerpt", word_count=""),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say how many words the excerpt will have." in html
    assert "Ensure this value has at most 200 characters" in html
    submitted.refresh_from_db()
    assert (submitted.outlet_name, submitted.extent) == ("The Daily Example", "full")
    assert not StatusChange.objects.filter(
        request=submitted, from_status="submitted", to_status="submitted"
    ).exists()


def test_the_address_cannot_be_changed(requester: Client, submitted) -> None:
    requester.post(
        edit_url(submitted),
        edited_data(submitted, email="someone@else.example", notes="Sunday edition."),
    )
    submitted.refresh_from_db()
    assert submitted.email == "amira@outlet.example"
    assert submitted.notes == "Sunday edition."


def test_an_old_start_date_may_stay_but_not_be_moved_into_the_past(
    requester: Client, submitted
) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    RepublicationRequest.objects.filter(pk=submitted.pk).update(start_date=yesterday)
    submitted.refresh_from_db()
    response = requester.post(edit_url(submitted), edited_data(submitted, notes="Kept date."))
    assert response.status_code == 302
    response = requester.post(
        edit_url(submitted),
        edited_data(submitted, start_date=(yesterday - timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 400
    assert "The start date cannot be in the past." in response.content.decode()


@pytest.mark.parametrize("status", ["awaiting_payment", "licensed", "declined", "withdrawn"])
def test_editing_in_another_status_says_why_and_changes_nothing(
    client: Client, article, reviewer, status: str
) -> None:
    req = make_request_in(article, status, actor=reviewer)
    client.force_login(req.requester)
    rows = StatusChange.objects.filter(request=req).count()
    for response in (
        client.get(edit_url(req), follow=True),
        client.post(edit_url(req), edited_data(req, territory="europe"), follow=True),
    ):
        assert response.redirect_chain[-1][0] == f"/requests/{req.uuid}/"
        assert f"can no longer be edited: it is now “{req.get_status_display()}”" in (
            response.content.decode()
        )
    req.refresh_from_db()
    assert req.territory == "worldwide"
    assert StatusChange.objects.filter(request=req).count() == rows


def test_the_desk_acting_first_wins(requester: Client, submitted, reviewer) -> None:
    """The edit page was open when the desk approved: saving then changes nothing."""
    form_page = requester.get(edit_url(submitted))
    assert form_page.status_code == 200
    submitted.decline(actor=reviewer, reason="Not for this outlet.")
    response = requester.post(edit_url(submitted), edited_data(submitted, territory="europe"))
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.territory == "worldwide"


def test_only_the_requester_may_edit(client: Client, submitted, article, reviewer_client) -> None:
    someone = make_request(article, email="someone@else.example")
    client.force_login(someone.requester)
    assert client.get(edit_url(submitted)).status_code == 404
    assert client.post(edit_url(submitted), edited_data(submitted)).status_code == 404
    assert client.get("/requests/00000000-0000-0000-0000-000000000000/edit/").status_code == 404
    # Staff follow requests from the desk; they never act as the requester.
    assert reviewer_client.post(edit_url(submitted), edited_data(submitted)).status_code == 403
    submitted.refresh_from_db()
    assert (
        submitted.status_changes.filter(from_status="submitted", to_status="submitted").count() == 0
    )


def test_a_signed_out_visitor_signs_in_first(submitted) -> None:
    response = Client().get(edit_url(submitted))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")


def test_the_edit_page_in_french_and_arabic(requester: Client, submitted) -> None:
    for language, heading, button in [
        ("fr", "Modifier la demande", "Enregistrer les modifications"),
        ("ar", "تعديل الطلب", "حفظ التعديلات"),
    ]:
        html = requester.get(edit_url(submitted), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert heading in html
        assert button in html
