"""manage.py expire_quotes: daily. Expire unpaid quotes past validity; remind before.

Expiry voids the invoice with a credit note. The reminder goes once,
QUOTE_REMINDER_DAYS_BEFORE days before the quote lapses. A paid invoice is
neither expired nor reminded, even while its request waits for the licence.
"""

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing.models import InvoiceStatus
from licensing import tasks
from licensing.models import RepublicationRequest, TransitionNotAllowed


class Command(BaseCommand):
    help = "Expire unpaid quotes past their validity and remind requesters before they lapse."

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        # An open invoice only: a paid quote is licensed (or repaired by daily), never expired.
        awaiting = RepublicationRequest.objects.awaiting_payment().filter(
            invoice__status=InvoiceStatus.OPEN
        )
        expired = 0
        for req in awaiting.filter(quote_valid_until__lt=today):
            try:
                req.expire()
                expired += 1
            except TransitionNotAllowed:
                continue  # paid or withdrawn since the query: nothing to do
        reminded = 0
        horizon = today + timedelta(days=settings.QUOTE_REMINDER_DAYS_BEFORE)
        due_soon = awaiting.filter(
            quote_valid_until__gte=today,
            quote_valid_until__lte=horizon,
            quote_reminder_sent_at__isnull=True,
        ).select_related("article", "invoice")
        for req in due_soon:
            with transaction.atomic():
                # The update is the guard: a second run the same day sends nothing.
                claimed = RepublicationRequest.objects.filter(
                    pk=req.pk, quote_reminder_sent_at__isnull=True
                ).update(quote_reminder_sent_at=timezone.now())
                if claimed:
                    transaction.on_commit(
                        partial(
                            tasks.send_request_email.enqueue,
                            request_id=req.pk,
                            email="quote_reminder",
                        )
                    )
                    reminded += 1
        self.stdout.write(f"{expired} quotes expired, {reminded} reminders sent.")
