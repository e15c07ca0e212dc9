"""manage.py remind_licensees (run by daily): 30 and 7 days before a licence ends, once each,
in the licensee's language, with a signed link to the request and its Renew button."""

import re
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from licensing.models import Licence, LicenceReminder, RepublicationRequest
from tests.factories import email_html, make_request_in

LINK = re.compile(r"https?://\S+(/requests/[0-9a-f-]{36}/\?link=\S+)")


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Run the command on a day (at noon, local time), its emails sent that day too."""

    def run(on) -> str:
        out = StringIO()
        noon = timezone.make_aware(datetime.combine(on, time(12)))
        with (
            time_machine.travel(noon, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            call_command("remind_licensees", stdout=out)
        return out.getvalue().strip()

    return run


def licensee_mail(req: RepublicationRequest) -> list:
    return [m for m in mail.outbox if m.to == [req.email]]


def test_reminded_30_and_7_days_before_once_each(licensed, remind) -> None:
    licence = licensed.licence
    mail.outbox.clear()
    assert remind(licence.end_date - timedelta(days=31)) == "0 licence reminders sent."
    assert remind(licence.end_date - timedelta(days=30)) == "1 licence reminder sent."
    # Daily runs in between, and a second run the same day, send nothing more.
    assert remind(licence.end_date - timedelta(days=30)) == "0 licence reminders sent."
    assert remind(licence.end_date - timedelta(days=20)) == "0 licence reminders sent."
    assert remind(licence.end_date - timedelta(days=7)) == "1 licence reminder sent."
    assert remind(licence.end_date - timedelta(days=3)) == "0 licence reminders sent."
    first, second = licensee_mail(licensed)
    end = licence.end_date.strftime("%-d %B %Y")
    assert first.subject == f"Licence {licence.number} ends on {end}"
    assert f"ends on {end}, in 30 days." in first.body
    assert f"ends on {end}, in 7 days." in second.body
    assert "choose “Renew”" in first.body
    assert "in 30 days." in email_html(first)
    assert sorted(LicenceReminder.objects.values_list("days_before", flat=True)) == [7, 30]


def test_the_link_signs_the_licensee_in_and_the_page_offers_renew(licensed, remind) -> None:
    remind(licensed.licence.end_date - timedelta(days=30))
    [reminder] = licensee_mail(licensed)
    browser = Client()
    page = browser.get(LINK.search(reminder.body).group(1), follow=True)
    assert page.redirect_chain[-1][0] == f"/requests/{licensed.uuid}/"
    assert f"/requests/{licensed.uuid}/renew/" in page.content.decode()
    assert browser.get(f"/requests/{licensed.uuid}/renew/").status_code == 200


def test_written_in_the_licensee_language(article, reviewer, remind) -> None:
    french = make_request_in(article, "licensed", actor=reviewer, email="fr@outlet.example")
    arabic = make_request_in(article, "licensed", actor=reviewer, email="ar@outlet.example")
    RepublicationRequest.objects.filter(pk=french.pk).update(ui_language="fr")
    RepublicationRequest.objects.filter(pk=arabic.pk).update(ui_language="ar")
    assert french.licence.end_date is not None
    remind(french.licence.end_date - timedelta(days=7))
    [to_french] = licensee_mail(french)
    [to_arabic] = licensee_mail(arabic)
    assert to_french.subject.startswith(f"La licence {french.licence.number} prend fin le")
    assert "dans 7 jours" in to_french.body
    assert f"الترخيص {arabic.licence.number}" in to_arabic.subject
    assert 'lang="ar" dir="rtl"' in email_html(to_arabic)


def test_not_reminded_when_renewing_revoked_or_too_new(
    licensed, article, reviewer, client: Client, remind
) -> None:
    # Being renewed already.
    client.force_login(licensed.requester)
    client.post(
        f"/requests/{licensed.uuid}/renew/",
        {
            **{k: v for k, v in licensed.renewal_details().items() if v is not None},
            "start_date": licensed.renewal_start().isoformat(),
            "include_images": "on",
            "accept_terms": "on",
        },
    )
    assert RepublicationRequest.objects.filter(renews=licensed.licence).exists()
    # Revoked.
    revoked = make_request_in(article, "revoked", actor=reviewer, email="rev@outlet.example")
    # A one-month licence is not reminded "30 days before" on the day it is issued.
    short = make_request_in(
        article,
        "licensed",
        actor=reviewer,
        email="short@outlet.example",
        duration="1m",
        start_date=timezone.localdate().isoformat(),
    )
    Licence.objects.filter(pk__in=[revoked.licence.pk]).update(end_date=licensed.licence.end_date)
    mail.outbox.clear()
    remind(licensed.licence.end_date - timedelta(days=30))
    remind(timezone.localdate())
    assert mail.outbox == []
    # Its 7-day reminder still comes.
    assert short.licence.end_date is not None
    remind(short.licence.end_date - timedelta(days=7))
    assert [m.to for m in mail.outbox] == [["short@outlet.example"]]


def test_perpetual_licences_are_never_reminded(article, reviewer, remind) -> None:
    make_request_in(article, "licensed", actor=reviewer, duration="perpetual")
    mail.outbox.clear()
    remind(timezone.localdate() + timedelta(days=400))
    assert mail.outbox == []
    assert settings.REQUEST_LINK_MAX_AGE_DAYS == 30
