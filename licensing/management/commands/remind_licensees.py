"""manage.py remind_licensees: daily. Remind licensees 30 and 7 days before a licence ends.

Each reminder goes once per licence (a LicenceReminder row is the record), in
the licensee's language, with a signed link to the request page and its
"Renew" button. A licence already being renewed is not reminded.
"""

from functools import partial
from typing import Any

from django.core.management.base import BaseCommand
from django.db import IntegrityError, transaction
from django.utils import timezone

from licensing import tasks
from licensing.models import LICENCE_REMINDER_DAYS, LicenceReminder


class Command(BaseCommand):
    help = "Remind licensees 30 and 7 days before their licence ends (each reminder once)."

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        sent = 0
        for days_before in LICENCE_REMINDER_DAYS:
            for licence in LicenceReminder.due(today=today, days_before=days_before):
                try:
                    with transaction.atomic():
                        # The row is the guard: a second run (or a second server) sends nothing.
                        LicenceReminder.objects.create(licence=licence, days_before=days_before)
                        transaction.on_commit(
                            partial(
                                tasks.send_licence_renewal_reminder_email.enqueue,
                                licence_id=licence.pk,
                                days_before=days_before,
                            )
                        )
                except IntegrityError:
                    continue  # reminded meanwhile by another run
                sent += 1
        self.stdout.write(f"{sent} licence reminder{'s' if sent != 1 else ''} sent.")
