"""Reading a publisher's RSS 2.0 or Atom feed into catalogue entries."""

import calendar
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

from licensing.models import Article, Language

FETCH_TIMEOUT_SECONDS = 30
MAX_FEED_BYTES = 20 * 1024 * 1024
_TAGS = re.compile(r"<[^>]+>")
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
    return " ".join(unescape(_TAGS.sub(" ", html or "")).split())


def read_feed_source(source: str) -> bytes:
    """The raw feed from an http(s) URL or a local file path."""
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked above)
                return bytes(response.read(MAX_FEED_BYTES))
        except (OSError, ValueError) as error:
            raise FeedError(f"Could not fetch {source}: {error}") from error
    path = Path(source)
    if not path.is_file():
        raise FeedError(f"No such file: {source}")
    return path.read_bytes()


def _language(code: str) -> str:
    short = (code or "").split("-")[0].split("_")[0].lower()
    return short if short in Language.values else Language.OTHER


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Every entry of the feed, or FeedError if any part of it is unusable."""
    parsed: Any = feedparser.parse(data)
    if parsed.bozo and not isinstance(parsed.bozo_exception, _HARMLESS_BOZO):
        raise FeedError(f"The feed is not well-formed: {parsed.bozo_exception}")
    if not parsed.version:
        raise FeedError("This is not an RSS 2.0 or Atom feed.")
    feed_language = parsed.feed.get("language", "")
    is_url = URLValidator(schemes=["http", "https"])
    entries = []
    for number, entry in enumerate(parsed.entries, start=1):
        title = _text(entry.get("title", ""))
        link = (entry.get("link") or "").strip()
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
                language=_language(entry.get("language") or feed_language),
                word_count=len(_text(content).split()) or None,
                has_images=has_images,
            )
        )
    return entries


def import_entries(entries: list[FeedEntry]) -> ImportResult:
    """Create or update articles by canonical URL, all or nothing."""
    result = ImportResult()
    names = [f.name for f in fields(FeedEntry)]
    with transaction.atomic():
        for entry in entries:
            values = {name: getattr(entry, name) for name in names}
            # A feed without full text must not erase a word count typed in the admin.
            if values["word_count"] is None:
                del values["word_count"]
            article = Article.objects.filter(canonical_url=entry.canonical_url).first()
            if article is None:
                article = Article(slug=Article.unique_slug_for(entry.title), **values)
                article.full_clean()
                article.save()
                result.created += 1
                continue
            changed = [name for name, value in values.items() if getattr(article, name) != value]
            if not changed:
                result.unchanged += 1
                continue
            for name in changed:
                setattr(article, name, values[name])
            article.full_clean()
            article.save()
            result.updated += 1
    return result
