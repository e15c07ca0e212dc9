"""Background work for licensing, run by Django's tasks framework.

Immediate backend in development and tests; a database worker in production.
Tasks take ids, not objects, so they can be queued as JSON.
"""

from django.tasks import task

from licensing import emails
from licensing.models import RepublicationRequest


def _request(request_id: int) -> RepublicationRequest:
    return RepublicationRequest.objects.select_related("article", "assignee").get(pk=request_id)


@task
def send_request_submitted_emails(*, request_id: int) -> None:
    request = _request(request_id)
    emails.send_request_received(request)
    emails.send_new_request_to_reviewers(request)


@task
def send_information_requested_email(*, request_id: int) -> None:
    emails.send_information_requested(_request(request_id))


@task
def send_request_approved_email(*, request_id: int) -> None:
    emails.send_request_approved(_request(request_id))


@task
def send_request_declined_email(*, request_id: int) -> None:
    emails.send_request_declined(_request(request_id))


@task
def send_reply_received_email(*, request_id: int) -> None:
    emails.send_reply_received(_request(request_id))


@task
def send_quote_expired_email(*, request_id: int) -> None:
    emails.send_quote_expired(_request(request_id))


@task
def deliver_licence(*, licence_id: int) -> None:
    """Render and store the licence PDF, then email it to the licensee."""
    from licensing.models import Licence

    licence = Licence.objects.select_related("request__article").get(pk=licence_id)
    pdf = licence.store_pdf()
    emails.send_licence_issued(licence, pdf=pdf)


@task
def send_licence_revoked_email(*, request_id: int) -> None:
    emails.send_licence_revoked(_request(request_id).licence)


@task
def send_licence_expired_email(*, licence_id: int) -> None:
    from licensing.models import Licence

    emails.send_licence_expired(Licence.objects.select_related("request").get(pk=licence_id))
