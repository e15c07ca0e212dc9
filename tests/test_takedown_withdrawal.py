"""After a takedown: no new requests for the article, and once the grace period is over,
`manage.py daily` ends its licences as "Withdrawn by the publisher", seen everywhere."""

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from pytest_httpserver import HTTPServer

from integrations.models import WebhookEndpoint
from licensing.models import Licence, LicenceStatusChange, RepublicationRequest
from licensing.notices import ArticleNotice
from tests.factories import make_article, make_request_in, request_form_data
from tests.test_webhooks import SECRET, received, verify


def daily() -> str:
    out = StringIO()
    call_command("daily", stdout=out, stderr=out)
    return out.getvalue()


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture
def taken_down(settings, article, reviewer, licence_holders) -> ArticleNotice:
    settings.TAKEDOWN_GRACE_DAYS = 2
    return ArticleNotice.request_takedown(article, actor=reviewer, reason="safety")


def on(days: int):
    """`days` from today, as the daily job would see it."""
    return time_machine.travel(timezone.now() + timedelta(days=days), tick=False)


def test_the_licences_hold_until_the_last_day_of_grace(taken_down, licence_holders) -> None:
    with on(2):
        assert "withdraw_taken_down_licences: 0 licences withdrawn after a takedown." in daily()
    assert {Licence.objects.get(request=r).status for r in licence_holders} == {"valid"}


