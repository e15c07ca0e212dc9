"""Licensing's answers to billing's signals (billing never imports licensing)."""

import logging
from typing import Any

from django.dispatch import receiver

from billing.models import Invoice
from billing.signals import invoice_paid
from licensing.models import RepublicationRequest, TransitionNotAllowed

logger = logging.getLogger(__name__)


@receiver(invoice_paid, dispatch_uid="licensing.license_paid_request")
def license_paid_request(sender: type[Invoice], invoice: Invoice, **kwargs: Any) -> None:
    req = RepublicationRequest.objects.filter(invoice=invoice).first()
    if req is None:
        logger.warning("Invoice %s paid but no request refers to it", invoice.number)
        return
    try:
        if req.mark_licensed(note=f"Invoice {invoice.number} paid."):
            logger.info("Request %s licensed: invoice %s paid", req.reference, invoice.number)
    except TransitionNotAllowed:
        # The request was withdrawn or expired first; billing flags the money for refund.
        logger.warning(
            "Invoice %s paid but request %s is %s", invoice.number, req.reference, req.status
        )
