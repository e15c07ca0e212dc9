"""Invoice numbers INV-<year>-<6 digits>: sequential, gapless, per year, safe under concurrency."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from billing.models import Invoice
from licensing.models import RepublicationRequest
from portal.models import DocumentSequence
from tests.factories import make_request

LONDON = ZoneInfo("Europe/London")


def approve(req: RepublicationRequest, reviewer) -> str:
    req.approve(actor=reviewer, fee_minor=25000, currency="GBP", validity_days=30)
    req.refresh_from_db()
    return req.invoice.number


def test_numbers_are_sequential(article, reviewer) -> None:
    year = timezone.localdate().year
    numbers = [
        approve(make_request(article, email=f"r{n}@outlet.example"), reviewer) for n in range(3)
    ]
    assert numbers == [f"INV-{year}-{n:06d}" for n in (1, 2, 3)]


def test_rolled_back_approval_gives_its_number_back(article, reviewer) -> None:
    year = timezone.localdate().year
    first = make_request(article, email="first@outlet.example")
    with pytest.raises(RuntimeError), transaction.atomic():
        approve(first, reviewer)
        raise RuntimeError("the caller's work failed after the invoice was issued")
    first.refresh_from_db()
    assert first.status == "submitted"
    assert first.invoice is None
    assert not Invoice.objects.exists()
    second = make_request(article, email="second@outlet.example")
    assert approve(second, reviewer) == f"INV-{year}-000001"
    assert approve(first, reviewer) == f"INV-{year}-000002"


def test_approval_failing_inside_billing_leaves_no_gap(article, reviewer, monkeypatch) -> None:
    year = timezone.localdate().year
    req = make_request(article)

    def refuse(self, *args, **kwargs) -> None:
        raise ValidationError("refused after the number was taken")

    with monkeypatch.context() as patch:
        patch.setattr(Invoice, "full_clean", refuse)
        with pytest.raises(ValidationError):
            req.approve(actor=reviewer, fee_minor=25000, currency="GBP", validity_days=30)
    req.refresh_from_db()
    assert (req.status, req.invoice) == ("submitted", None)
    assert approve(req, reviewer) == f"INV-{year}-000001"


def test_a_new_year_starts_again_at_one(article, reviewer) -> None:
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=LONDON), tick=False):
        assert approve(make_request(article, email="a@outlet.example"), reviewer) == (
            "INV-2026-000001"
        )
        assert approve(make_request(article, email="b@outlet.example"), reviewer) == (
            "INV-2026-000002"
        )
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=LONDON), tick=False):
        assert approve(make_request(article, email="c@outlet.example"), reviewer) == (
            "INV-2027-000001"
        )
        assert approve(make_request(article, email="d@outlet.example"), reviewer) == (
            "INV-2027-000002"
        )
    assert DocumentSequence.objects.get(prefix="INV", year=2026).last_value == 2


@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_share_and_skip_no_number(article, reviewer) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers itself")
    count = 20
    requests = [make_request(article, email=f"p{n}@outlet.example") for n in range(count)]
    year = timezone.localdate().year
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(req: RepublicationRequest) -> None:
        try:
            barrier.wait(timeout=30)
            req.approve(actor=reviewer, fee_minor=25000, currency="GBP", validity_days=30)
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(req,)) for req in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, count + 1)]
    assert DocumentSequence.objects.get(prefix="INV", year=year).last_value == count
    statuses = RepublicationRequest.objects.values_list("status", "invoice__number")
    assert sorted(number for _, number in statuses) == numbers
    assert {status for status, _ in statuses} == {"awaiting_payment"}
