"""Outgoing webhooks: what a licence or article event says, and how one attempt is signed and
sent (integrations.tasks queues, attempts and retries deliveries)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import urllib3
from django.conf import settings

from integrations import destinations
from integrations.models import WebhookDelivery
from licensing.models import ArticleNotice, Licence

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_HEADER = "X-Portal-Event"
DELIVERY_HEADER = "X-Portal-Delivery"
# What a publisher's name keeps as written in the User-Agent.
USER_AGENT_SAFE = " !#$&'()*+,-./:;=?@[]_~"


def sign(*, secret: str, body: str, timestamp: int) -> str:
    """The X-Portal-Signature value: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def licence_data(licence: Licence) -> dict[str, Any]:
    """What a CMS needs to follow a licence; no personal data (no emails, no contact names)."""
    request = licence.request
    return {
        "licence": {
            "number": licence.number,
            "uuid": str(licence.uuid),
            "status": licence.status,
            "licensee": licence.licensee_name,
            "media": licence.media,
            "language": licence.language,
            "territory": licence.territory,
            "extent": licence.extent,
            "start_date": licence.start_date.isoformat(),
            "end_date": licence.end_date.isoformat() if licence.end_date else None,
            "issued_at": _iso(licence.issued_at),
            "revoked_at": _iso(licence.revoked_at),
            "withdrawn_on": licence.withdrawn_on.isoformat() if licence.withdrawn_on else None,
            "invoice_number": licence.invoice_number or None,
            "verify_url": licence.verify_url,
        },
        "request": {
            "reference": request.reference,
            "uuid": str(request.uuid),
            "status": request.status,
        },
        "article": {"title": licence.article_title, "canonical_url": licence.article_url},
    }


def notice_data(notice: ArticleNotice) -> dict[str, Any]:
    """A correction or takedown, with every licence it reached, for the CMS to follow up."""
    reached = notice.recipients.select_related("licence").order_by("licence__number")
    article = notice.article
    return {
        "notice": {
            "uuid": str(notice.uuid),
            "kind": notice.kind,
            "sent_at": _iso(notice.sent_at),
            # A correction's "what changed", or a takedown's details for the licensees.
            "message": notice.message,
            "reason": notice.reason or None,
            "remove_by": notice.remove_by.isoformat() if notice.remove_by else None,
        },
        "article": {
            "title": article.title,
            "canonical_url": article.canonical_url,
            "republishable": article.republishable,
        },
        "licence_numbers": [r.licence.number for r in reached],
        "licences": [
            {
                "number": r.licence.number,
                "status": r.licence.status,
                "licensee": r.licence.licensee_name,
                "verify_url": r.licence.verify_url,
            }
            for r in reached
        ],
    }


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: no error when delivered; `gone` when the receiver answered 410."""

    error: str = ""
    gone: bool = False


def _post(delivery: WebhookDelivery) -> Outcome:
    """Send once, to the address checked by integrations.destinations; never follows a redirect."""
    url = delivery.endpoint.url
    try:
        destination = destinations.check(url)
    except destinations.RefusedDestination as refused:
        return Outcome(f"Refusing to send to {url}: {refused}")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    default_port = 443 if destination.scheme == "https" else 80
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    headers = {
        # The name as written, though the connection goes to the checked address.
        "Host": host if destination.port == default_port else f"{host}:{destination.port}",
        "Content-Type": "application/json",
        # Header values are Latin-1 on the wire: a name in another script is
        # percent-encoded (UTF-8), as in a URL, rather than breaking every send.
        "User-Agent": f"{quote(settings.PUBLISHER_NAME, safe=USER_AGENT_SAFE)} republishing portal",
        SIGNATURE_HEADER: sign(
            secret=delivery.endpoint.secret, body=body, timestamp=int(time.time())
        ),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.uuid),
        "Idempotency-Key": str(delivery.uuid),
    }
    # total: connecting and the wait for the answer share one budget, so a
    # slow connect leaves less time to answer, not another TIMEOUT_SECONDS.
    timeout = urllib3.Timeout(total=TIMEOUT_SECONDS, connect=TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if destination.scheme == "https":
        # Connected to the address, while TLS (SNI and the certificate check)
        # uses the name: no second lookup that could answer differently.
        pool = urllib3.HTTPSConnectionPool(
            destination.address,
            destination.port,
            timeout=timeout,
            retries=False,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            destination.address, destination.port, timeout=timeout, retries=False
        )
    try:
        response = pool.urlopen(
            "POST",
            destination.path,
            body=body.encode(),
            headers=headers,
            redirect=False,
            retries=False,
            assert_same_host=False,
            # Only the status line and headers are read: a receiver dripping
            # its body cannot hold the worker.
            preload_content=False,
        )
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
        # ValueError (UnicodeError among them): http.client refusing a header
        # or a URL it cannot encode, as permanent as a refused connection.
        pool.close()
        return Outcome(f"Could not reach {url}: {error}")
    # Closed unread, never returned to the pool half-read.
    response.close()
    pool.close()
    status = response.status
    if 200 <= status < 300:
        return Outcome()
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        return Outcome(
            f"HTTP {status} from {url}, a redirect to {location or 'nowhere'}: "
            "redirects are not followed; update the endpoint's URL."
        )
    if status == 410:
        return Outcome(f"HTTP 410 Gone from {url}: the receiver is gone.", gone=True)
    return Outcome(f"HTTP {status} from {url}")


def attempt(delivery: WebhookDelivery) -> Outcome:
    """How the claimed attempt went; never raises.

    The attempt is already counted: an exception escaping here would leave
    it unrecorded and the task retried, past MAX_ATTEMPTS, for ever.
    """
    if not delivery.endpoint.active:
        return Outcome("Endpoint deactivated before the attempt.")
    try:
        return _post(delivery)
    except Exception as error:
        logger.exception("Webhook %s attempt broke", delivery.uuid)
        return Outcome(f"Could not send to {delivery.endpoint.url}: {error}")
