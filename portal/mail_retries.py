"""Email tasks that outlive a mail server outage: a failed send is queued again, later.

Every email task sends one email through `send_or_retry`. A temporary failure
(connection refused, timeout, a 4xx answer) queues the same task again with
`run_after`, further off each time, up to MAX_ATTEMPTS; a permanent refusal
(5xx) or the last attempt is logged as an error and fails the task.
"""

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.tasks import Task
from django.utils import timezone

from portal.structured_logging import reference_fields

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# The wait before attempt 2, 3, 4 and 5: about two and a half hours in all.
RETRY_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)


def is_temporary(error: Exception) -> bool:
    """Whether trying again later may work: network trouble or a 4xx answer, not a 5xx."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code < 500 for code, _message in error.recipients.values())
    # Connection refused or reset, DNS failure, timeout, dropped connection.
    return isinstance(error, (smtplib.SMTPException, OSError))


def send_or_retry(
    task: Task[..., Any],
    *,
    send: Callable[[], None],
    email_kind: str,
    attempt: int,
    request_reference: str = "",
    invoice_number: str = "",
    **task_kwargs: Any,
) -> str:
    """Run `send`; on a temporary failure queue `task(**task_kwargs, attempt=attempt + 1)`.

    The immediate task backend cannot run anything later, so there a failure
    is logged and given up at once; the submission or approval that queued
    the email has committed already and is not affected.
    """
    try:
        send()
    except (smtplib.SMTPException, OSError) as error:
        about = request_reference or invoice_number
        fields = reference_fields(
            request_reference=request_reference,
            invoice_number=invoice_number,
            email_kind=email_kind,
        )
        if not is_temporary(error):
            logger.error(
                "Email %s for %s refused by the mail server, not retried: %s",
                email_kind,
                about,
                error,
                extra=fields,
            )
            raise
        if attempt >= MAX_ATTEMPTS:
            logger.error(
                "Email %s for %s failed %s times, giving up: %s",
                email_kind,
                about,
                attempt,
                error,
                extra=fields,
            )
            raise
        if not task.get_backend().supports_defer:
            logger.error(
                "Email %s for %s failed and this task backend cannot retry later "
                "(TASKS_BACKEND=database can): %s",
                email_kind,
                about,
                error,
                extra=fields,
            )
            raise
        run_after = timezone.now() + RETRY_BACKOFF[attempt - 1]
        task.using(run_after=run_after).enqueue(**task_kwargs, attempt=attempt + 1)
        logger.warning(
            "Email %s for %s failed on attempt %s of %s, next at %s: %s",
            email_kind,
            about,
            attempt,
            MAX_ATTEMPTS,
            run_after.isoformat(),
            error,
            extra=fields,
        )
        return f"attempt {attempt} failed; attempt {attempt + 1} queued for {run_after.isoformat()}"
    return "sent"
