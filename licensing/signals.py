"""What licensing tells the rest of the portal (integrations listens; licensing never calls it)."""

from django.db import transaction
from django.dispatch import Signal

# Sent on commit when a licence is issued; kwargs: licence.
licence_issued = Signal()
# Sent on commit when a licence is revoked; kwargs: licence.
licence_revoked = Signal()


def send_on_commit(signal: Signal, *, licence_id: int) -> None:
    """Send `signal` once the surrounding transaction commits, with the licence as it is then."""

    def send() -> None:
        from licensing.models import Licence

        licence = Licence.objects.select_related("request").get(pk=licence_id)
        signal.send(sender=Licence, licence=licence)

    # robust: a failing listener must not stop the callbacks queued after this one.
    transaction.on_commit(send, robust=True)
