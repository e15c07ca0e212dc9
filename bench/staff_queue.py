"""Figures on PostgreSQL: the desk with a million requests (pages, searches, CSV), and submissions.

Run by bench/run.py (`make bench`), which creates the database and sets
DATABASE_URL and DJANGO_SETTINGS_MODULE=bench.settings.
"""

import os
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import django

from bench.figures import emit, ratio, time_calls, time_interleaved
from portal.search import fold

# One instant for the whole build, so both steps describe the same desk.
NOW = datetime.now(UTC)

SMALL, LARGE = 10_000, 1_000_000
SMALL_ARTICLES, ARTICLES = 2_000, 200_000
STAFF_RUNS = 60
SUBMISSIONS = 120
TARGET_MS = 50
BENCH_ID_BASE = 100_000_000  # bench/desk_data.py's first id


def fill(requests: int, articles: int) -> float:
    """Grow the desk to `requests` requests and `articles` articles; the seconds it took."""
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection

    from bench.desk_data import grow

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    connection.close()  # the build uses its own connection; this one reconnects after it
    grow(os.environ["DATABASE_URL"], requests=requests, articles=articles, now=NOW)
    with connection.cursor() as cursor:
        # What autovacuum does on a live server: statistics and the
        # visibility map that lets counts use the indexes alone.
        cursor.execute("VACUUM ANALYZE")
    user, _ = User.objects.get_or_create(username="bench-reviewer", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="Reviewers"))
    return time.monotonic() - started


def main() -> None:
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from billing.models import CreditNote, Invoice
    from licensing.models import Article, Licence, RepublicationRequest
    from tests.factories import request_form_data

    staff = Client()

    def get(url: str, expect: int = 200) -> None:
        status = staff.get(url).status_code
        if status != expect:
            raise SystemExit(f"{url} answered {status}")

    def query_count(url: str, expect: int = 200) -> int:
        get(url, expect)  # the same state at both sizes: the dashboard's figures cached
        with CaptureQueriesContext(connection) as queries:
            get(url, expect)
        return len(queries)

    built_small = fill(SMALL, SMALL_ARTICLES)
    staff.force_login(User.objects.get(username="bench-reviewer"))
    pages = desk_pages()
    small_queries = {name: query_count(url, expect) for name, (url, expect) in pages.items()}
    # The same searches at both sizes: their rows are among the first built.
    built_large = fill(LARGE, ARTICLES)
    large_queries = {name: query_count(url, expect) for name, (url, expect) in pages.items()}
    total = RepublicationRequest.objects.count()
    emit(
        "desk_data",
        {"seconds": round(built_small + built_large, 1)},
        requests_in_db=total,
        articles_in_db=Article.objects.count(),
        invoices_in_db=Invoice.objects.count(),
        credit_notes_in_db=CreditNote.objects.count(),
        licences_in_db=Licence.objects.count(),
        baseline=None,
        target=None,
        ok=True,
    )
    numbers = iter(number_searches() * STAFF_RUNS)
    calls = {
        "healthz": (lambda: get("/healthz"), 1),
        **{
            name: (_getter(get, url, expect), 1)
            for name, (url, expect) in pages.items()
            if name != "staff_search_number"
        },
        "staff_search_number": (lambda: get(f"/staff/?q={next(numbers)}"), 1),
    }
    timed = time_interleaved(calls, rounds=STAFF_RUNS)
    healthz = timed.pop("healthz")
    for name, measured in timed.items():
        emit(
            name,
            measured,
            path=pages[name][0]
            if name != "staff_search_number"
            else "/staff/?q=<RR|INV|CN|LIC number>",
            requests_in_db=total,
            queries=large_queries[name],
            baseline="healthz",
            baseline_p50_ms=healthz["p50_ms"],
            baseline_p95_ms=healthz["p95_ms"],
            ratio=ratio(measured["p95_ms"], healthz["p95_ms"]),
            target=f"p95 under {TARGET_MS} ms",
            ok=measured["p95_ms"] < TARGET_MS,
        )
    emit(
        "desk_queries",
        {"queries": large_queries},
        requests_in_db=total,
        baseline=f"queries with {SMALL:,} requests",
        baseline_queries=small_queries,
        target="same query count at both sizes, page by page",
        ok=large_queries == small_queries,
    )
    csv_figures(staff)

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


