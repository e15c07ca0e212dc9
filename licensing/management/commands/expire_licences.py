"""manage.py expire_licences: daily. Licences past their end date become expired."""

from functools import partial
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from licensing import tasks
from licensing.models import Licence, LicenceStatus


class Command(BaseCommand):
    help = "Mark valid licences whose end date has passed as expired, and tell the licensees."

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        ended = Licence.objects.filter(status=LicenceStatus.VALID, end_date__lt=today)
        count = 0
        for licence_id in ended.values_list("pk", flat=True):
            with transaction.atomic():
                # The filtered update is the guard: a licence expires and is emailed once.
                if Licence.objects.filter(pk=licence_id, status=LicenceStatus.VALID).update(
                    status=LicenceStatus.EXPIRED, expired_on=today
                ):
                    count += 1
                    transaction.on_commit(
                        partial(tasks.send_licence_expired_email.enqueue, licence_id=licence_id)
                    )
        self.stdout.write(f"{count} licence{'s' if count != 1 else ''} expired.")
