"""Every staff page: who is signed in, a way out, English left to right; where sign-in lands."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import approved_request, make_request

SIGN_OUT = re.compile(
    r'<form method="post" action="/accounts/logout/"[^>]*>\s*'
    r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">'
    r"<span>Signed in as <strong>(?P<name>[^<]+)</strong></span>\s*"
    r'<button type="submit" class="btn btn-outline-secondary btn-sm">Sign out</button>'
)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def invoiced(article, reviewer):
    return approved_request(article, actor=reviewer)


def staff_urls(invoiced) -> dict[str, list[str]]:
    """Per kind of staff member, every staff page they may open."""
    return {
        "reviewer": ["/staff/", f"/staff/requests/{invoiced.pk}/"],
        "finance": ["/staff/invoices/", f"/staff/invoices/{invoiced.invoice.number}/"],
    }


@pytest.mark.parametrize("who", ["reviewer", "finance"])
def test_every_staff_page_says_who_is_signed_in_and_offers_sign_out(
    request, who: str, invoiced
) -> None:
    user = request.getfixturevalue(who)
    client = signed_in(user)
    for url in staff_urls(invoiced)[who]:
        response = client.get(url)
        assert response.status_code == 200, url
        match = SIGN_OUT.search(response.content.decode())
        assert match, url
        assert match["name"] == user.get_username()


def test_sign_out_signs_out(reviewer) -> None:
    client = signed_in(reviewer)
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert "You are signed out" in response.content.decode()
    assert client.get("/staff/")["Location"] == "/accounts/login/?next=/staff/"


def test_requesters_pages_have_no_staff_sign_out(requester, submitted) -> None:
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert not SIGN_OUT.search(html)


@pytest.mark.parametrize(
    ("who", "lands_on"),
    [("reviewer", "/staff/"), ("finance", "/staff/invoices/"), ("superuser", "/staff/")],
)
def test_sign_in_lands_on_the_work_of_each(request, who: str, lands_on: str) -> None:
    user = request.getfixturevalue(who)
    response = Client().post(
        "/accounts/login/", {"username": user.get_username(), "password": "pw-for-tests"}
    )
    assert response.status_code == 302
    assert response["Location"] == lands_on
    assert Client().get(lands_on).status_code == 302  # signed out: not the page itself


def test_finance_sign_in_never_lands_on_a_404(finance) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "finance", "password": "pw-for-tests"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/staff/invoices/"


def test_a_next_address_still_wins(reviewer) -> None:
    response = Client().post(
        "/accounts/login/?next=/staff/requests/1/",
        {"username": "reviewer", "password": "pw-for-tests", "next": "/staff/requests/1/"},
    )
    assert response["Location"] == "/staff/requests/1/"


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_staff_pages_stay_english_and_left_to_right(
    language: str, reviewer, finance, invoiced
) -> None:
    for who, urls in staff_urls(invoiced).items():
        client = signed_in(reviewer if who == "reviewer" else finance)
        # The visitor switched the public pages to another language.
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        assert f'<html lang="{language}"' in client.get("/articles/").content.decode()
        for url in urls:
            response = client.get(url)
            html = response.content.decode()
            assert '<html lang="en" dir="ltr">' in html, url
            assert "bootstrap.rtl" not in html, url
            assert response["Content-Language"] == "en", url
            assert 'id="language-switcher"' not in html, url
        # And the public pages keep the chosen language.
        assert f'<html lang="{language}"' in client.get("/articles/").content.decode()


def test_staff_sign_in_page_is_english_too() -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in html
    assert "Staff sign in" in html


def _queue_in_arabic(reviewer, article) -> str:
    """The desk's queue, for a reviewer who switched the public pages to Arabic."""
    approved_request(article, actor=reviewer)  # quoted
    approved_request(article, actor=reviewer, fee_minor=0)  # licensed at once
    make_request(article).decline(actor=reviewer, reason="Not for this outlet.")
    client = signed_in(reviewer)
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    return client.get("/staff/").content.decode()


def test_desk_figures_read_left_to_right_after_switching_to_arabic(reviewer, article) -> None:
    """Issue 20: the queue turned half right-to-left, "(last 90 days: 3 approved, 0 (declined"."""
    html = _queue_in_arabic(reviewer, article)
    assert '<html lang="en" dir="ltr">' in html
    assert "(last 90 days: 2 approved, 1 declined)" in html
    # Amounts in the desk's English format, not the Arabic reader's "‏250.00 UK£".
    assert "UK£" not in html
    assert "\u200f" not in html


def test_without_staff_pages_in_english_the_desk_would_turn_right_to_left(
    reviewer, article, settings
) -> None:
    """What StaffPagesInEnglishMiddleware prevents: the check above is a real one."""
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "portal.middleware.StaffPagesInEnglishMiddleware"
    ]
    html = _queue_in_arabic(reviewer, article)
    assert '<html lang="ar" dir="rtl">' in html