def _getter(get: Callable[[str, int], None], url: str, expect: int) -> Callable[[], object]:
    return lambda: get(url, expect)


def desk_pages() -> dict[str, tuple[str, int]]:
    """The pages timed, each with the status it must answer; searches use real rows."""
    from licensing.models import Article, RepublicationRequest

    sample = RepublicationRequest.objects.filter(id__gte=BENCH_ID_BASE).order_by("id").first()
    if sample is None:
        raise SystemExit("the bench desk is empty")
    article = Article.objects.filter(id__gte=BENCH_ID_BASE).order_by("id").first()
    assert article is not None  # noqa: S101 (filled with the requests)
    named = (
        RepublicationRequest.objects.filter(id__gte=BENCH_ID_BASE, contact_name="Amélie Lefèvre")
        .values_list("contact_name", flat=True)
        .first()
    ) or next(
        name
        for name in RepublicationRequest.objects.filter(id__gte=BENCH_ID_BASE)
        .order_by("id")
        .values_list("contact_name", flat=True)[:1000]
        if not name.isascii()
    )
    return {
        "staff_queue": ("/staff/", 200),
        # Typed without accents or capitals, as "amelie lefevre" for "Amélie Lefèvre".
        "staff_search_name": ("/staff/?" + urlencode({"q": fold(named)}), 200),
        # The middle of an address: neither its start nor its domain.
        "staff_search_email": ("/staff/?" + urlencode({"q": sample.email[3:17]}), 200),
        "staff_search_number": ("/staff/?" + urlencode({"q": sample.reference}), 200),
        "articles_search": ("/articles/?" + urlencode({"q": "elections"}), 200),
        "republish_url": ("/republish/?" + urlencode({"url": article.canonical_url}), 302),
    }


def number_searches() -> list[str]:
    """One of each number a reviewer copies from a document."""
    from billing.models import CreditNote, Invoice
    from licensing.models import Licence, RepublicationRequest

    def last(queryset: Any, field: str) -> str:
        value = queryset.order_by("-id").values_list(field, flat=True).first()
        if value is None:
            raise SystemExit(f"no {queryset.model.__name__} to search for")
        return str(value)

    return [
        last(RepublicationRequest.objects.all(), "reference"),
        last(Invoice.objects.all(), "number"),
        last(CreditNote.objects.all(), "number"),
        last(Licence.objects.all(), "number"),
    ]


def _month_url(first: date, last: date) -> str:
    query = {"tab": "all", "created_from": first.isoformat(), "created_to": last.isoformat()}
    return "/staff/requests.csv?" + urlencode(query)


def csv_figures(staff: Any) -> None:
    """The export of one month, timed; its memory beside twelve months'."""
    from django.utils import timezone

    today = timezone.localdate(NOW)
    month_end = today.replace(day=1) - timedelta(days=1)
    month_start = month_end.replace(day=1)
    year_start = (month_end - timedelta(days=365)).replace(day=1)

    def export(url: str) -> tuple[int, int]:
        response = staff.get(url)
        if response.status_code != 200 or not response.streaming:
            raise SystemExit(
                f"{url} answered {response.status_code}, streamed: {response.streaming}"
            )
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        return size, rows - 1

    def peak(url: str) -> tuple[int, int, int]:
        tracemalloc.start()
        size, rows = export(url)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top, size, rows

    month = _month_url(month_start, month_end)
    timing = time_calls(lambda: export(month), 5, warmup=1)
    month_peak, month_bytes, month_rows = peak(month)
    year_peak, year_bytes, year_rows = peak(_month_url(year_start, month_end))
    emit(
        "staff_csv_month",
        timing,
        path=month,
        rows=month_rows,
        bytes=month_bytes,
        target=None,
        ok=True,
    )
    emit(
        "staff_csv_memory",
        {"peak_kib_12_months": round(year_peak / 1024), "rows_12_months": year_rows},
        bytes_12_months=year_bytes,
        baseline="the same export of one month",
        baseline_peak_kib=round(month_peak / 1024),
        baseline_rows=month_rows,
        ratio=ratio(year_peak, month_peak),
        target="streamed: 12 months' peak memory under 2 x one month's",
        ok=year_peak < 2 * month_peak,
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
