"""manage.py delete_unconfirmed: forget requests whose email was never confirmed (daily)."""

from typing import Any

from django.core.management.base import BaseCommand

from licensing.models import UNCONFIRMED_LIFETIME, RepublicationRequest


class Command(BaseCommand):
    help = (
        f"Delete requests whose email address was not confirmed within "
        f"{UNCONFIRMED_LIFETIME.days} days of sending."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = RepublicationRequest.delete_unconfirmed()
        self.stdout.write(f"{deleted} unconfirmed request(s) deleted.")
