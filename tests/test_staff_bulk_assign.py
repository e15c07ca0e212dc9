"""POST /staff/assign/: ticked requests given to one reviewer (or nobody) at once, or not at all."""

import re

from django.contrib.auth.models import User
from django.test import Client

from licensing.models import Message, RepublicationRequest
from tests.factories import make_request, make_request_in

URL = "/staff/assign/"


def assignees(*requests: RepublicationRequest) -> list[int | None]:
    return [RepublicationRequest.objects.get(pk=r.pk).assignee_id for r in requests]


def test_the_queue_offers_checkboxes_and_the_reviewers(
    reviewer_client: Client, second_reviewer, submitted
) -> None:
    html = reviewer_client.get("/staff/").content.decode()
    assert f'<form method="post" action="{URL}"' in html
    assert f'name="requests" value="{submitted.pk}" id="pick-{submitted.pk}"' in html
    assert f'<label class="form-check-label" for="pick-{submitted.pk}">' in html
    assert re.search(r'<label\s+for="bulk_assignee"', html)
    assert f'<option value="{second_reviewer.pk}">second-reviewer</option>' in html
    assert "Assign selected" in html


def test_assigns_every_ticked_request_and_notes_it(
    reviewer_client: Client, second_reviewer, article
) -> None:
    one, two, untouched = make_request(article), make_request(article), make_request(article)
    response = reviewer_client.post(
        f"{URL}?tab=waiting&media=online",
        {"requests": [one.pk, two.pk], "assignee": second_reviewer.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == "/staff/?tab=waiting&media=online"
    assert assignees(one, two, untouched) == [second_reviewer.pk, second_reviewer.pk, None]
    notes = Message.objects.filter(internal=True, body="Assigned to second-reviewer.")
    assert sorted(notes.values_list("request_id", flat=True)) == sorted([one.pk, two.pk])
    page = reviewer_client.get(response["Location"]).content.decode()
    assert f"Assigned 2 requests to second-reviewer: {one.reference}, {two.reference}." in page


def test_nobody_unassigns(reviewer_client: Client, reviewer, article) -> None:
    req = make_request(article)
    req.assign(actor=reviewer, assignee=reviewer)
    response = reviewer_client.post(URL, {"requests": [req.pk], "assignee": ""})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert assignees(req) == [None]


def test_a_user_who_may_not_review_cannot_be_given_work(
    reviewer_client: Client, finance, article
) -> None:
    req = make_request(article)
    response = reviewer_client.post(URL, {"requests": [req.pk], "assignee": finance.pk})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert assignees(req) == [None]
    assert not Message.objects.filter(internal=True).exists()


def test_one_unknown_request_saves_nothing(
    reviewer_client: Client, second_reviewer, article
) -> None:
    req = make_request(article)
    response = reviewer_client.post(
        URL, {"requests": [req.pk, 987654], "assignee": second_reviewer.pk}
    )
    assert response.status_code == 400
    assert "987654 is not one of the available choices" in response.content.decode()
    assert assignees(req) == [None]


def test_bad_input_is_a_field_error_not_a_500(
    reviewer_client: Client, second_reviewer, submitted
) -> None:
    for data in (
        {"assignee": second_reviewer.pk},
        {"requests": ["abc"], "assignee": second_reviewer.pk},
        {"requests": [submitted.pk], "assignee": "x' OR 1=1"},
        {"requests": [str(10**30)], "assignee": second_reviewer.pk},
    ):
        response = reviewer_client.post(URL, data)
        assert response.status_code == 400, data
        assert 'id="bulk-errors"' in response.content.decode()
    assert "Tick at least one request." in reviewer_client.post(URL, {}).content.decode()
    assert assignees(submitted) == [None]


def test_the_queue_shown_with_the_errors_keeps_its_filters(
    reviewer_client: Client, reviewer, article
) -> None:
    asked = make_request_in(article, "info_requested", actor=reviewer)
    response = reviewer_client.post(f"{URL}?tab=requester", {"assignee": reviewer.pk})
    assert response.status_code == 400
    assert asked.reference in response.content.decode()


def test_only_reviewers_may_post(client: Client, finance, requester, submitted) -> None:
    data = {"requests": [submitted.pk], "assignee": ""}
    anonymous = Client().post(URL, data)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert requester.post(URL, data).status_code == 404
    finance_client = Client()
    finance_client.force_login(finance)
    assert finance_client.post(URL, data).status_code == 404
    assert assignees(submitted) == [None]


def test_get_is_not_allowed(reviewer_client: Client) -> None:
    assert reviewer_client.get(URL).status_code == 405


def test_model_method_is_all_or_nothing(reviewer, second_reviewer, article) -> None:
    one, two = make_request(article), make_request(article)
    references = RepublicationRequest.assign_many(
        RepublicationRequest.objects.filter(pk__in=[one.pk, two.pk]),
        actor=reviewer,
        assignee=second_reviewer,
    )
    assert sorted(references) == sorted([one.reference, two.reference])
    assert assignees(one, two) == [second_reviewer.pk, second_reviewer.pk]
    assert User.objects.get(pk=second_reviewer.pk).assigned_requests.count() == 2
