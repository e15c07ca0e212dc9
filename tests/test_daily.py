"""manage.py daily: every daily job in one run, the feed import only when a feed is set."""

import hashlib
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from licensing.models import Article, Licence, RepublicationRequest
from portal.documents import document_storage
from tests.factories import approved_request, make_request_in, pay_by_transfer

RSS = Path(__file__).parent / "fixtures" / "feeds" / "rss2.xml"


def daily() -> str:
    out = StringIO()
    call_command("daily", stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def lapsed_quote(article, reviewer) -> RepublicationRequest:
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    RepublicationRequest.objects.filter(pk=req.pk).update(
        quote_valid_until=timezone.localdate() - timedelta(days=1)
    )
    return req


@pytest.fixture
def ended_licence(article, reviewer) -> Licence:
    req = make_request_in(article, "licensed", actor=reviewer, email="other@outlet.example")
    Licence.objects.filter(request=req).update(end_date=timezone.localdate() - timedelta(days=1))
    return req.licence


def test_runs_every_job_and_imports_the_publisher_feed(
    settings, httpserver, lapsed_quote, ended_licence
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        RSS.read_bytes(), content_type="application/rss+xml"
    )
    settings.PUBLISHER_FEED_URL = httpserver.url_for("/feed.xml")
    before = Article.objects.count()

    output = daily()

    assert "expire_quotes: 1 quotes expired, 0 reminders sent." in output
    assert "expire_licences: 1 licence expired." in output
    assert "remind_licensees: 0 licence reminders sent." in output
    assert "withdraw_taken_down_licences: 0 licences withdrawn after a takedown." in output
    assert "remind_reviewers: 0 overdue requests; 0 reminders sent." in output
    assert "import_articles: " in output and " created" in output
    assert "9 daily jobs done." in output
    lapsed_quote.refresh_from_db()
    ended_licence.refresh_from_db()
    assert lapsed_quote.status == "expired"
    assert ended_licence.status == "expired"
    assert Article.objects.count() > before


def test_without_a_feed_the_import_is_skipped(settings, db) -> None:
    settings.PUBLISHER_FEED_URL = ""

    output = daily()

    assert "import_articles: skipped, PUBLISHER_FEED_URL is not set." in output
    assert "8 daily jobs done." in output


def test_a_failing_job_does_not_stop_the_others(settings, tmp_path, lapsed_quote) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<rss><channel><item>")
    settings.PUBLISHER_FEED_URL = str(broken)
    out = StringIO()

    with pytest.raises(CommandError, match="1 of 9 daily jobs failed: import_articles"):
        call_command("daily", stdout=out, stderr=out)

    assert "expire_quotes: 1 quotes expired" in out.getvalue()
    assert "import_articles: FAILED" in out.getvalue()
    lapsed_quote.refresh_from_db()
    assert lapsed_quote.status == "expired"


def test_running_it_twice_changes_nothing_the_second_time(settings, lapsed_quote) -> None:
    settings.PUBLISHER_FEED_URL = str(RSS)
    daily()

    output = daily()

    assert "expire_quotes: 0 quotes expired, 0 reminders sent." in output
    assert "remind_licensees: 0 licence reminders sent." in output
    assert " 0 created, 0 updated" in output


def test_a_paid_request_left_without_its_licence_is_licensed_and_the_desk_told(
    article, reviewer, licence_numbering_fails_once, django_capture_on_commit_callbacks
) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=10000)
    with django_capture_on_commit_callbacks(execute=True):
        pay_by_transfer(req)
    req.refresh_from_db()
    assert licence_numbering_fails_once, "the hand-off failed"
    assert (req.status, req.invoice.status) == ("awaiting_payment", "paid")
    assert not Licence.objects.exists()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        output = daily()

    assert "license_paid_requests: 1 paid request licensed." in output
    req.refresh_from_db()
    assert req.status == "licensed"
    assert req.licence.invoice_number == req.invoice.number
    assert req.status_changes.last().note == (
        f"Invoice {req.invoice.number} paid; licensed by the daily check."
    )
    to_desk = [m for m in mail.outbox if m.to == [settings.REVIEWERS_EMAIL]]
    assert [m.subject for m in to_desk] == ["1 paid request licensed late"]
    assert req.reference in to_desk[0].body
    assert req.licence.number in to_desk[0].body
    to_licensee = [m for m in mail.outbox if m.to == [req.email]]
    assert [name for m in to_licensee for name, *_ in m.attachments] == [
        f"{req.licence.number}.pdf"
    ]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = daily()
    assert "license_paid_requests: 0 paid requests licensed." in output
    assert mail.outbox == []


def test_a_licence_never_stored_nor_sent_is_delivered_again(
    article, reviewer, settings, tmp_path
) -> None:
    # A bucket out of reach for longer than deliver_licence's retries: the licence
    # stands, its PDF was never stored, its email never sent. (Here the delivery
    # queued on commit never ran: the test's transaction is never committed.)
    settings.MEDIA_ROOT = tmp_path
    lost, recent, revoked = (
        make_request_in(article, "licensed", actor=reviewer, email=f"{name}@outlet.example")
        for name in ("lost", "recent", "revoked")
    )
    revoked.revoke(actor=reviewer, reason="Takedown.")
    now = timezone.now()
    for req, issued_at in [
        (lost, now - timedelta(hours=3)),
        (recent, now - timedelta(minutes=30)),  # its retries may still be on their way
        (revoked, now - timedelta(days=1)),
    ]:
        Licence.objects.filter(request=req).update(pdf="", pdf_sha256="", issued_at=issued_at)
    mail.outbox.clear()

    output = daily()

    assert "deliver_licences: 1 licence delivery queued again." in output
    licence = Licence.objects.get(request=lost)
    assert licence.pdf.name == f"licences/{licence.number}.pdf"
    stored = document_storage().open(licence.pdf.name).read()
    assert hashlib.sha256(stored).hexdigest() == licence.pdf_sha256
    assert [(m.to, [a[0] for a in m.attachments]) for m in mail.outbox] == [
        (["lost@outlet.example"], [f"{licence.number}.pdf"])
    ]
    assert mail.outbox[0].attachments[0][1] == stored
    assert Licence.objects.get(request=recent).pdf_sha256 == ""
    assert Licence.objects.get(request=revoked).pdf_sha256 == ""

    mail.outbox.clear()
    assert "deliver_licences: 0 licence deliveries queued again." in daily()
    assert mail.outbox == []


def test_licensees_are_reminded_once_before_their_licence_ends(
    settings, article, reviewer, django_capture_on_commit_callbacks
) -> None:
    settings.PUBLISHER_FEED_URL = ""
    req = make_request_in(article, "licensed", actor=reviewer, email="ending@outlet.example")
    Licence.objects.filter(request=req).update(
        end_date=timezone.localdate() + timedelta(days=30),
        issued_at=timezone.now() - timedelta(days=300),
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        output = daily()
    assert "remind_licensees: 1 licence reminder sent." in output
    reminders = [m for m in mail.outbox if " ends on " in m.subject]
    assert [m.to for m in reminders] == [["ending@outlet.example"]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert "remind_licensees: 0 licence reminders sent." in daily()
    assert mail.outbox == []
