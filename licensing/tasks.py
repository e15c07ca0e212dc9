"""Background work for licensing, run by Django's tasks framework.

Immediate backend in development and tests; a database worker in production.
Tasks take ids, not objects, so they can be queued as JSON.
"""

from django.tasks import task

from licensing import emails
from licensing.models import RepublicationRequest


@task
def send_request_submitted_emails(*, request_id: int) -> None:
    request = RepublicationRequest.objects.select_related("article").get(pk=request_id)
    emails.send_request_received(request)
    emails.send_new_request_to_reviewers(request)
