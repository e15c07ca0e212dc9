"""Background work for billing, run by Django's tasks framework (ids in, not objects)."""

from django.tasks import task

from billing import emails
from billing.models import PaymentProblem


@task
def send_payment_problem_email(*, problem_id: int) -> None:
    emails.send_payment_problem(PaymentProblem.objects.select_related("invoice").get(pk=problem_id))
