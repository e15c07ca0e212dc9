"""manage.py import_articles FEED: RSS 2.0 and Atom, from a file or a URL, all or nothing."""

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from licensing.models import Article
from tests.factories import make_article

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
RSS = FEEDS / "rss2.xml"
RSS_UPDATED = FEEDS / "rss2_updated.xml"
ATOM = FEEDS / "atom.xml"

MARSHES_URL = "https://news.example.org/news/drought-iraq-marshlands"
BEIRUT_URL = "https://news.example.org/ar/news/beirut-book-fair"
COMMENT_URL = "https://news.example.org/opinion/drought-iraq-marshlands-comment"
METRO_FR_URL = "https://fr.example.org/2026/03/caire-metro"
METRO_EN_URL = "https://fr.example.org/en/2026/03/cairo-metro"

pytestmark = pytest.mark.django_db


def import_feed(feed: str | Path) -> str:
    out = StringIO()
    call_command("import_articles", str(feed), stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple[Any, ...]]:
    """Every stored article, field by field, to prove an import changed nothing."""
    return list(Article.objects.order_by("pk").values_list())


class FeedServer:
    """A local HTTP server answering each path with the body registered for it."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path not in pages:
                    self.send_error(404, "Not Found")
                    return
                body, content_type = pages[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, body: bytes, content_type: str = "application/rss+xml") -> str:
        self.pages[path] = (body, content_type)
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: bound once to pick it, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- Importing good feeds -------------------------------------------------------------


def test_rss_feed_imports_every_item_with_its_fields() -> None:
    output = import_feed(RSS)

    assert "3 created, 0 updated, 0 unchanged" in output
    assert Article.objects.count() == 3

    marshes = Article.objects.get(canonical_url=MARSHES_URL)
    assert marshes.title == "Drought tests Iraq's marshlands"
    # HTML and entities gone; inline tags do not split words or detach punctuation.
    assert marshes.standfirst == (
        "The Mesopotamian marshes of Iraq's south shrink & herders move on."
    )
    assert marshes.author == "Leila Ahmed"
    # pubDate was 14:30 +02:00.
    assert marshes.published_at == datetime(2026, 2, 3, 12, 30, tzinfo=UTC)
    assert marshes.published_at is not None
    assert marshes.published_at.utcoffset() == timedelta(0)
    assert marshes.section == "Environment"  # the first category
    assert marshes.language == "en"  # channel language en-gb
    # content:encoded "One two three four five. Six seven, eight<br/>nine ten."
    assert marshes.word_count == 10
    assert marshes.has_images is True  # image enclosure
    assert marshes.republishable is True

    beirut = Article.objects.get(canonical_url=BEIRUT_URL)
    assert beirut.title == "مهرجان للكتاب في بيروت"
    assert beirut.standfirst == "معرض الكتاب يعود إلى بيروت بعد غياب."
    assert beirut.author == "سامي خليل"
    assert beirut.language == "ar"  # the item's dc:language beats the channel's
    assert beirut.section == "ثقافة"
    assert beirut.published_at == datetime(2026, 2, 4, 8, 0, tzinfo=UTC)
    assert beirut.word_count is None  # no full text in the feed
    assert beirut.has_images is True  # media:content
    assert beirut.is_rtl

    comment = Article.objects.get(canonical_url=COMMENT_URL)
    assert comment.title == marshes.title
    assert comment.author == "Omar Said"
    assert comment.section == ""
    assert comment.has_images is False
    assert comment.word_count is None


def test_equal_titles_and_non_latin_titles_get_unique_slugs() -> None:
    taken = make_article(slug="drought-tests-iraqs-marshlands")

    import_feed(RSS)

    slugs = {a.canonical_url: a.slug for a in Article.objects.exclude(pk=taken.pk)}
    assert slugs[MARSHES_URL] == "drought-tests-iraqs-marshlands-2"
    assert slugs[COMMENT_URL] == "drought-tests-iraqs-marshlands-3"
    assert slugs[BEIRUT_URL]  # an Arabic title still yields a usable slug
    all_slugs = list(Article.objects.values_list("slug", flat=True))
    assert len(all_slugs) == len(set(all_slugs)) == 4


def test_atom_feed_imports_every_entry_with_its_fields() -> None:
    output = import_feed(ATOM)

    assert "2 created, 0 updated, 0 unchanged" in output
    assert Article.objects.count() == 2

    metro = Article.objects.get(canonical_url=METRO_FR_URL)
    assert metro.title == "Au Caire, le métro s'agrandit"
    assert metro.standfirst == "La ligne 4 ouvre enfin."
    assert metro.author == "Claire Martin"
    # <published> 10:00+01:00 wins over <updated>.
    assert metro.published_at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert metro.section == "Transports"
    assert metro.language == "fr"  # the feed's xml:lang
    assert metro.word_count == 7
    assert metro.has_images is True  # image/png enclosure link
    assert metro.slug == "au-caire-le-metro-sagrandit"

    english = Article.objects.get(canonical_url=METRO_EN_URL)
    assert english.title == "Cairo metro expands"
    assert english.standfirst == "Line 4 finally opens."
    # No <published>: the <updated> date is used.
    assert english.published_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert english.language == "en"  # the entry's own xml:lang beats the feed's
    assert english.section == ""
    assert english.word_count is None
    assert english.has_images is False


@pytest.mark.parametrize(("feed", "count"), [(RSS, 3), (ATOM, 2)], ids=["rss", "atom"])
def test_importing_the_same_feed_again_changes_nothing(feed: Path, count: int) -> None:
    assert f"{count} created, 0 updated, 0 unchanged" in import_feed(feed)
    before = snapshot()

    output = import_feed(feed)

    assert f"0 created, 0 updated, {count} unchanged" in output
    # Same rows, same slugs, same updated_at: nothing was saved again.
    assert snapshot() == before


def test_updated_feed_updates_by_canonical_url_and_keeps_admin_word_count() -> None:
    import_feed(RSS)
    # Staff typed the word count of the comment piece in the admin.
    Article.objects.filter(canonical_url=COMMENT_URL).update(word_count=950)
    before = {a.canonical_url: a for a in Article.objects.all()}

    # Same links; the Arabic headline changed and the full text of the first item is gone.
    output = import_feed(RSS_UPDATED)

    assert "0 created, 1 updated, 2 unchanged" in output
    assert Article.objects.count() == 3
    after = {a.canonical_url: a for a in Article.objects.all()}

    beirut = after[BEIRUT_URL]
    assert beirut.title == "معرض بيروت للكتاب يعود بعد غياب"
    assert beirut.pk == before[BEIRUT_URL].pk
    assert beirut.slug == before[BEIRUT_URL].slug  # links to the article keep working
    assert beirut.updated_at > before[BEIRUT_URL].updated_at

    # A feed without full text erases neither a counted nor a typed word count.
    assert after[MARSHES_URL].word_count == 10
    assert after[COMMENT_URL].word_count == 950
    for url in (MARSHES_URL, COMMENT_URL):
        assert after[url].updated_at == before[url].updated_at


def test_feed_without_dates_keeps_the_admin_publication_date(tmp_path: Path) -> None:
    published = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)
    existing = make_article(
        canonical_url=COMMENT_URL, title="Old headline", published_at=published, word_count=400
    )
    feed = tmp_path / "undated.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<link>https://news.example.org/</link><description>d</description>"
        f"<item><title>New headline</title><link>{COMMENT_URL}</link></item>"
        "</channel></rss>",
        encoding="utf-8",
    )

    output = import_feed(feed)

    assert "0 created, 1 updated, 0 unchanged" in output
    existing.refresh_from_db()
    assert existing.title == "New headline"
    assert existing.published_at == published
    assert existing.word_count == 400


def test_imports_a_feed_from_a_url(feed_server: FeedServer) -> None:
    url = feed_server.url("/feeds/news.rss", RSS.read_bytes())

    output = import_feed(url)

    assert "3 created, 0 updated, 0 unchanged" in output
    assert set(Article.objects.values_list("canonical_url", flat=True)) == {
        MARSHES_URL,
        BEIRUT_URL,
        COMMENT_URL,
    }
    assert Article.objects.get(canonical_url=MARSHES_URL).word_count == 10

    assert "0 created, 0 updated, 3 unchanged" in import_feed(url)


def test_imports_an_atom_feed_from_a_url(feed_server: FeedServer) -> None:
    url = feed_server.url("/atom", ATOM.read_bytes(), "application/atom+xml; charset=utf-8")

    assert "2 created, 0 updated, 0 unchanged" in import_feed(url)
    assert Article.objects.get(canonical_url=METRO_EN_URL).language == "en"


# --- Broken feeds: a clear error and nothing imported ---------------------------------

RSS_TEXT = RSS.read_text(encoding="utf-8")
HTML_PAGE = (
    "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>News</title></head>"
    "<body><h1>Latest news</h1><p>Welcome<br></p></body></html>"
)
BROKEN_FEEDS = {
    "truncated": (RSS_TEXT[: len(RSS_TEXT) * 2 // 3], "not well-formed"),
    "malformed": (RSS_TEXT.replace("</title>", "</titel>", 2), "not well-formed"),
    "html-page": (HTML_PAGE, "not well-formed"),
    "xhtml-page": (
        "<html><head><title>News</title></head><body><p>Hello</p></body></html>",
        "not an RSS 2.0 or Atom feed",
    ),
    "empty": ("", "not an RSS 2.0 or Atom feed"),
    "second-entry-without-link": (
        RSS_TEXT.replace(f"<link>{BEIRUT_URL}</link>", ""),
        "Entry 2 ('مهرجان للكتاب في بيروت') has no valid http(s) link",
    ),
    "second-entry-javascript-link": (
        RSS_TEXT.replace(BEIRUT_URL, "javascript:alert(document.cookie)"),
        "Entry 2 ('مهرجان للكتاب في بيروت') has no valid http(s) link",
    ),
    "second-entry-relative-link": (
        RSS_TEXT.replace(BEIRUT_URL, "/ar/news/beirut-book-fair"),
        "Entry 2 ('مهرجان للكتاب في بيروت') has no valid http(s) link",
    ),
    "second-entry-without-title": (
        RSS_TEXT.replace("<title>مهرجان للكتاب في بيروت</title>", ""),
        "Entry 2 has no title",
    ),
    "third-entry-url-too-long": (
        RSS_TEXT.replace(COMMENT_URL, COMMENT_URL + "-" + "x" * 500),
        'Entry 3 ("Drought tests Iraq\'s marshlands") is invalid: canonical_url:',
    ),
}


@pytest.mark.parametrize(
    ("content", "message"), BROKEN_FEEDS.values(), ids=list(BROKEN_FEEDS.keys())
)
def test_broken_feed_file_is_refused_and_nothing_imported(
    tmp_path: Path, article: Article, content: str, message: str
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(content, encoding="utf-8")
    before = snapshot()

    with pytest.raises(CommandError) as raised:
        import_feed(feed)

    assert message in str(raised.value)
    assert str(raised.value).endswith("Nothing was imported.")
    assert Article.objects.count() == 1
    assert snapshot() == before


def test_failure_late_in_the_feed_rolls_back_earlier_updates(tmp_path: Path) -> None:
    import_feed(RSS)
    before = snapshot()
    # Entry 1 would be updated, entry 3 can only fail when saved.
    feed = tmp_path / "feed.xml"
    feed.write_text(
        RSS_TEXT.replace("Drought tests Iraq's marshlands</title>", "Retitled</title>", 1).replace(
            COMMENT_URL, COMMENT_URL + "-" + "x" * 500
        ),
        encoding="utf-8",
    )

    with pytest.raises(CommandError):
        import_feed(feed)

    assert snapshot() == before
    assert Article.objects.get(canonical_url=MARSHES_URL).title != "Retitled"


def test_missing_file_is_refused(tmp_path: Path, article: Article) -> None:
    missing = tmp_path / "no-such-feed.xml"

    with pytest.raises(CommandError, match="No such file") as raised:
        import_feed(missing)

    assert str(missing) in str(raised.value)
    assert Article.objects.count() == 1


def test_directory_is_refused(tmp_path: Path, article: Article) -> None:
    with pytest.raises(CommandError, match="No such file"):
        import_feed(tmp_path)
    assert Article.objects.count() == 1


def test_unreachable_url_is_refused(closed_port: int, article: Article) -> None:
    url = f"http://127.0.0.1:{closed_port}/feed.xml"

    with pytest.raises(CommandError) as raised:
        import_feed(url)

    assert f"Could not fetch {url}" in str(raised.value)
    assert "Nothing was imported." in str(raised.value)
    assert Article.objects.count() == 1


def test_url_answering_404_is_refused(feed_server: FeedServer, article: Article) -> None:
    url = feed_server.url("/exists.xml", RSS.read_bytes()).replace("/exists.xml", "/gone.xml")

    with pytest.raises(CommandError, match=r"Could not fetch .*/gone\.xml: HTTP Error 404"):
        import_feed(url)

    assert Article.objects.count() == 1


def test_html_page_at_a_url_is_refused(feed_server: FeedServer, article: Article) -> None:
    url = feed_server.url("/news", HTML_PAGE.encode(), "text/html; charset=utf-8")

    with pytest.raises(CommandError, match="not well-formed"):
        import_feed(url)

    assert Article.objects.count() == 1


def test_body_naming_a_local_file_is_not_read_from_disk(
    feed_server: FeedServer, article: Article
) -> None:
    """feedparser treats bytes as a file name first; the import must not follow it."""
    url = feed_server.url("/feed", str(RSS.resolve()).encode(), "text/plain")

    with pytest.raises(CommandError, match="The feed is not well-formed"):
        import_feed(url)

    assert Article.objects.count() == 1


@pytest.mark.parametrize("from_url", [False, True], ids=["file", "url"])
def test_oversized_feed_is_refused_not_cut_short(
    monkeypatch: pytest.MonkeyPatch, feed_server: FeedServer, article: Article, from_url: bool
) -> None:
    monkeypatch.setattr("licensing.feeds.MAX_FEED_BYTES", 1000)
    source = feed_server.url("/big.xml", RSS.read_bytes()) if from_url else str(RSS)

    with pytest.raises(CommandError, match="The feed is larger than"):
        import_feed(source)

    assert Article.objects.count() == 1


# --- The article's own address and language --------------------------------------

TRACKED_RSS = """<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>News</title><link>https://news.example.org/</link><description>d</description>
<item><title>Drought in the marshes</title>
<link>https://news.example.org/news/marshes?utm_source=rss&amp;utm_medium=feed&amp;page=2</link></item>
<item><title>معرض بيروت للكتاب</title><link>https://news.example.org/ar/book-fair?fbclid=x</link></item>
<item><title>Le métro du Caire</title><link>https://news.example.org/fr/metro</link>
<dc:language>fr</dc:language></item>
</channel></rss>"""

CANONICAL_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>t</title><id>x</id>
<updated>2026-01-01T00:00:00Z</updated>
<entry><title>Le port de Tunis</title><id>1</id><updated>2026-01-01T00:00:00Z</updated>
<link href="https://news.example.org/go/123?utm_campaign=a"/>
<link rel="canonical" href="https://news.example.org/fr/port-de-tunis"/></entry>
</feed>"""