def test_after_the_grace_period_daily_withdraws_them_and_tells_each_licensee(
    taken_down, licence_holders, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()
    with on(3), django_capture_on_commit_callbacks(execute=True):
        output = daily()
        withdrawn_on = timezone.localdate()

    assert "withdraw_taken_down_licences: 2 licences withdrawn after a takedown." in output
    for req in licence_holders:
        licence = Licence.objects.get(request=req)
        assert licence.status == "withdrawn"
        assert licence.withdrawn_on == withdrawn_on
        change = LicenceStatusChange.objects.get(licence=licence)
        assert (change.from_status, change.to_status, change.actor) == ("valid", "withdrawn", None)
        assert "Takedown requested on" in change.note
        req.refresh_from_db()
        assert req.status == "licensed"  # the request was granted; its licence has ended
    # (The same daily run also delivers the licences' own emails, never sent in this test.)
    subjects = {(m.to[0], m.subject): m for m in mail.outbox}
    french = subjects[
        (licence_holders[0].email, f"La licence {licence_holders[0].licence.number} a été retirée")
    ]
    assert "retirée par l’éditeur" in french.body  # noqa: RUF001
    arabic = subjects[
        (licence_holders[1].email, f"سُحب الترخيص {licence_holders[1].licence.number}")
    ]
    assert "سحب الناشر" in arabic.body

    with on(4):
        assert "withdraw_taken_down_licences: 0 licences withdrawn" in daily()


def test_the_grace_period_is_a_setting(settings, article, reviewer, licence_holders) -> None:
    settings.TAKEDOWN_GRACE_DAYS = 5
    notice = ArticleNotice.request_takedown(article, actor=reviewer, reason="error")
    assert notice.remove_by == timezone.localdate() + timedelta(days=5)
    with on(5):
        daily()
    assert Licence.objects.filter(status="withdrawn").count() == 0
    with on(6):
        daily()
    assert Licence.objects.filter(status="withdrawn").count() == 2


def test_a_licence_that_ended_otherwise_during_the_grace_period_keeps_its_ending(
    taken_down, licence_holders, reviewer
) -> None:
    french, arabic = licence_holders
    french.revoke(actor=reviewer, reason="Published outside the territory.")
    Licence.objects.filter(request=arabic).update(end_date=timezone.localdate() + timedelta(days=1))

    with on(3):
        output = daily()

    assert "expire_licences: 1 licence expired." in output
    assert "withdraw_taken_down_licences: 0 licences withdrawn" in output
    assert Licence.objects.get(request=french).status == "revoked"
    assert Licence.objects.get(request=arabic).status == "expired"


def test_withdrawn_shows_on_verification_the_requesters_page_and_the_desk(
    client: Client, reviewer_client: Client, taken_down, licence_holders
) -> None:
    with on(3):
        daily()
    req = licence_holders[0]
    licence = Licence.objects.get(request=req)
    words = f"Withdrawn by the publisher on {date_format(licence.withdrawn_on, 'j F Y')}"

    verify_page = text(client.get(f"/verify/{licence.number}/"))
    assert words in verify_page
    assert "The publisher took this article down" in verify_page
    assert "holds a valid licence" not in verify_page
    policy = json.loads(client.get(f"/verify/{licence.number}.json").content)
    assert policy["dct:description"] == words

    owner = Client()
    owner.force_login(req.requester)
    requester_page = owner.get(req.get_absolute_url()).content.decode()
    assert words in requester_page
    assert 'id="attribution-snippet"' not in requester_page  # nothing left to attribute
    taken = "The publisher took this article down: your licence has been withdrawn."
    assert taken in requester_page
    assert taken in text(owner.get("/account/"))

    assert words in text(reviewer_client.get(f"/staff/requests/{req.pk}/"))
    assert words in text(reviewer_client.get(f"/staff/articles/{req.article.slug}/"))

    client.cookies["django_language"] = "fr"
    assert "Retirée par l’éditeur le" in text(client.get(f"/verify/{licence.number}/"))  # noqa: RUF001


def test_the_withdrawal_is_posted_to_the_webhook(
    httpserver: HTTPServer, taken_down, licence_holders, django_capture_on_commit_callbacks
) -> None:
    httpserver.expect_request("/hooks", method="POST").respond_with_data("ok")
    WebhookEndpoint.objects.create(
        url=httpserver.url_for("/hooks"), secret=SECRET, events=["licence.withdrawn"]
    )
    with on(3), django_capture_on_commit_callbacks(execute=True):
        daily()

    payloads = [verify(r) for r in received(httpserver)]
    assert sorted(p["data"]["licence"]["number"] for p in payloads) == sorted(
        r.licence.number for r in licence_holders
    )
    assert {p["event"] for p in payloads} == {"licence.withdrawn"}
    assert {p["data"]["licence"]["status"] for p in payloads} == {"withdrawn"}
    assert all(p["data"]["licence"]["withdrawn_on"] for p in payloads)


def test_the_form_refuses_new_requests_with_a_clear_message(
    client: Client, article, taken_down
) -> None:
    before = RepublicationRequest.objects.count()

    form = client.get(article.get_republish_url())
    sent = client.post(article.get_republish_url(), request_form_data())
    redirected = client.get("/republish/", {"url": article.canonical_url}, follow=True)

    for response in (form, sent, redirected):
        assert 'id="taken-down"' in response.content.decode()
        assert "The publisher has taken" in text(response)
        assert "new requests for it are not accepted" in text(response)
    assert RepublicationRequest.objects.count() == before

    client.cookies["django_language"] = "ar"
    assert "حذف الناشر" in text(client.get(article.get_republish_url()))


def test_an_article_outside_the_catalogue_taken_down_is_refused_too(
    client: Client, reviewer, settings
) -> None:
    settings.PUBLISHER_DOMAINS = ["news.example.org"]
    unlisted = make_article(in_catalogue=False)
    ArticleNotice.request_takedown(unlisted, actor=reviewer, reason="legal")

    response = client.get("/republish/", {"url": unlisted.canonical_url})

    assert response.status_code == 200
    assert 'id="taken-down"' in response.content.decode()
    assert 'name="contact_name"' not in response.content.decode()


def test_an_article_simply_unticked_keeps_its_old_message(client: Client, db) -> None:
    closed = make_article(republishable=False)
    body = text(client.get(closed.get_republish_url()))
    assert "does not accept republication requests" in body
    assert "taken" not in body


def test_the_expired_revoked_and_other_articles_licences_are_untouched(
    taken_down, article, reviewer
) -> None:
    elsewhere = make_request_in(make_article(), "licensed", actor=reviewer, email="x@y.example")
    with on(3):
        daily()
    assert Licence.objects.get(request=elsewhere).status == "valid"


def test_a_withdrawn_licence_can_still_be_revoked(taken_down, licence_holders, reviewer) -> None:
    req = licence_holders[0]
    with on(3):
        daily()
        req.revoke(actor=reviewer, reason="Obtained with a false identity.")
    licence = Licence.objects.get(request=req)
    assert licence.status == "revoked"
    assert licence.status_words().startswith("Revoked on")
    assert [c.to_status for c in licence.status_changes.all()] == ["withdrawn", "revoked"]
