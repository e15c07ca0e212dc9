"""make bench: time the staff queue's first page with 100,000 requests on PostgreSQL.

Prints the median and 95th percentile of /staff/ next to /healthz (a view that
does one trivial query) measured in the same run, plus the SQL query count,
so the figure can be read against this machine's speed at the time.
Usage: python bench/staff_queue.py [--requests N] [--runs N]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

BENCH_DB = "bench_portal"
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def ensure_database() -> None:
    """A fresh database each run, so the figures never depend on an old schema or data."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DATABASE_URL"] = f"{SERVER}/{BENCH_DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()


def fill(count: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.utils import timezone

    from licensing.models import Article, Outlet, RepublicationRequest, RequestStatus

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    have = RepublicationRequest.objects.count()
    if have < count:
        articles = list(Article.objects.all())
        outlet, _ = Outlet.objects.get_or_create(
            email="bench@outlet.example",
            defaults={
                "contact_name": "Bench",
                "name": "Bench Outlet",
                "website": "https://bench.example",
                "outlet_type": "newspaper",
                "country": "GB",
                "audience_size": 1000,
            },
        )
        statuses = [s.value for s in RequestStatus]
        now = timezone.now()
        batch = []
        for n in range(have, count):
            status = statuses[n % len(statuses)]
            batch.append(
                RepublicationRequest(
                    reference=f"RR-BENCH-{n:07d}",
                    article=articles[n % len(articles)],
                    outlet=outlet,
                    status=status,
                    contact_name=f"Contact {n}",
                    email=f"person{n % 5000}@outlet{n % 700}.example",
                    outlet_name=f"Outlet {n % 700}",
                    outlet_website="https://bench.example",
                    outlet_type=["newspaper", "website", "ngo", "broadcaster"][n % 4],
                    country="GB",
                    audience_size=1000 + n,
                    media=["online", "print", "broadcast"][n % 3],
                    language="en",
                    territory="worldwide",
                    start_date=now.date(),
                    duration="1y",
                    extent="full",
                    terms_accepted_at=now,
                    waiting_on="staff" if status == "submitted" else "requester",
                    waiting_since=now - timedelta(minutes=n),
                    suggested_fee_minor=25000,
                    suggested_currency="GBP",
                )
            )
            if len(batch) == 5000:
                RepublicationRequest.objects.bulk_create(batch)
                batch = []
        RepublicationRequest.objects.bulk_create(batch)
        from django.db import connection

        with connection.cursor() as cursor:
            # Spread the requests over the last ~3 years, as a real desk's
            # history is (bulk_create stamps them all "now"): 1 every 15 minutes.
            cursor.execute(
                "UPDATE licensing_republicationrequest SET "
                "created_at = now() - id * interval '15 minutes', "
                "first_response_at = CASE WHEN status <> 'submitted' "
                "THEN now() - id * interval '15 minutes' + interval '5 hours' END"
            )
            # What autovacuum does on a live server: statistics and the
            # visibility map that lets counts use the indexes alone.
            cursor.execute("VACUUM ANALYZE")
    user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Reviewers"))


def timed(client, url: str, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    client.get(url)  # warm caches and connections
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    ensure_database()
    setup_django()
    fill(args.requests)

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from licensing.models import RepublicationRequest

    client = Client()
    client.force_login(User.objects.get(username="bench-reviewer"))
    total = RepublicationRequest.objects.count()
    print(f"PostgreSQL database {BENCH_DB}: {total:,} requests; {args.runs} runs each")
    for label, url in [
        ("baseline /healthz", "/healthz"),
        ("/staff/ first page", "/staff/"),
        ("/staff/?status=submitted", "/staff/?status=submitted"),
        ("/staff/?q=Outlet 42", "/staff/?q=Outlet%2042"),
    ]:
        samples = timed(client, url, args.runs)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = statistics.quantiles(samples, n=20)[-1]
        print(
            f"{label:28} median {statistics.median(samples):7.1f} ms   "
            f"p95 {p95:7.1f} ms   {len(queries)} queries"
        )
    print("target: /staff/ first page median under 100 ms")


if __name__ == "__main__":
    main()
