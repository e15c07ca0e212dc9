"""manage.py remind_reviewers: email the requests waiting on staff past the response target.

Meant for a daily cron or systemd timer. Assigned requests go to their
reviewer; unassigned ones to the reviewers' shared address. With
TASKS_BACKEND=database the worker sends them (and retries a mail outage).
"""

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from licensing.models import RepublicationRequest
from licensing.tasks import send_overdue_reminder_email


class Command(BaseCommand):
    help = "Remind reviewers of requests waiting on staff longer than the response target."

    def handle(self, *args: Any, **options: Any) -> None:
        overdue = (
            RepublicationRequest.objects.overdue()
            .select_related("article", "assignee")
            .order_by("waiting_since")
        )
        by_recipient: dict[str, list[RepublicationRequest]] = defaultdict(list)
        for req in overdue:
            recipient = (req.assignee.email if req.assignee else "") or settings.REVIEWERS_EMAIL
            by_recipient[recipient].append(req)
        for recipient, requests in by_recipient.items():
            # Through the task worker, so a mail outage retries the reminder
            # instead of failing the daily job.
            send_overdue_reminder_email.enqueue(request_ids=[r.pk for r in requests], to=recipient)
        total = sum(len(requests) for requests in by_recipient.values())
        self.stdout.write(
            f"{total} overdue request{'s' if total != 1 else ''}; "
            f"{len(by_recipient)} reminder{'s' if len(by_recipient) != 1 else ''} sent."
        )
