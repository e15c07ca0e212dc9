"""The one entry point licensing uses to bill an approved request."""

from datetime import date

from billing.models import Buyer, Invoice


def bill_approved_request(
    *,
    reference: str,
    description: str,
    buyer: Buyer,
    amount_minor: int,
    currency: str,
    due_on: date,
) -> Invoice:
    """Issue the invoice for an approved request's net fee (VAT added as due).

    Runs inside the caller's transaction, so a failed approval leaves no
    invoice and gives its number back.
    """
    return Invoice.issue(
        reference=reference,
        description=description,
        buyer=buyer,
        amount_minor=amount_minor,
        currency=currency,
        due_on=due_on,
    )
