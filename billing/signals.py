"""What billing tells the rest of the portal; licensing listens, billing never calls it."""

from django.dispatch import Signal

# Sent inside the transaction that marks an invoice paid, so a listener's
# writes commit (or roll back) with the payment; kwargs: invoice.
invoice_paid = Signal()
# Sent on commit when an open invoice is voided by a credit note; kwargs: invoice.
invoice_voided = Signal()
# Sent on commit when a credit note is issued (a cancellation or a refund);
# kwargs: credit_note. Billing itself stores its PDF (billing.receivers).
credit_note_issued = Signal()
