"""A form posted in a charset other than UTF-8 (utf-16, latin-1) gets the friendly 400 page.

Django refuses such a body with BadRequest when the CSRF check reads it, and
its own 400 handler then checks CSRF again, reads it again and fails again: a
500 with DEBUG off, the debug page failing the same way with DEBUG on. Every
URL of the project is tried, as a browser with a CSRF cookie would post
(portal.middleware.RejectUnreadableFormsMiddleware answers before any view).
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# A value for each kind of URL argument; the page behind it need not exist.
SAMPLE = {"int": 1, "uuid": uuid.UUID(int=1), "slug": "an-article", "str": "LIC-2026-000001"}


def every_url(patterns: list[Any] | None = None, prefix: str = "/") -> Iterator[str]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route == "admin/":
                yield "/admin/"  # the admin's own URLs: its index stands for them
                continue
            yield from every_url(entry.url_patterns, prefix + route)
            continue
        assert isinstance(entry, URLPattern)
        path = route
        for name, converter in entry.pattern.converters.items():
            kind = type(converter).__name__.removesuffix("Converter").lower()
            for spelling in (f"<{kind}:{name}>", f"<{name}>"):
                path = path.replace(spelling, str(SAMPLE.get(kind, "x")))
        yield prefix + path


URLS = sorted(set(every_url()))


def browser() -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/")  # the CSRF cookie, as a browser that opened the form has it
    return client


@pytest.mark.parametrize("debug", [False, True], ids=["DEBUG off", "DEBUG on"])
@pytest.mark.parametrize("charset", ["utf-16", "latin-1"])
def test_every_form_answers_400_to_a_body_not_in_utf8(db, settings, debug, charset) -> None:
    settings.DEBUG = debug
    client = browser()
    token = client.cookies["csrftoken"].value
    answers = {}
    for url in URLS:
        # The test client encodes the str body in the charset the header names.
        response = client.post(
            url,
            f"csrfmiddlewaretoken={token}&name=Amira Haddad&outlet=Le Quotidien de Béjaïa",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        answers[url] = response
    statuses = {url: response.status_code for url, response in answers.items()}
    assert statuses == dict.fromkeys(URLS, 400)
    page = answers["/accounts/login/"].content.decode()
    assert "Your form could not be read" in page
    assert 'href="#main"' in page  # the site's own layout
    assert len(URLS) > 30


def test_the_400_page_in_the_visitors_language(db) -> None:
    client = browser()
    # A public form: staff pages (/accounts/login/ among them) are always English.
    response = client.post(
        "/account/login/",
        "email=été",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
        headers={"accept-language": "fr"},
    )
    assert response.status_code == 400
    assert "Votre formulaire n’a pas pu être lu" in response.content.decode()  # noqa: RUF001


def test_a_utf8_form_still_works(db, article) -> None:
    client = browser()
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        f"csrfmiddlewaretoken={token}&username=été&password=x",
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    assert response.status_code == 200
    assert "été" in response.content.decode()
