"""Signed links to a request page: what every email to a requester (and the invoice) carries.

A link opens its request in any browser for REQUEST_LINK_MAX_AGE_DAYS and
signs the visitor in as that request's requester; the first one followed also
confirms an unconfirmed request. They are Django's timestamped signatures of
the request's id, salted for this use and the request's address, so a link
for one request never opens another.
"""

from __future__ import annotations

import enum
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from licensing.models import LicenceNotice, RepublicationRequest

# The query parameter of /requests/<uuid>/ that carries the signed value.
LINK_PARAMETER = "link"


def _signer(req: RepublicationRequest) -> signing.TimestampSigner:
    # Salted with the address too: a link made for one address never serves another.
    return signing.TimestampSigner(salt=f"licensing.request-link:{req.email.strip().lower()}")


def request_link(req: RepublicationRequest) -> str:
    """The absolute address of the request's page, signed for its requester."""
    token = _signer(req).sign(req.uuid.hex)
    return (
        f"{settings.PORTAL_BASE_URL}{req.get_absolute_url()}?{urlencode({LINK_PARAMETER: token})}"
    )


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def read_request_link(token: str, *, req: RepublicationRequest | None) -> LinkState:
    """What a link followed to the page of `req` (None: no such request) is worth.

    A link made for another request or address, or altered in any way, is invalid.
    """
    if req is None:
        return LinkState.INVALID
    return _read(_signer(req), token, signed=req.uuid.hex)


def _read(signer: signing.TimestampSigner, token: str, *, signed: str) -> LinkState:
    """What `token` is worth as a link that `signer` made for the value `signed`."""
    try:
        value = signer.unsign(token, max_age=timedelta(days=settings.REQUEST_LINK_MAX_AGE_DAYS))
        state = LinkState.VALID
    except signing.SignatureExpired:
        # Authentic but old: good only to fill in the sign-in page with the address.
        value = signer.unsign(token)
        state = LinkState.EXPIRED
    except signing.BadSignature:
        return LinkState.INVALID
    return state if value == signed else LinkState.INVALID


# --- Acknowledging a correction or takedown (licensing.notices) -------------


def _acknowledgement_signer(reached: LicenceNotice) -> signing.TimestampSigner:
    # Salted with the licensee's address, as request links are: a link made for one
    # licensee's notice never acknowledges another's, even for the same article.
    email = reached.licence.licensee_email.strip().lower()
    return signing.TimestampSigner(salt=f"licensing.notice-acknowledgement:{email}")


def acknowledgement_link(reached: LicenceNotice) -> str:
    """The absolute address of the notice's "Done" page, signed for its licensee.

    It only opens the page: acknowledging takes the page's button (a POST), so
    a mail scanner that follows every link acknowledges nothing.
    """
    token = _acknowledgement_signer(reached).sign(reached.uuid.hex)
    path = reverse("licensing:notice_acknowledge", args=[reached.uuid])
    return f"{settings.PORTAL_BASE_URL}{path}?{urlencode({LINK_PARAMETER: token})}"


def read_acknowledgement_link(token: str, *, reached: LicenceNotice | None) -> LinkState:
    """What an acknowledgement link followed to the page of `reached` (None: no such
    notice) is worth; it lasts as long as a request link."""
    if reached is None:
        return LinkState.INVALID
    return _read(_acknowledgement_signer(reached), token, signed=reached.uuid.hex)
