"""The one entry point licensing uses to bill an approved request."""

from datetime import date

from billing.models import Quote


def bill_approved_request(
    *,
    reference: str,
    description: str,
    buyer_name: str,
    buyer_email: str,
    amount_minor: int,
    currency: str,
    valid_until: date,
) -> Quote:
    """Record the approved fee for the request `reference`.

    Runs inside the caller's transaction, so a failed approval leaves no quote.
    """
    quote = Quote(
        reference=reference,
        description=description,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        amount_minor=amount_minor,
        currency=currency,
        valid_until=valid_until,
    )
    quote.full_clean()
    quote.save()
    return quote
