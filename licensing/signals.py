"""What licensing tells the rest of the portal (integrations listens; licensing never calls it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from licensing.models import Licence

# Sent on commit when a licence is issued; kwargs: licence.
licence_issued = Signal()
# Sent on commit when a licence is revoked; kwargs: licence.
licence_revoked = Signal()


def send_on_commit(signal: Signal, *, licence_id: int, licence: Licence | None = None) -> None:
    """Send `signal` once the surrounding transaction commits, with the licence as it is then.

    `licence`: the instance just saved in that transaction (with its request),
    sent as it is; without it the licence is read again after the commit.
    """

    def send() -> None:
        from licensing.models import Licence

        committed = licence or Licence.objects.select_related("request").get(pk=licence_id)
        signal.send(sender=Licence, licence=committed)

    # robust: a failing listener must not stop the callbacks queued after this one.
    transaction.on_commit(send, robust=True)
