"""Queue the webhook deliveries whose next attempt is due (run every few minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from integrations.tasks import retry_due_deliveries


class Command(BaseCommand):
    help = "Retry webhook deliveries whose next attempt is due; gives up after the last attempt."

    def handle(self, *args: Any, **options: Any) -> None:
        count = retry_due_deliveries()
        self.stdout.write(f"{count} webhook deliver{'y' if count == 1 else 'ies'} queued.")
