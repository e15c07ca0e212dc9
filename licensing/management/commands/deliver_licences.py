"""manage.py deliver_licences: daily. Queue again each licence whose PDF was never stored.

deliver_licence stores the PDF and emails it, retrying a document store or
mail server that does not answer for about two and a half hours
(portal.mail_retries), then gives up. A longer bucket outage would leave the
licensee without the email, and nothing else would send it: this queues the
delivery again for every valid licence still without its PDF once that
retry budget has run out, so it never runs beside a retry still pending.
"""

import logging
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from licensing import tasks
from licensing.models import Licence, LicenceStatus
from portal.mail_retries import RETRY_BACKOFF

logger = logging.getLogger(__name__)

# Issued longer ago than every retry of its first delivery (and an hour at least).
UNDELIVERED_AFTER = max(timedelta(hours=1), sum(RETRY_BACKOFF, timedelta()) + timedelta(minutes=5))


class Command(BaseCommand):
    help = "Queue the delivery again of valid licences whose PDF was never stored."

    def handle(self, *args: Any, **options: Any) -> None:
        undelivered = Licence.objects.filter(
            status=LicenceStatus.VALID,
            pdf_sha256="",
            issued_at__lt=timezone.now() - UNDELIVERED_AFTER,
        ).order_by("pk")
        count = 0
        for licence in undelivered:
            logger.warning(
                "Licence %s issued on %s was never stored nor sent: delivery queued again",
                licence.number,
                licence.issued_at.isoformat(),
            )
            tasks.deliver_licence.enqueue(licence_id=licence.pk)
            count += 1
        self.stdout.write(f"{count} licence deliver{'ies' if count != 1 else 'y'} queued again.")
