"""manage.py expire_licences: daily. Licences past their end date become expired."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from licensing.models import Licence, LicenceStateError, LicenceStatus


class Command(BaseCommand):
    help = "Mark valid licences whose end date has passed as expired, and tell the licensees."

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        ended = Licence.objects.filter(status=LicenceStatus.VALID, end_date__lt=today)
        count = 0
        for licence in ended:
            try:
                licence.expire(on=today)
            except LicenceStateError:
                continue  # revoked or expired since the query: expires and is emailed once
            count += 1
        self.stdout.write(f"{count} licence{'s' if count != 1 else ''} expired.")
