"""Gapless document numbering shared by every app (requests, invoices, licences)."""

from django.db import models, transaction


class DocumentSequence(models.Model):
    """One counter row per document prefix and year, e.g. ("RR", 2026)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="unique_sequence_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_value}"


def allocate_number(*, prefix: str, year: int, width: int) -> str:
    """Return the next number such as RR-2026-00001, gapless within a year.

    Must run inside the transaction that stores the numbered document: the
    counter row stays locked until that transaction ends, so a rollback
    gives the number back and concurrent callers wait instead of sharing it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_number() must be called inside transaction.atomic()")
    # The year's first caller creates the row; a concurrent twin's insert loses
    # on the unique constraint, and get_or_create() then reads (and waits for)
    # the row the winner made.
    sequence, _created = DocumentSequence.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return f"{prefix}-{year}-{sequence.last_value:0{width}d}"


class WorkerHeartbeat(models.Model):
    """A task worker process saying it is alive (portal.task_workers).

    A task claimed by a worker whose heartbeat has lapsed is queued again:
    that worker was killed, crashed or lost its machine while running it.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"