def test_tracking_parameters_are_stripped_and_the_real_link_finds_the_article(
    tmp_path: Path, client
) -> None:
    feed = tmp_path / "tracked.xml"
    feed.write_text(TRACKED_RSS, encoding="utf-8")
    import_feed(feed)
    urls = set(Article.objects.values_list("canonical_url", flat=True))
    assert urls == {
        "https://news.example.org/news/marshes?page=2",
        "https://news.example.org/ar/book-fair",
        "https://news.example.org/fr/metro",
    }
    # Running it again changes nothing.
    assert "0 created, 0 updated, 3 unchanged" in import_feed(feed)
    # The publisher's own link (as readers have it) opens the form.
    marshes = Article.objects.get(title="Drought in the marshes")
    response = client.get("/republish/", {"url": "https://news.example.org/news/marshes?page=2"})
    assert response["Location"] == marshes.get_republish_url()


def test_language_comes_from_the_entry_then_the_title_script(tmp_path: Path) -> None:
    feed = tmp_path / "tracked.xml"
    feed.write_text(TRACKED_RSS, encoding="utf-8")
    import_feed(feed)
    languages = dict(Article.objects.values_list("title", "language"))
    assert languages == {
        "Drought in the marshes": "en",
        "معرض بيروت للكتاب": "ar",
        "Le métro du Caire": "fr",
    }


def test_an_entrys_canonical_link_wins_and_atom_xml_lang_is_read(tmp_path: Path) -> None:
    feed = tmp_path / "canonical.xml"
    feed.write_text(CANONICAL_ATOM, encoding="utf-8")
    import_feed(feed)
    article = Article.objects.get()
    assert article.canonical_url == "https://news.example.org/fr/port-de-tunis"
    assert article.language == "fr"
