"""Corrections and takedowns (licensing.notices): who they reach, the emails in each
licensee's language, the acknowledgement, and the webhooks, signatures checked."""

import re
import threading
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from pytest_httpserver import HTTPServer

from integrations.models import WebhookDelivery, WebhookEndpoint
from licensing import tasks
from licensing.links import LinkState, read_acknowledgement_link
from licensing.models import Article, Licence, RepublicationRequest
from licensing.notices import (
    TAKEDOWN_CLOSING_NOTE,
    AlreadyTakenDown,
    ArticleNotice,
    LicenceNotice,
    NoLicenceHolders,
    current_licences,
)
from tests.factories import make_article, make_licence_holder, make_request_in
from tests.test_webhooks import SECRET, received, verify

CORRECTION = "The second paragraph named the wrong minister: it was the interior minister."
ACK_LINK = re.compile(r"https?://[^/\s]+(/notices/[0-9a-f-]{36}/done/\?link=[^\s\"<]+)")


@pytest.fixture
def corrected(article, reviewer, licence_holders, django_capture_on_commit_callbacks):
    """A correction of `article`, sent to both licence holders; its emails went out."""
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_a_correction_reaches_valid_and_not_yet_valid_licences_only(
    article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    french, arabic = licence_holders
    revoked = make_request_in(article, "revoked", actor=reviewer, email="gone@outlet.example")
    ended = make_request_in(article, "licensed", actor=reviewer, email="ended@outlet.example")
    # Past its end date: over, though the daily job has not marked it expired yet.
    Licence.objects.filter(request=ended).update(end_date=timezone.localdate() - timedelta(days=1))
    elsewhere = make_licence_holder(make_article(), actor=reviewer, email="else@outlet.example")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        notice = ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)

    assert notice.kind == "correction"
    assert notice.message == CORRECTION
    assert notice.sent_by == reviewer
    assert notice.remove_by is None
    assert sorted(notice.licence_numbers()) == sorted(
        [french.licence.number, arabic.licence.number]
    )
    assert arabic.licence.state == "not_yet_valid"
    assert sorted(addr for m in mail.outbox for addr in m.to) == [
        "claire@journal.example",
        "omar@sahifa.example",
    ]
    for other in (revoked, ended, elsewhere):
        assert not LicenceNotice.objects.filter(licence__request=other).exists()
    assert all(r.emailed_at is not None for r in notice.recipients.all())
    assert all(r.acknowledged_at is None for r in notice.recipients.all())


def test_the_correction_reads_in_french_and_in_arabic(corrected, licence_holders) -> None:
    french, arabic = licence_holders
    (to_french,) = emails_to("claire@journal.example")
    (to_arabic,) = emails_to("omar@sahifa.example")

    # (Subjects are written on one line, any run of whitespace, NBSP too, as one space.)
    assert to_french.subject == (
        f"Correction de « {french.licence.article_title} » (licence {french.licence.number})"
    )
    assert "Veuillez" in to_french.body
    assert "sous la licence " + french.licence.number in to_french.body
    assert "Une fois la correction faite" in to_french.body
    assert CORRECTION in to_french.body  # the desk's words, as written

    assert to_arabic.subject.startswith("تصحيح")
    assert arabic.licence.number in to_arabic.subject
    assert "الترخيص " + arabic.licence.number in to_arabic.body
    assert "يُرجى" in to_arabic.body
    assert CORRECTION in to_arabic.body
    html, mimetype = to_arabic.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="ar" dir="rtl"' in html

    for message, req in ((to_french, french), (to_arabic, arabic)):
        # Each carries its own signed Done link and the link to the request's page.
        (path,) = ACK_LINK.findall(message.body)
        reached = LicenceNotice.objects.get(notice=corrected, licence__request=req)
        assert path.startswith(f"/notices/{reached.uuid}/done/?link=")
        token = unquote(path.split("?link=", 1)[1])
        assert read_acknowledgement_link(token, reached=reached) == LinkState.VALID
        assert f"/requests/{req.uuid}/?link=" in message.body
        assert "English" not in message.body


def test_a_correction_for_an_article_nobody_holds_a_licence_for_saves_nothing(
    article, reviewer, django_capture_on_commit_callbacks
) -> None:
    make_request_in(article, "submitted", actor=reviewer)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NoLicenceHolders):
        ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)

    assert not ArticleNotice.objects.exists()
    assert mail.outbox == []


