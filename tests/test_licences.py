"""Licence issuance, delivery, revocation and expiry, and the PDF download's access rule."""

import hashlib
import io
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from licensing.models import (
    Licence,
    LicenceStateError,
    LicenceStatus,
    StatusChange,
)
from tests.factories import make_request, pay_by_transfer, submit_and_confirm


@pytest.fixture
def awaiting(article, reviewer):
    req = make_request(article, country="GB", vat_number="")
    req.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    return req


def pay(req, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pay_by_transfer(req)
    req.refresh_from_db()


def test_paid_invoice_issues_one_licence_with_the_scope_as_approved(
    awaiting, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()
    pay(awaiting, django_capture_on_commit_callbacks)
    licence = awaiting.licence
    year = timezone.localdate().year
    assert awaiting.status == "licensed"
    assert licence.number == f"LIC-{year}-000001"
    assert licence.status == LicenceStatus.VALID
    assert (licence.media, licence.territory, licence.language) == ("online", "worldwide", "en")
    assert licence.invoice_number == awaiting.invoice.number
    assert (licence.fee_minor, licence.currency) == (15000, "GBP")
    # The last day included: a year from 10 December 2026 runs until and including 9 December 2027.
    assert licence.end_date == _one_year_after(licence.start_date) - timedelta(days=1)
    assert licence.attribution == (
        f"This article was originally published by Middle East Eye and is republished under "
        f"licence {licence.number}."
    )
    # Delivered after commit: stored with its fingerprint, emailed with the PDF attached.
    licence.refresh_from_db()
    stored = licence.pdf.read()
    assert stored.startswith(b"%PDF")
    assert licence.pdf_sha256 == hashlib.sha256(stored).hexdigest()
    email = next(m for m in mail.outbox if licence.number in m.subject)
    assert email.to == ["amira@outlet.example"]
    assert email.attachments[0][0] == f"{licence.number}.pdf"
    assert f"/requests/{awaiting.uuid}/" in email.body


def _one_year_after(day: date) -> date:
    return day.replace(year=day.year + 1)


def test_repeated_invoice_paid_issues_nothing_more(
    awaiting, django_capture_on_commit_callbacks
) -> None:
    from billing.signals import invoice_paid

    pay(awaiting, django_capture_on_commit_callbacks)
    for _ in range(3):
        invoice_paid.send(sender=type(awaiting.invoice), invoice=awaiting.invoice)
    assert Licence.objects.count() == 1
    assert StatusChange.objects.filter(request=awaiting, to_status="licensed").count() == 1


def test_zero_fee_is_licensed_at_once_without_invoice(article, reviewer) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    assert req.status == "licensed"
    assert req.invoice is None
    assert req.licence.fee_display == "0.00 GBP"
    assert req.licence.invoice_number == ""


def test_perpetual_licence_has_no_end_date(article, reviewer) -> None:
    req = make_request(article, duration="perpetual")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    assert req.licence.end_date is None


def test_request_page_offers_pdf_snippet_and_verification(
    client: Client, article, reviewer
) -> None:
    req = submit_and_confirm(client, article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    html = client.get(f"/requests/{req.uuid}/").content.decode()
    licence = req.licence
    assert f"/licences/{licence.uuid}/pdf" in html
    assert f"/verify/{licence.number}/" in html
    assert 'id="attribution-snippet"' in html and "readonly" in html
    assert "republished under licence " + licence.number in html
    assert "&lt;a href=&quot;" + licence.article_url in html


def test_licence_pdf_access(client: Client, other_requester: Client, article, reviewer) -> None:
    req = submit_and_confirm(client, article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    url = f"/licences/{req.licence.uuid}/pdf"
    owner = client.get(url)
    assert owner.status_code == 200
    assert owner["Content-Type"] == "application/pdf"
    assert owner.content.startswith(b"%PDF")
    assert other_requester.get(url).status_code == 302  # to the sign-in page
    stranger = Client()
    stranger.force_login(make_request(article, email="bea@other.example").requester)
    assert stranger.get(url).status_code == 404
    staff = Client()
    staff.force_login(reviewer)
    assert staff.get(url).status_code == 200


def test_missing_pdf_file_is_rendered_again(article, reviewer) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    licence = req.licence
    assert not licence.pdf  # delivery runs on commit, which this test never reaches
    data = licence.pdf_bytes()
    licence.refresh_from_db()
    assert data.startswith(b"%PDF")
    assert licence.pdf_sha256 == hashlib.sha256(data).hexdigest()


def test_revoke(article, reviewer, django_capture_on_commit_callbacks) -> None:
    req = make_request(article)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        req.revoke(actor=reviewer, reason="Rights dispute with the author")
    req.licence.refresh_from_db()
    assert req.status == "revoked"
    assert req.licence.status == LicenceStatus.REVOKED
    assert req.licence.revoke_reason == "Rights dispute with the author"
    assert "revoked" in mail.outbox[-1].subject
    assert "Rights dispute with the author" in mail.outbox[-1].body


def test_expire_licences_command(article, reviewer, django_capture_on_commit_callbacks) -> None:
    req = make_request(article, duration="1m")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    end = req.licence.end_date
    assert end is not None
    with time_machine.travel(end, tick=False):
        call_command("expire_licences", stdout=io.StringIO())
    req.licence.refresh_from_db()
    assert req.licence.status == LicenceStatus.VALID
    mail.outbox.clear()
    later = end + timedelta(days=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("expire_licences", stdout=io.StringIO())
        call_command("expire_licences", stdout=io.StringIO())
    req.licence.refresh_from_db()
    assert req.licence.status == LicenceStatus.EXPIRED
    assert req.licence.expired_on == later
    assert len([m for m in mail.outbox if "expired" in m.subject]) == 1


def test_expiry_and_revocation_are_in_the_licence_history(
    article, reviewer, django_capture_on_commit_callbacks
) -> None:
    req = make_request(article, duration="1m")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    licence = req.licence
    assert licence.end_date is not None
    with time_machine.travel(licence.end_date + timedelta(days=1)):
        call_command("expire_licences", stdout=io.StringIO())
        with django_capture_on_commit_callbacks(execute=True):
            req.revoke(actor=reviewer, reason="Published against the terms.")

    history = [
        (row.from_status, row.to_status, row.actor, row.note)
        for row in licence.status_changes.all()
    ]
    assert history == [
        (LicenceStatus.VALID, LicenceStatus.EXPIRED, None, f"Ended on {licence.end_date}."),
        (LicenceStatus.EXPIRED, LicenceStatus.REVOKED, reviewer, "Published against the terms."),
    ]
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.REVOKED
    assert licence.revoked_at is not None
    assert licence.expired_on is not None


def test_a_revoked_licence_never_expires_nor_is_revoked_again(article, reviewer) -> None:
    req = make_request(article, duration="1m")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    req.licence.revoke(actor=reviewer, reason="Rights dispute with the author")
    with pytest.raises(LicenceStateError, match="it is Revoked"):
        req.licence.expire(on=timezone.localdate())
    with pytest.raises(LicenceStateError, match="it is Revoked"):
        req.licence.revoke(actor=reviewer, reason="Again")
    assert req.licence.status_changes.count() == 1


@pytest.mark.parametrize(
    ("language", "line", "read"),
    [
        ("fr", "Cet article a été publié à l\u2019origine par Middle East Eye", "Lire l"),
        ("ar", "نُشر هذا المقال أصلًا في Middle East Eye", "اقرأ"),
        ("de", "This article was originally published by Middle East Eye", "Read the original"),
    ],
)
def test_attribution_is_in_the_language_of_publication(
    client: Client, article, reviewer, language, line, read
) -> None:
    req = submit_and_confirm(client, article, language=language)
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    licence = req.licence
    assert licence.attribution.startswith(line)
    assert licence.number in licence.attribution
    assert read in licence.attribution_html
    # The requester's page is English here; the snippet stays in the publication's language.
    html = client.get(f"/requests/{req.uuid}/").content.decode()
    assert line in html
    # The licence's condition names that language.
    from licensing.pdf import render_licence_pdf
    from tests.test_licence_pdf import pdf_text

    expected = {"fr": "French", "ar": "Arabic", "de": "English"}[language]
    assert f"word for word, in {expected}," in pdf_text(render_licence_pdf(licence))


def test_licence_box_shows_its_dates_and_the_snippet_stays_left_to_right(
    client: Client, article, reviewer
) -> None:
    client.post("/i18n/setlang/", {"language": "ar"})
    req = submit_and_confirm(client, article, duration="1y")
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    licence = req.licence
    html = client.get(f"/requests/{req.uuid}/").content.decode()
    assert 'dir="rtl"' in html  # an Arabic page...
    assert re.search(r'<textarea id="attribution-snippet"[^>]* dir="ltr"', html)  # ...LTR code
    assert 'id="licence-validity"' in html
    with translation.override("ar"):
        assert str(licence.validity_words) in html
    assert licence.end_date is not None
