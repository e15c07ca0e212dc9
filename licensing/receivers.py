"""Licensing's answers to billing's signals (billing never imports licensing)."""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from billing.models import Invoice
from billing.signals import invoice_paid
from licensing.models import RepublicationRequest, TransitionNotAllowed

logger = logging.getLogger(__name__)


@receiver(invoice_paid, dispatch_uid="licensing.license_paid_request")
def license_paid_request(sender: type[Invoice], invoice: Invoice, **kwargs: Any) -> None:
    # One transaction: the request is found locked, moved and given its licence.
    req: RepublicationRequest | None = None
    try:
        with transaction.atomic():
            req = RepublicationRequest.locked_for_invoice(invoice)
            if req is None:
                logger.warning("Invoice %s paid but no request refers to it", invoice.number)
                return
            licensed = req.mark_licensed(
                note=f"Invoice {invoice.number} paid.", already_locked=True
            )
    except TransitionNotAllowed:
        # The request was withdrawn or expired first; billing flags the money for refund.
        assert req is not None  # noqa: S101 - raised only after the request was found
        logger.warning(
            "Invoice %s paid but request %s is %s", invoice.number, req.reference, req.status
        )
        return
    if licensed:
        logger.info("Request %s licensed: invoice %s paid", req.reference, invoice.number)
