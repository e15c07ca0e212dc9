"""What licensing tells the rest of the portal once a change has committed.

The models say what happened and never import what acts on it: licensing's
own emails (licensing.receivers) and integrations' webhooks listen here.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from licensing.models import Licence, RepublicationRequest
    from licensing.notices import ArticleNotice

logger = logging.getLogger(__name__)


class RequestEvent(StrEnum):
    SUBMITTED = "submitted"  # from the form: acknowledged, confirmation link included
    CONFIRMED = "confirmed"  # the address is proven: the request is the desk's now
    APPROVED = "approved"  # at a fee: the quote and its invoice are out
    DECLINED = "declined"
    INFORMATION_REQUESTED = "information_requested"
    REPLIED = "replied"
    QUOTE_EXPIRED = "quote_expired"
    EDITED = "edited"  # the requester changed what they asked, before the answer
    CANCELLED = "cancelled"  # by our desk (or a takedown), not by the requester: told why


# kwargs: request_id, event (a RequestEvent).
request_changed = Signal()
# kwargs: licence.
licence_issued = Signal()
licence_revoked = Signal()
licence_expired = Signal()
# Ended by a takedown's grace period (licensing.notices). kwargs: licence.
licence_withdrawn = Signal()
# A correction or takedown sent to an article's licensees (licensing.notices). kwargs: notice.
article_notice_sent = Signal()


def _send_on_commit(signal: Signal, sender: type[Any], **kwargs: Any) -> None:
    """Send `signal` once the surrounding transaction commits; a failing
    listener is logged and neither stops the others nor undoes the change."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Listener %r failed",
                    receiver,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)


def request_changed_on_commit(request: RepublicationRequest, event: RequestEvent) -> None:
    _send_on_commit(request_changed, type(request), request_id=request.pk, event=event)


def licence_changed_on_commit(signal: Signal, licence: Licence) -> None:
    """`signal` (licence_issued, _revoked, _expired or _withdrawn), with the licence as saved."""
    _send_on_commit(signal, type(licence), licence=licence)


def article_notice_sent_on_commit(notice: ArticleNotice) -> None:
    _send_on_commit(article_notice_sent, type(notice), notice=notice)
