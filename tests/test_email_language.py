"""Every email to a requester is in the language they used on the site; staff mail stays English."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from licensing.models import RepublicationRequest
from tests.factories import follow_request_link, request_form_data

GREETING = {
    "en": "Dear Amira Haddad,",
    "ar": "Amira Haddad، تحية طيبة،",
    "fr": "Bonjour Amira Haddad,",
}
# The acknowledgement of a request sent without signing in asks to confirm the address.
RECEIVED = {
    "en": "Confirm your email to send republishing request",
    "ar": "أكّد بريدك الإلكتروني لإرسال طلب إعادة النشر",
    "fr": "Confirmez votre adresse e-mail pour envoyer la demande de republication",
}
# The fee as a reader of each language writes it (babel's CLDR formats).
FEE = {"ar": "\u200f150.00\xa0UK£", "fr": "150,00\xa0£GB"}
APPROVED = {
    "en": "is approved",
    "ar": "تمت الموافقة على طلبك",
    "fr": "est approuvée",
}


def submit_in(language: str, article) -> RepublicationRequest:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.post(article.get_republish_url(), request_form_data())
    req = RepublicationRequest.objects.get()
    follow_request_link(client, req)
    req.refresh_from_db()
    return req


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ar", "fr"])
def test_acknowledgement_is_in_the_requesters_language(article, settings, language) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    req = submit_in(language, article)
    to_requester = next(m for m in mail.outbox if m.to == ["amira@outlet.example"])
    assert to_requester.subject == f"{RECEIVED[language]} {req.reference}"
    assert GREETING[language] in to_requester.body
    html = to_requester.alternatives[0][0]
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    # The reviewers read English whatever the requester's language.
    to_staff = next(m for m in mail.outbox if m.to == ["desk@publisher.example"])
    assert to_staff.subject.startswith(f"New request {req.reference}")
    assert "A new republishing request is waiting for review." in to_staff.body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_later_emails_keep_the_language_whatever_the_staff_use(article, reviewer, language) -> None:
    req = submit_in(language, article)
    mail.outbox.clear()
    # The reviewer works in English; the requester's email must not follow them.
    req.approve(actor=reviewer, fee_minor=15000, currency="GBP", validity_days=30)
    approved = next(m for m in mail.outbox if m.to == ["amira@outlet.example"])
    assert APPROVED[language] in approved.subject
    assert GREETING[language] in approved.body
    assert FEE[language] in approved.body
    assert "150.00 GBP" not in approved.body


@pytest.mark.django_db(transaction=True)
def test_licence_email_in_arabic_carries_the_licence(article, reviewer) -> None:
    req = submit_in("ar", article)
    mail.outbox.clear()
    req.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    issued = next(m for m in mail.outbox if m.attachments)
    req.refresh_from_db()
    assert issued.subject == f"ترخيصك {req.licence.number} للطلب {req.reference}"
    assert "والترخيص مرفق بصيغة PDF" in issued.body
    assert issued.attachments[0][0] == f"{req.licence.number}.pdf"


@pytest.mark.django_db(transaction=True)
def test_staff_mail_stays_english_when_the_requester_writes_in_arabic(
    article, reviewer, settings
) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    req = submit_in("ar", article)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    client.force_login(req.requester)
    mail.outbox.clear()
    response = client.post(f"/requests/{req.uuid}/reply/", {"body": "شكرًا، لدينا سؤال."})
    assert response.status_code == 302
    [to_staff] = mail.outbox
    assert to_staff.to == ["desk@publisher.example"]
    assert to_staff.subject == f"Reply on {req.reference} from The Daily Example"
    assert "now Submitted" in to_staff.body
    assert '<html lang="en" dir="ltr">' in to_staff.alternatives[0][0]
