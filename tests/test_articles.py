"""The catalogue: /articles/ (search, pagination) and /articles/<slug>/."""

import itertools
import re

import pytest
from django.test import Client

from tests.factories import make_article


def test_list_shows_articles_newest_first(client: Client, db) -> None:
    make_article(title="Older piece", published_at="2026-01-01T10:00Z")
    make_article(title="Newer piece", published_at="2026-06-01T10:00Z")
    html = client.get("/articles/").content.decode()
    assert html.index("Newer piece") < html.index("Older piece")


def test_search_by_title_is_case_insensitive(client: Client, db) -> None:
    make_article(title="Water scarcity on the Nile")
    make_article(title="Tunisian start-ups")
    response = client.get("/articles/", {"q": "nile"})
    html = response.content.decode()
    assert "Water scarcity on the Nile" in html
    assert "Tunisian start-ups" not in html
    assert "1 article matches" in html


@pytest.mark.parametrize(
    "query",
    ["elections egypte", "ÉLECTIONS", "Élections en Égypte", "egypte", "LECTIONS EN"],
)
def test_search_ignores_accents_and_case(client: Client, db, query: str) -> None:
    make_article(title="Élections en Égypte : le vote des réfugiés")
    make_article(title="Election night in Ohio")
    html = client.get("/articles/", {"q": query}).content.decode()
    assert "Élections en Égypte : le vote des réfugiés" in html
    assert "Election night in Ohio" not in html


def test_every_word_must_be_in_the_title(client: Client, db) -> None:
    make_article(title="Réfugiés au Liban")
    make_article(title="Budget du Liban")
    html = client.get("/articles/", {"q": "liban refugies"}).content.decode()
    assert "Réfugiés au Liban" in html
    assert "Budget du Liban" not in html


def test_search_follows_a_new_title(client: Client, db) -> None:
    article = make_article(title="Draft headline")
    article.title = "Sécheresse dans le Sahel"
    article.save(update_fields=["title"])
    assert (
        "Sécheresse dans le Sahel" in client.get("/articles/", {"q": "secheresse"}).content.decode()
    )


def test_search_finds_arabic_titles_without_vowel_marks(client: Client, db) -> None:
    make_article(title="مَهْرَجَان القاهرة", language="ar")
    html = client.get("/articles/", {"q": "مهرجان"}).content.decode()
    assert "مَهْرَجَان القاهرة" in html


def test_search_finds_arabic_titles(client: Client, db) -> None:
    make_article(title="مهرجان القاهرة السينمائي", language="ar")
    html = client.get("/articles/", {"q": "القاهرة"}).content.decode()
    assert "مهرجان القاهرة السينمائي" in html
    assert 'dir="rtl"' in html


def test_search_without_results_says_so(client: Client, db) -> None:
    make_article(title="Something")
    html = client.get("/articles/", {"q": "zzz-nothing"}).content.decode()
    assert "No articles found" in html


def test_search_query_is_escaped(client: Client, db) -> None:
    html = client.get("/articles/", {"q": "<script>x</script>"}).content.decode()
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_pagination_twenty_per_page_and_keeps_query(client: Client, db) -> None:
    for n in range(25):
        make_article(title=f"Gaza report {n:02d}")
    first = client.get("/articles/", {"q": "gaza"})
    assert len(first.context["page"].object_list) == 20
    assert "Page 1 of 2" in first.content.decode()
    assert "?q=gaza&amp;page=2" in first.content.decode()
    second = client.get("/articles/", {"q": "gaza", "page": "2"})
    assert len(second.context["page"].object_list) == 5


def test_bad_page_number_gives_a_page_not_an_error(client: Client, db) -> None:
    make_article()
    assert client.get("/articles/", {"page": "abc"}).status_code == 200
    assert client.get("/articles/", {"page": "999"}).status_code == 200


def test_overlong_query_is_ignored_not_an_error(client: Client, db) -> None:
    assert client.get("/articles/", {"q": "x" * 5000}).status_code == 200


def test_detail_shows_article_and_republish_button(client: Client, article) -> None:
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert article.title in html
    assert article.standfirst in html
    assert "By Test Author" in html
    assert f'href="{article.canonical_url}"' in html
    assert f'href="/articles/{article.slug}/republish/"' in html
    assert "Republish this article" in html


def test_detail_of_non_republishable_article_has_no_button(client: Client, db) -> None:
    article = make_article(republishable=False)
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert "Republish this article" not in html
    assert "Not available for republishing" in html


def test_arabic_article_page_is_right_to_left(client: Client, db) -> None:
    article = make_article(title="مهرجان القاهرة", language="ar")
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert '<article class="col-lg-9" dir="rtl" lang="ar">' in html


def test_english_title_on_a_french_page_is_marked_english(client: Client, db) -> None:
    article = make_article(title="Gaza ceasefire talks resume", language="en")
    client.cookies["django_language"] = "fr"
    html = client.get(f"/articles/{article.slug}/").content.decode()
    assert '<html lang="fr"' in html
    assert '<h1 lang="en">Gaza ceasefire talks resume</h1>' in html
    catalogue = client.get("/articles/").content.decode()
    assert 'class="h5 card-title" lang="en" dir="auto">' in catalogue


def test_unknown_slug_is_a_friendly_404(client: Client, db) -> None:
    response = client.get("/articles/nothing-here/")
    assert response.status_code == 404
    assert 'name="q"' in response.content.decode()


def test_catalogue_headings_do_not_skip_a_level(client: Client, db) -> None:
    make_article(title="A headline")
    html = client.get("/articles/").content.decode()
    levels = [int(n) for n in re.findall(r"<h([1-6])[\s>]", html)]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_a_word_in_many_titles_is_counted_to_a_cap(client: Client, db, monkeypatch) -> None:
    monkeypatch.setattr("licensing.views.public.ARTICLES_COUNT_CAP", 3)
    for n in range(5):
        make_article(title=f"Gaza report {n}")
    html = client.get("/articles/", {"q": "gaza"}).content.decode()
    assert "More than 3 articles match “gaza”." in html
    assert html.count("Gaza report") >= 5
