"""Create a token for the read-only JSON API and print it once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from integrations.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create an API token for staff tools; the raw token is printed once, only its hash is kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Who or what will use the token, e.g. 'CMS sync'.")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        token, raw = ApiToken.create(name=name)
        self.stdout.write(f"Token “{token.name}” created ({token.prefix}…). Copy it now:")
        self.stdout.write(raw)
