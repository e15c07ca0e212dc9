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
    """License the paid invoice's request, inside the transaction that marks it paid."""
    req = RepublicationRequest.objects.filter(invoice=invoice).first()
    if req is None:
        logger.warning("Invoice %s paid but no request refers to it", invoice.number)
        return
    try:
        licensed = req.mark_licensed(note=f"Invoice {invoice.number} paid.")
    except TransitionNotAllowed:
        # Withdrawn or expired first: the invoice was voided, and billing flags the money.
        logger.warning(
            "Invoice %s paid but request %s is %s", invoice.number, req.reference, req.status
        )
        return
    if licensed:
        logger.info("Request %s licensed: invoice %s paid", req.reference, invoice.number)
