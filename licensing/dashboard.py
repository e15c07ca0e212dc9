"""The figures at the top of /staff/: volume, speed, approvals and this month's revenue.

Each figure is one or two aggregate queries, so the page costs the same with
ten requests or a hundred thousand; the rendered markup is kept for a few
minutes, so most pages of the desk cost neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from billing.models import Payment
from licensing.models import RepublicationRequest, RequestStatus, StatusChange
from portal.money import format_money

WEEKS = 8
RECENT_DAYS = 90
APPROVED_STATUSES = [RequestStatus.AWAITING_PAYMENT, RequestStatus.LICENSED]
# The figures cover weeks and months: a few minutes old is as good as new,
# and recomputing them for every page of a million-row queue is not (make bench).
CACHE_SECONDS = 300
CACHE_KEY = "licensing:staff-dashboard"
# The SVG chart's drawing area, in user units.
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 320, 120, 8


@dataclass(frozen=True)
class WeekBar:
    week_start: date
    count: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Dashboard:
    weeks: list[WeekBar]
    median_first_response: timedelta | None
    responded_count: int
    approved: int
    declined: int
    revenue: list[tuple[str, int, str]]  # (currency, amount_minor, formatted)
    month_start: date

    @property
    def approval_rate(self) -> float | None:
        decided = self.approved + self.declined
        return self.approved / decided if decided else None

    @property
    def approval_rate_display(self) -> str:
        rate = self.approval_rate
        return "—" if rate is None else f"{rate:.0%}"

    @property
    def median_first_response_display(self) -> str:
        return duration_words(self.median_first_response)

    @property
    def requests_total(self) -> int:
        return sum(week.count for week in self.weeks)

    @property
    def chart_label(self) -> str:
        counts = ", ".join(f"week of {w.week_start:%-d %b}: {w.count}" for w in self.weeks)
        return f"Requests per week, last {len(self.weeks)} weeks: {counts}."


def duration_words(value: timedelta | None) -> str:
    """'2 d 3 h', '3 h 20 min', '45 min': short enough for a dashboard tile."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def requests_per_week(*, today: date, weeks: int = WEEKS) -> list[tuple[date, int]]:
    """Requests created in each of the last `weeks` weeks (Monday to Sunday, local time)."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    per_day = (
        RepublicationRequest.objects.filter(created_at__gte=since)
        .exclude(status=RequestStatus.UNCONFIRMED)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    counts: dict[date, int] = {}
    for day, n in per_day:
        counts[week_start(day)] = counts.get(week_start(day), 0) + n
    return [
        (first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]


def median_first_response(*, since: datetime) -> tuple[timedelta | None, int]:
    """Median of first_response_at - created_at over requests first answered since `since`."""
    answered = RepublicationRequest.objects.filter(first_response_at__gte=since).annotate(
        wait=ExpressionWrapper(
            F("first_response_at") - F("created_at"), output_field=DurationField()
        )
    )
    n = answered.count()
    if not n:
        return None, 0
    middle = list(
        answered.order_by("wait", "id").values_list("wait", flat=True)[(n - 1) // 2 : n // 2 + 1]
    )
    return sum(middle, timedelta()) / len(middle), n


def decisions(*, since: datetime) -> tuple[int, int]:
    """Requests approved (quoted or licensed) and declined since `since`, per the audit trail."""
    totals = StatusChange.objects.filter(created_at__gte=since).aggregate(
        approved=Count(
            "request",
            distinct=True,
            filter=Q(from_status=RequestStatus.SUBMITTED, to_status__in=APPROVED_STATUSES),
        ),
        declined=Count("request", distinct=True, filter=Q(to_status=RequestStatus.DECLINED)),
    )
    return totals["approved"], totals["declined"]


def revenue_this_month(*, today: date) -> list[tuple[str, int, str]]:
    """Payments received this calendar month, gross, per currency."""
    rows = (
        Payment.objects.filter(received_on__gte=today.replace(day=1), received_on__lte=today)
        .order_by("currency")
        .values_list("currency")
        .annotate(total=Sum("amount_minor"))
    )
    return [(currency, total, format_money(total, currency)) for currency, total in rows]


def _bars(counts: list[tuple[date, int]]) -> list[WeekBar]:
    top = max((n for _, n in counts), default=0) or 1
    width = (CHART_WIDTH - BAR_GAP * (len(counts) - 1)) // len(counts)
    bars = []
    for i, (start, n) in enumerate(counts):
        height = round(n * CHART_HEIGHT / top)
        bars.append(WeekBar(start, n, i * (width + BAR_GAP), CHART_HEIGHT - height, width, height))
    return bars


def cached_dashboard_markup() -> SafeString:
    """The figures as the desk shows them, computed and rendered at most once every CACHE_SECONDS.

    Staff pages are always in English, so one rendering serves every reviewer.
    """
    return cast(SafeString, cache.get_or_set(CACHE_KEY, _dashboard_markup, CACHE_SECONDS))


def _dashboard_markup() -> SafeString:
    return render_to_string("licensing/staff/_dashboard.html", {"dashboard": staff_dashboard()})


def staff_dashboard() -> Dashboard:
    now = timezone.now()
    today = timezone.localdate(now)
    recent = now - timedelta(days=RECENT_DAYS)
    median, responded = median_first_response(since=recent)
    approved, declined = decisions(since=recent)
    return Dashboard(
        weeks=_bars(requests_per_week(today=today)),
        median_first_response=median,
        responded_count=responded,
        approved=approved,
        declined=declined,
        revenue=revenue_this_month(today=today),
        month_start=today.replace(day=1),
    )
