"""Billing's own listeners to its signals: work moved off the request that caused it."""

from typing import Any

from django.dispatch import receiver

from billing import tasks
from billing.models import CreditNote
from billing.signals import credit_note_issued


@receiver(credit_note_issued, dispatch_uid="billing.store_credit_note_pdf")
def store_credit_note_pdf(sender: type[CreditNote], credit_note: CreditNote, **kwargs: Any) -> None:
    """A credit note's PDF/A-3 is made and stored once, at issue, like the invoice's."""
    tasks.store_credit_note_pdf.enqueue(credit_note_id=credit_note.pk)
