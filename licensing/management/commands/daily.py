"""manage.py daily: the once-a-day jobs in one run, for one cron line or systemd timer.

Paid requests still awaiting their licence (first, so a paid quote is never
expired or reminded), licences whose PDF was never stored (delivered again),
quote expiry and reminders, licence expiry, the end of licences whose
article was taken down (after TAKEDOWN_GRACE_DAYS), licensees' renewal
reminders (30 and 7 days before a licence ends), reviewer reminders, deleting
requests never confirmed within 7 days, and the catalogue import from
PUBLISHER_FEED_URL (skipped when it is empty). Each job runs even
when an earlier one failed; the command fails if any did.
"""

import logging
import time
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the daily jobs: license_paid_requests, deliver_licences, expire_quotes, "
        "expire_licences, withdraw_taken_down_licences, remind_licensees, remind_reviewers, "
        "delete_unconfirmed and import_articles PUBLISHER_FEED_URL (skipped when unset). "
        "Fails if any job failed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs: list[tuple[str, list[str]]] = [
            ("license_paid_requests", []),
            ("deliver_licences", []),
            ("expire_quotes", []),
            ("expire_licences", []),
            ("withdraw_taken_down_licences", []),
            ("remind_licensees", []),
            ("remind_reviewers", []),
            ("delete_unconfirmed", []),
        ]
        if settings.PUBLISHER_FEED_URL:
            jobs.append(("import_articles", [settings.PUBLISHER_FEED_URL]))
        else:
            self.stdout.write("import_articles: skipped, PUBLISHER_FEED_URL is not set.")
        failed = []
        for name, arguments in jobs:
            started = time.monotonic()
            out = StringIO()
            try:
                call_command(name, *arguments, stdout=out, stderr=out)
            except Exception as error:  # one failing job must not stop the others
                failed.append(name)
                logger.exception("Daily job %s failed", name, extra={"job": name})
                self.stderr.write(f"{name}: FAILED: {error}")
                continue
            seconds = time.monotonic() - started
            summary = " ".join(out.getvalue().split()) or "done."
            logger.info("Daily job %s: %s", name, summary, extra={"job": name, "seconds": seconds})
            self.stdout.write(f"{name}: {summary}")
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(jobs)} daily jobs failed: {', '.join(failed)}."
            )
        self.stdout.write(self.style.SUCCESS(f"{len(jobs)} daily jobs done."))
