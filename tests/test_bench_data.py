"""The bench's desk builder (bench/desk_data.py) writes rows with COPY, column by column:
a column a migration adds without a database default breaks it, and only `make bench`
would show it. Here it loads a small desk into the test database, and the desk reads it."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from bench.desk_data import grow
from billing.models import CreditNote, Invoice
from licensing.models import Licence, RepublicationRequest, StatusChange

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the bench loads PostgreSQL with COPY"
    ),
    pytest.mark.django_db(transaction=True),  # grow() writes through its own connection
]


def _url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_the_bench_desk_loads_into_the_current_schema_and_the_desk_reads_it(
    reviewer_client: Client,
) -> None:
    grow(_url(), requests=400, articles=30, now=datetime.now(UTC))
    assert RepublicationRequest.objects.count() == 400
    assert Invoice.objects.exists() and Licence.objects.exists()
    assert CreditNote.objects.exists() and StatusChange.objects.exists()
    for path in ("/staff/", "/staff/?tab=all", "/staff/?tab=all&q=gazette"):
        response = reviewer_client.get(path)
        assert response.status_code == 200, path
        assert b"RR-" in response.content, path
