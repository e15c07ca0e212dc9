"""/contact/, /privacy/ and /terms/: what people look for before giving their details."""

import pytest
from django.test import Client


def test_contact_page_gives_the_desks_address(client: Client, db, settings) -> None:
    settings.CONTACT_EMAIL = "desk@publisher.example"
    html = client.get("/contact/").content.decode()
    assert 'href="mailto:desk@publisher.example"' in html
    assert settings.SELLER["email"] in html


def test_privacy_notice_says_what_is_kept_how_long_and_who_sees_it(client: Client, db) -> None:
    html = client.get("/privacy/").content.decode()
    for heading in ("What we keep", "How long", "Who sees it", "Your rights"):
        assert heading in html
    assert "deleted after 7 days" in html
    assert "six years" in html and "Stripe" in html


def test_terms_are_linked_from_the_forms_checkbox(client: Client, article) -> None:
    form = client.get(article.get_republish_url()).content.decode()
    terms_field = form.split('id="div_id_accept_terms"', 1)[1].split("</div>\n", 2)[0:2]
    assert 'href="/terms/"' in "".join(terms_field)
    html = client.get("/terms/").content.decode()
    assert "Republishing terms" in html
    for clause in ("terms-credit", "terms-link", "terms-edits", "terms-takedown", "terms-law"):
        assert f'id="{clause}"' in html


@pytest.mark.parametrize(
    ("language", "title"),
    [("fr", "Conditions de republication"), ("ar", "شروط إعادة النشر")],
)
def test_the_pages_are_translated(client: Client, db, settings, language, title) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert title in client.get("/terms/").content.decode()


def test_every_page_links_them(client: Client, db) -> None:
    html = client.get("/").content.decode()
    for url in ("/contact/", "/privacy/", "/terms/"):
        assert f'href="{url}"' in html
