"""Gapless numbering (portal.models.allocate_number) under concurrent writers."""

import threading

import pytest
from django.db import connection, transaction

from portal.models import DocumentSequence, allocate_number


def test_numbers_are_sequential_per_prefix_and_year(db) -> None:
    with transaction.atomic():
        assert allocate_number(prefix="RR", year=2026, width=5) == "RR-2026-00001"
        assert allocate_number(prefix="RR", year=2026, width=5) == "RR-2026-00002"
        assert allocate_number(prefix="RR", year=2027, width=5) == "RR-2027-00001"
        assert allocate_number(prefix="INV", year=2026, width=6) == "INV-2026-000001"


def test_rollback_gives_the_number_back(db) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_number(prefix="RR", year=2026, width=5)
        raise RuntimeError("the document failed to save")
    with transaction.atomic():
        assert allocate_number(prefix="RR", year=2026, width=5) == "RR-2026-00001"


@pytest.mark.django_db(transaction=True)
def test_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        allocate_number(prefix="RR", year=2026, width=5)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_share_or_skip(db) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers itself")
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(allocate_number(prefix="RR", year=2026, width=5))
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [f"RR-2026-{n:05d}" for n in range(1, 11)]
    assert DocumentSequence.objects.get(prefix="RR", year=2026).last_value == 10
