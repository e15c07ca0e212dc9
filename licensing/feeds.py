"""Reading a publisher's RSS 2.0 or Atom feed into catalogue entries."""

import calendar
import io
import re
import urllib.request
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

import feedparser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from licensing.models import Article, Language, guess_language, without_tracking

FETCH_TIMEOUT_SECONDS = 30
MAX_FEED_BYTES = 20 * 1024 * 1024
_TAGS = re.compile(r"<[^>]+>")
# Tags that separate words; any other tag (<b>, <a>, <em>...) may sit inside a
# word or before punctuation ("<em>Guardian</em>'s") and is removed without a gap.
_BREAKING_TAGS = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]"
    r"|header|hr|img|li|ol|p|pre|section|table|td|th|tr|ul)\b[^>]*>",
    re.IGNORECASE,
)
# feedparser flags these when the XML is fine but the declared encoding or
# content type is off; the entries are still trustworthy.
_HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


class FeedError(Exception):
    """The feed could not be read or is not a valid RSS/Atom feed."""


@dataclass(frozen=True)
class FeedEntry:
    title: str
    canonical_url: str
    standfirst: str
    author: str
    published_at: datetime | None
    section: str
    language: str
    word_count: int | None
    has_images: bool


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _text(html: str) -> str:
    return " ".join(unescape(_TAGS.sub("", _BREAKING_TAGS.sub(" ", html or ""))).split())


def read_feed_source(source: str) -> bytes:
    """The raw feed from an http(s) URL or a local file path."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked above)
                data = bytes(response.read(MAX_FEED_BYTES + 1))
        except (OSError, ValueError) as error:
            raise FeedError(f"Could not fetch {source}: {error}") from error
    else:
        path = Path(source)
        if not path.is_file():
            raise FeedError(f"No such file: {source}")
        try:
            with path.open("rb") as file:
                data = file.read(MAX_FEED_BYTES + 1)
        except OSError as error:
            raise FeedError(f"Could not read {source}: {error}") from error
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(f"The feed is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB.")
    return data


def _language(code: str, *, title: str) -> str:
    """The entry's declared language; without one, the one its title's script points to."""
    short = (code or "").split("-")[0].split("_")[0].lower()
    if not short:
        return guess_language(title)
    return short if short in Language.values else Language.OTHER


def _own_address(entry: Any) -> str:
    """The article's own address: its canonical link when the entry gives one, else
    its link without the tracking parameters feeds add (?utm_source=rss)."""
    canonical = next(
        (link.get("href", "") for link in entry.get("links", []) if link.get("rel") == "canonical"),
        "",
    )
    return without_tracking(canonical or entry.get("link") or "")


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Every entry of the feed, or FeedError if any part of it is unusable."""
    # A stream, not bytes: feedparser tries bytes as a file name first, so a
    # body such as b"/etc/passwd" or b"/dev/zero" would be read from local disk.
    parsed: Any = feedparser.parse(io.BytesIO(data))
    if parsed.bozo and not isinstance(parsed.bozo_exception, _HARMLESS_BOZO):
        raise FeedError(f"The feed is not well-formed: {parsed.bozo_exception}")
    # An empty document has no "version" key at all.
    if not parsed.get("version"):
        raise FeedError("This is not an RSS 2.0 or Atom feed.")
    feed_language = parsed.feed.get("language", "")
    is_url = URLValidator(schemes=["http", "https"])
    entries = []
    for number, entry in enumerate(parsed.entries, start=1):
        title = _text(entry.get("title", ""))
        link = _own_address(entry)
        if not title:
            raise FeedError(f"Entry {number} has no title.")
        try:
            is_url(link)
        except ValidationError as error:
            raise FeedError(f"Entry {number} ({title!r}) has no valid http(s) link.") from error
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        content = " ".join(part.get("value", "") for part in entry.get("content", []))
        tags = entry.get("tags") or []
        has_images = bool(entry.get("media_content") or entry.get("media_thumbnail")) or any(
            str(link_.get("type", "")).startswith("image/") for link_ in entry.get("links", [])
        )
        entries.append(
            FeedEntry(
                title=title[:300],
                canonical_url=link,
                standfirst=_text(entry.get("summary", "")),
                author=_text(entry.get("author", ""))[:200],
                published_at=datetime.fromtimestamp(calendar.timegm(when), tz=UTC)
                if when
                else None,
                section=_text(tags[0].get("term", ""))[:100] if tags else "",
                # RSS items may carry dc:language; Atom entries inherit xml:lang,
                # which feedparser reports on the title.
                language=_language(
                    entry.get("language")
                    or (entry.get("title_detail") or {}).get("language")
                    or feed_language,
                    title=title,
                ),
                word_count=len(_text(content).split()) or None,
                has_images=has_images,
            )
        )
    return entries


def _save(article: Article, number: int, entry: FeedEntry) -> None:
    try:
        article.full_clean()
    except ValidationError as error:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
        )
        raise FeedError(f"Entry {number} ({entry.title!r}) is invalid: {problems}") from error
    article.save()


def import_entries(entries: list[FeedEntry]) -> ImportResult:
    """Create or update articles by canonical URL, all or nothing."""
    result = ImportResult()
    names = [f.name for f in fields(FeedEntry)]
    with transaction.atomic():
        for number, entry in enumerate(entries, start=1):
            values = {name: getattr(entry, name) for name in names}
            # A feed without full text or dates must not erase a word count or
            # publication date typed in the admin.
            for name in ("word_count", "published_at"):
                if values[name] is None:
                    del values[name]
            article = Article.objects.filter(canonical_url=entry.canonical_url).first()
            if article is None:
                article = Article(slug=Article.unique_slug_for(entry.title), **values)
                _save(article, number, entry)
                result.created += 1
                continue
            changed = [name for name, value in values.items() if getattr(article, name) != value]
            if not changed:
                result.unchanged += 1
                continue
            for name in changed:
                setattr(article, name, values[name])
            _save(article, number, entry)
            result.updated += 1
    return result
