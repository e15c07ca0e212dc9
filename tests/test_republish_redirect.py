"""/republish/?url=...: the link publishers put under their articles."""

import pytest
from django.test import Client


def test_known_url_redirects_to_the_form(client: Client, article) -> None:
    response = client.get("/republish/", {"url": article.canonical_url})
    assert response.status_code == 302
    assert response["Location"] == f"/articles/{article.slug}/republish/"


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front",
        "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front/",
        "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front?utm_source=x",
        "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front#form",
    ],
)
def test_scheme_slash_query_and_fragment_variants_match(client: Client, article, variant) -> None:
    response = client.get("/republish/", {"url": variant})
    assert response["Location"] == f"/articles/{article.slug}/republish/"


@pytest.mark.parametrize(
    "url", ["https://elsewhere.example/story", "", "not a url", "javascript:x"]
)
def test_unknown_url_gets_404_with_search_box(client: Client, db, url) -> None:
    response = client.get("/republish/", {"url": url})
    html = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that article" in html
    assert '<input type="search" name="q"' in html


def test_unknown_url_is_shown_escaped(client: Client, db) -> None:
    html = client.get("/republish/", {"url": "https://x.example/<b>"}).content.decode()
    assert "https://x.example/&lt;b&gt;" in html
