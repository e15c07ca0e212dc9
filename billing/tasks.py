"""Background work for billing, run by Django's tasks framework (ids in, not objects).

An email that meets a mail server outage queues itself again (portal.mail_retries).
"""

from django.tasks import task

from billing import emails
from billing.models import CreditNote, PaymentProblem
from portal.mail_retries import send_or_retry


@task
def send_payment_problem_email(*, problem_id: int, attempt: int = 1) -> str:
    problem = PaymentProblem.objects.select_related("invoice").get(pk=problem_id)
    if problem.resolved:
        # Finance sorted it out while the mail server was down: no alert any more.
        return "not sent: the problem is resolved"
    return send_or_retry(
        send_payment_problem_email,
        send=lambda: emails.send_payment_problem(problem),
        email_kind="payment_problem",
        invoice_number=problem.invoice.number if problem.invoice else "",
        attempt=attempt,
        problem_id=problem_id,
    )


@task
def store_credit_note_pdf(*, credit_note_id: int) -> str:
    """Make the credit note's PDF/A-3 once, at issue, and store it."""
    return CreditNote.objects.select_related("invoice").get(pk=credit_note_id).store_at_issue()
