"""/notices/<uuid>/done/: the licensee's one-click "Done", from the email or the request page;
and the notice as the request page and /verify/<number>/ show it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from licensing.links import acknowledgement_link
from licensing.models import LicenceNotice
from licensing.notices import ArticleNotice

CORRECTION = "The casualty figure in the fourth paragraph is 12, not 21."


@pytest.fixture
def corrected(article, reviewer, licence_holders) -> ArticleNotice:
    return ArticleNotice.send_correction(article, actor=reviewer, message=CORRECTION)


@pytest.fixture
def french_notice(corrected, licence_holders) -> LicenceNotice:
    return LicenceNotice.objects.get(notice=corrected, licence__request=licence_holders[0])


@pytest.fixture
def arabic_notice(corrected, licence_holders) -> LicenceNotice:
    return LicenceNotice.objects.get(notice=corrected, licence__request=licence_holders[1])


def link_path(reached: LicenceNotice) -> str:
    return acknowledgement_link(reached).removeprefix(settings.PORTAL_BASE_URL)


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def acknowledged(reached: LicenceNotice):
    return LicenceNotice.objects.get(pk=reached.pk).acknowledged_at


def test_opening_the_link_shows_the_notice_and_acknowledges_nothing(
    client: Client, french_notice
) -> None:
    # A mail scanner or link preview opens every link: that alone must record nothing.
    response = client.get(link_path(french_notice))

    assert response.status_code == 200
    body = text(response)
    assert CORRECTION in body
    assert french_notice.licence.number in body
    html = response.content.decode()
    assert re.search(r'<form method="post" action="[^"]*\?link=', html)
    assert re.search(r"<button[^>]*>\s*Done\s*</button>", html)
    assert acknowledged(french_notice) is None


def test_the_done_button_acknowledges_and_a_second_press_changes_nothing(
    client: Client, french_notice
) -> None:
    path = link_path(french_notice)
    client.get(path)

    response = client.post(path, follow=True)

    assert response.redirect_chain[-1][0] == path
    first = acknowledged(french_notice)
    assert first is not None
    assert "Thank you: we have recorded that it is done." in text(response)
    assert "You told us on" in text(response)

    again = client.post(path, follow=True)
    assert acknowledged(french_notice) == first
    assert "You had already told us this was done; nothing changed." in text(again)


def test_the_page_speaks_the_visitors_language(client: Client, french_notice) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    body = text(client.get(link_path(french_notice)))
    assert "Veuillez reporter la correction" in body
    assert "C’est fait" in body  # noqa: RUF001


def test_an_altered_link_gets_a_friendly_page_and_records_nothing(
    client: Client, french_notice
) -> None:
    path = link_path(french_notice)
    for broken in (path[:-3], path + "x", path.replace("?link=", "?link=00")):
        assert client.get(broken).status_code == 400
        response = client.post(broken)
        assert response.status_code == 400
        assert "This link does not work" in text(response)
    assert acknowledged(french_notice) is None


def test_another_licensees_link_cannot_acknowledge_this_notice(
    client: Client, french_notice, arabic_notice
) -> None:
    # The Arabic licensee's token, on the French licensee's notice.
    token = link_path(arabic_notice).split("?link=", 1)[1]
    path = f"/notices/{french_notice.uuid}/done/?link={token}"

    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400

    assert acknowledged(french_notice) is None
    assert acknowledged(arabic_notice) is None


def test_an_unknown_notice_with_a_link_is_the_same_friendly_page(
    client: Client, french_notice
) -> None:
    token = link_path(french_notice).split("?link=", 1)[1]
    response = client.get(f"/notices/00000000-0000-4000-8000-000000000000/done/?link={token}")
    assert response.status_code == 400
    assert "This link does not work" in text(response)


def test_an_expired_link_leads_to_signing_in_and_records_nothing(
    client: Client, french_notice
) -> None:
    path = link_path(french_notice)
    later = timezone.now() + timedelta(days=settings.REQUEST_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        response = client.get(path)
        posted = client.post(path)

    assert response.status_code == 200
    assert "This link has expired" in text(response)
    login = re.search(r'href="(/account/login/\?[^"]+)"', response.content.decode()).group(1)
    assert "email=claire%40journal.example" in login
    assert f"next=%2Frequests%2F{french_notice.licence.request.uuid}%2F" in login
    assert posted.status_code == 200
    assert acknowledged(french_notice) is None


def test_an_expired_link_in_the_requesters_signed_in_browser_still_works(
    client: Client, french_notice
) -> None:
    path = link_path(french_notice)
    later = timezone.now() + timedelta(days=settings.REQUEST_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later, tick=False):
        client.force_login(french_notice.licence.request.requester)
        page = client.get(path).content.decode()
        # The session is the proof now: the button posts without the old link.
        assert re.search(r'<form method="post" action="/notices/[0-9a-f-]+/done/"', page)
        client.post(f"/notices/{french_notice.uuid}/done/")
    assert acknowledged(french_notice) is not None


def test_without_a_link_only_the_signed_in_requester_may_acknowledge(
    client: Client, other_requester: Client, french_notice, arabic_notice, reviewer_client
) -> None:
    path = f"/notices/{french_notice.uuid}/done/"

    signed_out = client.get(path)
    assert signed_out.status_code == 302
    assert signed_out["Location"] == f"/account/login/?next={path}"
    assert client.post(path).status_code == 404
    # Another licensee, signed in: 404, and their own notice is not touched either.
    other_requester.force_login(arabic_notice.licence.request.requester)
    assert other_requester.post(path).status_code == 404
    # Staff never acknowledge on a licensee's behalf.
    assert reviewer_client.post(path).status_code == 404
    assert acknowledged(french_notice) is None
    assert acknowledged(arabic_notice) is None

    client.force_login(french_notice.licence.request.requester)
    assert client.post(path).status_code == 302
    assert acknowledged(french_notice) is not None
    assert acknowledged(arabic_notice) is None


def test_the_request_page_shows_the_notice_with_its_done_button(
    client: Client, french_notice
) -> None:
    req = french_notice.licence.request
    client.force_login(req.requester)

    html = client.get(req.get_absolute_url()).content.decode()

    assert 'id="licence-notices"' in html
    assert CORRECTION in html
    assert f'action="/notices/{french_notice.uuid}/done/"' in html
    client.post(f"/notices/{french_notice.uuid}/done/")
    html = client.get(req.get_absolute_url()).content.decode()
    assert f'action="/notices/{french_notice.uuid}/done/"' not in html
    assert "You told us on" in html


def test_reviewers_see_the_notice_on_the_request_page_without_a_button(
    reviewer_client: Client, french_notice
) -> None:
    html = reviewer_client.get(french_notice.licence.request.get_absolute_url()).content.decode()
    assert CORRECTION in html
    assert f'action="/notices/{french_notice.uuid}/done/"' not in html
    assert "Not yet acknowledged by the licensee." in html


def test_the_verification_page_shows_the_notice_and_then_its_acknowledgement(
    client: Client, french_notice, arabic_notice
) -> None:
    number = french_notice.licence.number

    body = text(client.get(f"/verify/{number}/"))
    today = date_format(timezone.localdate(), "j F Y")
    assert "Notices from the publisher" in body
    assert f"Correction sent on {today}" in body
    assert CORRECTION in body
    assert "Not yet acknowledged by the licensee." in body

    french_notice.acknowledge()
    body = text(client.get(f"/verify/{number}/"))
    assert f"Acknowledged by the licensee on {today}." in body
    # The other licence shows its own acknowledgement, not this one's.
    other = text(client.get(f"/verify/{arabic_notice.licence.number}/"))
    assert "Not yet acknowledged by the licensee." in other


def test_the_verification_page_in_arabic(client: Client, french_notice) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    body = text(client.get(f"/verify/{french_notice.licence.number}/"))
    assert "إشعارات من الناشر" in body
    assert "لم يؤكده صاحب الترخيص بعد." in body


def test_a_takedown_on_the_verification_page_gives_the_date_to_remove_it_by(
    client: Client, article, reviewer, licence_holders
) -> None:
    notice = ArticleNotice.request_takedown(
        article, actor=reviewer, reason="legal", details="Private: the court order's reference."
    )
    body = text(client.get(f"/verify/{licence_holders[0].licence.number}/"))
    assert f"Takedown requested on {date_format(timezone.localdate(), 'j F Y')}" in body
    assert (
        "The publisher asked for the article to be taken down by "
        f"{date_format(notice.remove_by, 'j F Y')}." in body
    )
    # Still valid during the grace period; the desk's details are for the licensee only.
    assert "holds a valid licence" in body
    assert "court order" not in body