def test_a_takedown_stops_new_requests_and_asks_each_licensee_by_a_date(
    settings, article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    settings.TAKEDOWN_GRACE_DAYS = 3
    french, arabic = licence_holders
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        notice = ArticleNotice.request_takedown(
            article, actor=reviewer, reason="legal", details="A court order of 4 December."
        )

    article.refresh_from_db()
    assert article.republishable is False
    assert notice.kind == "takedown"
    assert notice.reason == "legal"
    assert notice.message == "A court order of 4 December."
    assert notice.remove_by == timezone.localdate() + timedelta(days=3)
    (to_french,) = emails_to("claire@journal.example")
    (to_arabic,) = emails_to("omar@sahifa.example")
    assert to_french.subject.startswith("Demande de suppression")
    assert "supprimer" in to_french.body
    assert "Raisons juridiques" in to_french.body
    assert "A court order of 4 December." in to_french.body
    assert french.licence.number in to_french.body
    assert to_arabic.subject.startswith("طلب حذف")
    assert "أسباب قانونية" in to_arabic.body
    assert arabic.licence.number in to_arabic.body
    # The licences still hold during the grace period.
    assert {r.licence.status for r in notice.recipients.all()} == {"valid"}


def test_a_takedown_closes_the_open_requests_so_no_licence_follows(
    article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    undecided = make_request_in(article, "submitted", actor=reviewer, email="new@outlet.example")
    quoted = make_request_in(
        article, "awaiting_payment", actor=reviewer, email="quoted@outlet.example"
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")

    undecided.refresh_from_db()
    quoted.refresh_from_db()
    quoted.invoice.refresh_from_db()
    assert undecided.status == "declined"
    assert undecided.decline_reason == TAKEDOWN_CLOSING_NOTE
    (declined,) = emails_to("new@outlet.example")
    assert TAKEDOWN_CLOSING_NOTE in declined.body
    # The quote can no longer be paid: its invoice is void, the request withdrawn.
    assert quoted.status == "withdrawn"
    assert quoted.invoice.status == "void"
    assert quoted.status_changes.latest("pk").note == TAKEDOWN_CLOSING_NOTE
    # Its requester is told, with the credit note that cancels what they owed.
    (cancelled,) = emails_to("quoted@outlet.example")
    assert cancelled.subject == f"Your request {quoted.reference} was cancelled"
    assert TAKEDOWN_CLOSING_NOTE in cancelled.body
    credit_note = quoted.invoice.credit_notes.get()
    assert f"Invoice {quoted.invoice.number} is cancelled by credit note {credit_note.number}" in (
        cancelled.body
    )
    # The licences already held are asked to act, not withdrawn at once.
    assert {holder.licence.status for holder in licence_holders} == {"valid"}


def test_requests_closed_by_a_takedown_are_told_why_in_their_language(
    article, reviewer, django_capture_on_commit_callbacks
) -> None:
    undecided = make_request_in(article, "submitted", actor=reviewer, email="new@journal.example")
    quoted = make_request_in(
        article, "awaiting_payment", actor=reviewer, email="quoted@journal.example"
    )
    RepublicationRequest.objects.filter(pk__in=[undecided.pk, quoted.pk]).update(ui_language="fr")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")

    in_french = "L’éditeur a retiré cet article de la republication."  # noqa: RUF001
    (declined,) = emails_to("new@journal.example")
    (cancelled,) = emails_to("quoted@journal.example")
    for email in (declined, cancelled):
        assert in_french in email.body and in_french in email.alternatives[0][0]
        assert TAKEDOWN_CLOSING_NOTE not in email.body
    assert cancelled.subject == f"Votre demande {quoted.reference} a été annulée"
    # The request page, in French, gives the same reason under the same heading.
    page = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page.force_login(RepublicationRequest.objects.get(pk=quoted.pk).requester)
    html = page.get(quoted.get_absolute_url()).content.decode()
    assert "Pourquoi nous l’avons annulée" in html and in_french in html  # noqa: RUF001
    assert "Notre équipe a annulé cette demande." in html


def test_a_second_takedown_is_refused_and_sends_nothing(
    article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    ArticleNotice.request_takedown(article, actor=reviewer, reason="safety")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AlreadyTakenDown):
        ArticleNotice.request_takedown(article, actor=reviewer, reason="error")

    assert ArticleNotice.objects.count() == 1
    assert mail.outbox == []


def test_a_takedown_without_licensees_still_stops_new_requests(article, reviewer) -> None:
    notice = ArticleNotice.request_takedown(article, actor=reviewer, reason="error")

    article.refresh_from_db()
    assert article.republishable is False
    assert notice.recipients.count() == 0


def test_an_unknown_reason_is_refused_before_anything_changes(article, reviewer) -> None:
    with pytest.raises(ValueError, match="Unknown takedown reason"):
        ArticleNotice.request_takedown(article, actor=reviewer, reason="boredom")
    article.refresh_from_db()
    assert article.republishable is True
    assert not ArticleNotice.objects.exists()


def test_a_licence_revoked_before_its_email_went_out_is_not_asked_to_act(
    article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    french, arabic = licence_holders
    notice = ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)
    french.revoke(actor=reviewer, reason="Published outside the territory.")
    mail.outbox.clear()

    # The email tasks as the worker would run them, after the revocation.
    results = [
        tasks.send_article_notice_email.call(licence_notice_id=r.pk)
        for r in notice.recipients.order_by("licence__number")
    ]

    assert results[0] == "not sent: the licence is now revoked"
    assert [m.to for m in mail.outbox] == [[arabic.email]]
    assert LicenceNotice.objects.get(notice=notice, licence__request=french).emailed_at is None


def test_acknowledging_twice_keeps_the_first_date(corrected) -> None:
    reached = corrected.recipients.first()

    assert reached.acknowledge() is True
    first = LicenceNotice.objects.get(pk=reached.pk).acknowledged_at
    assert reached.acknowledge() is False

    assert LicenceNotice.objects.get(pk=reached.pk).acknowledged_at == first


def test_current_licences_excludes_expired_and_revoked(article, reviewer, licence_holders) -> None:
    french, arabic = licence_holders
    arabic.revoke(actor=reviewer, reason="Fraud.")
    assert list(current_licences(article)) == [french.licence]


# --- Webhooks -----------------------------------------------------------------------


@pytest.fixture
def notice_endpoint(httpserver: HTTPServer, db) -> WebhookEndpoint:
    httpserver.expect_request("/hooks/notices", method="POST").respond_with_data("ok")
    return WebhookEndpoint.objects.create(
        url=httpserver.url_for("/hooks/notices"),
        secret=SECRET,
        events=["article.corrected", "article.takedown_requested", "licence.withdrawn"],
    )


def test_a_correction_is_posted_signed_with_the_licence_numbers(
    httpserver: HTTPServer, notice_endpoint, corrected, licence_holders
) -> None:
    (request,) = received(httpserver)
    payload = verify(request)

    assert request.headers["X-Portal-Event"] == "article.corrected"
    delivery = WebhookDelivery.objects.get()
    assert payload["id"] == str(delivery.uuid)
    assert payload["event"] == "article.corrected"
    data = payload["data"]
    assert sorted(data["licence_numbers"]) == sorted(r.licence.number for r in licence_holders)
    assert data["notice"]["kind"] == "correction"
    assert data["notice"]["message"] == CORRECTION
    assert data["notice"]["uuid"] == str(corrected.uuid)
    assert data["article"]["canonical_url"] == corrected.article.canonical_url
    assert {entry["verify_url"].rsplit("/", 2)[-2] for entry in data["licences"]} == set(
        data["licence_numbers"]
    )
    # No personal data: neither the licensees' emails nor their contacts' names.
    body = request.get_data(as_text=True)
    assert "claire@journal.example" not in body
    assert "Claire Martin" not in body


def test_a_takedown_is_posted_with_its_reason_and_date(
    httpserver: HTTPServer,
    notice_endpoint,
    article,
    reviewer,
    licence_holders,
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = ArticleNotice.request_takedown(article, actor=reviewer, reason="safety")

    (request,) = received(httpserver)
    payload = verify(request)
    assert request.headers["X-Portal-Event"] == "article.takedown_requested"
    data = payload["data"]
    assert data["notice"]["reason"] == "safety"
    assert data["notice"]["remove_by"] == notice.remove_by.isoformat()
    assert data["article"]["republishable"] is False
    assert sorted(data["licence_numbers"]) == sorted(r.licence.number for r in licence_holders)


def test_an_endpoint_that_did_not_ask_for_notices_gets_none(
    httpserver: HTTPServer, article, reviewer, licence_holders, django_capture_on_commit_callbacks
) -> None:
    httpserver.expect_request("/hooks/licences", method="POST").respond_with_data("ok")
    WebhookEndpoint.objects.create(
        url=httpserver.url_for("/hooks/licences"),
        secret=SECRET,
        events=["licence.issued", "licence.revoked"],  # an endpoint saved before these events
    )
    with django_capture_on_commit_callbacks(execute=True):
        ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)

    assert received(httpserver) == []
    assert not WebhookDelivery.objects.exists()


def test_new_endpoints_get_every_event_by_default(db) -> None:
    endpoint = WebhookEndpoint.objects.create(url="https://cms.example/hooks")
    assert {"article.corrected", "article.takedown_requested", "licence.withdrawn"} <= set(
        endpoint.events
    )


def test_a_request_for_another_article_is_untouched(article, reviewer, licence_holders) -> None:
    other = make_article()
    make_licence_holder(other, actor=reviewer, email="else@outlet.example")
    ArticleNotice.request_takedown(article, actor=reviewer, reason="legal")
    other.refresh_from_db()
    assert other.republishable is True
    assert RepublicationRequest.objects.filter(article=other).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_taking_the_article_down_at_once_make_one_takedown(
    article, reviewer, second_reviewer
) -> None:
    make_licence_holder(article, actor=reviewer, email="claire@journal.example")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def take_down(user) -> None:
        try:
            mine = Article.objects.get(pk=article.pk)
            barrier.wait(timeout=10)
            ArticleNotice.request_takedown(mine, actor=user, reason="legal")
            outcomes[user.username] = "done"
        except AlreadyTakenDown:
            outcomes[user.username] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_down, args=(u,)) for u in (reviewer, second_reviewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    assert ArticleNotice.objects.count() == 1
    assert LicenceNotice.objects.count() == 1
