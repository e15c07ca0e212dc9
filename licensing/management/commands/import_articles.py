"""manage.py import_articles FEED: fill the catalogue from an RSS 2.0 or Atom feed."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from licensing.feeds import FeedError, import_entries, parse_feed, read_feed_source


class Command(BaseCommand):
    help = (
        "Import articles from an RSS 2.0 or Atom feed (an http(s) URL or a file). "
        "Articles are matched by canonical URL, so running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("feed", help="Feed URL (http or https) or path to a feed file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            entries = parse_feed(read_feed_source(options["feed"]))
            result = import_entries(entries)
        except FeedError as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        except ValidationError as error:
            raise CommandError(f"An entry is invalid: {error}. Nothing was imported.") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(entries)} entries read: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
        )
