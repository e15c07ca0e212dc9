"""manage.py withdraw_taken_down_licences: daily. After a takedown's grace period
(TAKEDOWN_GRACE_DAYS), the licences it reached end as withdrawn by the publisher."""

from typing import Any

from django.core.management.base import BaseCommand

from licensing.notices import ArticleNotice


class Command(BaseCommand):
    help = (
        "End the licences of taken-down articles whose grace period is over, as "
        "withdrawn by the publisher, and tell the licensees."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = ArticleNotice.withdraw_taken_down_licences()
        self.stdout.write(f"{count} licence{'s' if count != 1 else ''} withdrawn after a takedown.")
