"""/demo/article/: the publisher's article page with the "fill out this form" link (DEBUG only)."""

import re
from urllib.parse import quote

from django.test import Client

SEED_URL = "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front"
BUTTON = re.compile(r'<a href="([^"]+)" data-republish-button>fill out this form</a>')


def test_demo_page_links_to_the_form_with_the_canonical_url(client: Client, settings) -> None:
    settings.DEBUG = True
    response = client.get("/demo/article/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<link rel="canonical" href="{SEED_URL}">' in html
    assert "Central Asian fighters in Syria join al-Nusra Front" in html
    match = BUTTON.search(html)
    assert match, "the button link is missing"
    assert match.group(1) == f"/republish/?url={quote(SEED_URL, safe='')}"
    text = re.sub(r"<[^>]+>", "", html.split("</article>")[0])
    assert text.rstrip().endswith(
        "To learn more about republishing this content and the associated fees, "
        "please fill out this form."
    )
    assert "integrations/republish-button.js" in html


def test_demo_page_is_gone_without_debug(client: Client, db, settings) -> None:
    settings.DEBUG = False
    assert client.get("/demo/article/").status_code == 404


def test_following_the_link_lands_on_the_request_form(client: Client, article, settings) -> None:
    settings.DEBUG = True
    href = BUTTON.search(client.get("/demo/article/").content.decode()).group(1)
    response = client.get(href, follow=True)
    assert response.redirect_chain == [(f"/articles/{article.slug}/republish/", 302)]
    assert response.status_code == 200
    assert 'name="outlet_name"' in response.content.decode()
    assert article.title in response.content.decode()


def test_the_script_is_served(client: Client, db) -> None:
    from django.contrib.staticfiles import finders

    path = finders.find("integrations/republish-button.js")
    assert path is not None
    with open(path) as script:
        source = script.read()
    assert 'link[rel="canonical"]' in source
    assert "a[data-republish-button]" in source


def test_template_comments_never_reach_the_page(client, article, settings) -> None:
    settings.DEBUG = True
    html = client.get("/demo/article/").content.decode()
    assert "{#" not in html and "#}" not in html
    assert html.lstrip().startswith("<!doctype html>")
