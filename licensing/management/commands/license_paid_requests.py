"""manage.py license_paid_requests: daily. License every request whose invoice is paid.

A paid invoice licenses its request in the payment's own transaction; when
that hand-off failed (the payment stands, the licence did not follow), the
request still says "Awaiting payment". This finds each one, licenses it and
tells the desk what it repaired, or could not.
"""

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billing.models import InvoiceStatus
from licensing import tasks
from licensing.models import RepublicationRequest, RequestStatus, TransitionNotAllowed

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "License the requests whose invoice is paid but which are still awaiting payment."

    def handle(self, *args: Any, **options: Any) -> None:
        stuck = RepublicationRequest.objects.filter(
            status=RequestStatus.AWAITING_PAYMENT, invoice__status=InvoiceStatus.PAID
        ).select_related("invoice")
        licensed: list[int] = []
        failed: list[int] = []
        for req in stuck:
            assert req.invoice is not None  # noqa: S101 - filtered on its status
            note = f"Invoice {req.invoice.number} paid; licensed by the daily check."
            try:
                if req.mark_licensed(note=note):
                    licensed.append(req.pk)
                    logger.warning(
                        "Request %s licensed late: invoice %s was paid on %s",
                        req.reference,
                        req.invoice.number,
                        req.invoice.paid_at,
                    )
            except TransitionNotAllowed:
                continue  # withdrawn or licensed since the query: nothing to do
            except Exception:  # one request must not keep the others waiting
                logger.exception("Request %s: paid, and still not licensed", req.reference)
                failed.append(req.pk)
        if licensed or failed:
            tasks.send_paid_requests_licensed_email.enqueue(
                licensed_ids=licensed, failed_ids=failed
            )
        self.stdout.write(
            f"{len(licensed)} paid request{'s' if len(licensed) != 1 else ''} licensed."
        )
        if failed:
            raise CommandError(f"{len(failed)} paid requests could not be licensed; desk told.")
