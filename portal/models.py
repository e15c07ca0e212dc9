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
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_number() must be called inside transaction.atomic()")
    value = _increment(prefix, year)
    if value is None:
        # The year's first number: create the row (a concurrent twin's insert
        # wins the unique constraint), then count on it like any other year's.
        DocumentSequence.objects.get_or_create(prefix=prefix, year=year)
        value = _increment(prefix, year)
        assert value is not None  # noqa: S101 - the row exists now
    return f"{prefix}-{year}-{value:0{width}d}"


def _increment(prefix: str, year: int) -> int | None:
    """Add one to the counter and return it; None when the row does not exist yet.

    The UPDATE takes the row lock that select_for_update() would (held until
    the transaction ends), and reads and writes in one statement.
    """
    connection = transaction.get_connection()
    if connection.vendor not in {"postgresql", "sqlite"}:
        sequence = (
            DocumentSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
        )
        if sequence is None:
            return None
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return sequence.last_value
    quote = connection.ops.quote_name
    table = quote(DocumentSequence._meta.db_table)
    columns = {field.name: quote(field.column) for field in DocumentSequence._meta.concrete_fields}
    value, prefix_column, year_column = columns["last_value"], columns["prefix"], columns["year"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {value} = {value} + 1 "  # noqa: S608 (names from the model)
            f"WHERE {prefix_column} = %s AND {year_column} = %s RETURNING {value}",
            [prefix, year],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def copy_state(target: models.Model, source: models.Model) -> None:
    """Give `target` the field values of `source`, another instance of the same row.

    What refresh_from_db() does when the fresh values are already at hand (a
    locked copy that was just saved): no query. Cached related objects and
    prefetches are forgotten, as refresh_from_db() forgets them.
    """
    if target is source:
        return
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.fields_cache = {}
    target.__dict__.pop("_prefetched_objects_cache", None)
    target._state.db = source._state.db
    target._state.adding = False


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
