"""Figures on PostgreSQL: the staff queue's first page with 100,000 requests, and submissions.

Run by bench/run.py (`make bench`), which creates the database and sets
DATABASE_URL and DJANGO_SETTINGS_MODULE=bench.settings.
"""

import os
from datetime import timedelta

import django

from bench.figures import emit, ratio, time_calls

SMALL, LARGE = 1_000, 100_000
STAFF_RUNS = 60
SUBMISSIONS = 120


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


def main() -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from licensing.models import Article, RepublicationRequest
    from tests.factories import request_form_data

    def query_count(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return len(queries)

    staff = Client()
    fill(SMALL)
    staff.force_login(User.objects.get(username="bench-reviewer"))
    small_queries = query_count(staff, "/staff/")
    fill(LARGE)
    large_queries = query_count(staff, "/staff/")
    total = RepublicationRequest.objects.count()

    def get(url: str) -> None:
        status = staff.get(url).status_code
        if status != 200:
            raise SystemExit(f"{url} answered {status}")

    healthz = time_calls(lambda: get("/healthz"), STAFF_RUNS)
    queue = time_calls(lambda: get("/staff/"), STAFF_RUNS)
    emit(
        "staff_queue",
        queue,
        requests_in_db=total,
        queries=large_queries,
        baseline="healthz",
        baseline_p50_ms=healthz["p50_ms"],
        baseline_p95_ms=healthz["p95_ms"],
        ratio=ratio(queue["p95_ms"], healthz["p95_ms"]),
        target="p95 under 100 ms",
        ok=queue["p95_ms"] < 100,
    )
    emit(
        "staff_queue_queries",
        {"queries": large_queries},
        requests_in_db=total,
        baseline=f"queries with {SMALL:,} requests",
        baseline_queries=small_queries,
        target="same query count at both sizes",
        ok=large_queries == small_queries,
    )

    # Submissions: valid posts through the whole view (validation, the
    # request, its history row, the emails queued for the worker).
    article = Article.objects.filter(republishable=True).order_by("pk").first()
    if article is None:
        raise SystemExit("seed_demo left no republishable article")
    url = article.get_republish_url()
    requester = Client()
    posted = iter(range(10**9))

    def submit() -> None:
        n = next(posted)
        data = request_form_data(email=f"submitter{n}@bench.example")
        response = requester.post(url, data)
        if response.status_code != 302:
            raise SystemExit(f"POST {url} answered {response.status_code}")

    bare = time_calls(lambda: requester.get("/bench/bare/"), SUBMISSIONS)
    posts = time_calls(submit, SUBMISSIONS)
    emit(
        "submission",
        posts,
        database="postgresql",
        baseline="bare_view",
        baseline_rps=bare["rps"],
        ratio=ratio(posts["rps"], bare["rps"]),
        target=None,
        ok=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
