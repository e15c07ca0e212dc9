"""The desk's response target in working days (weekends and public holidays excluded)."""

from datetime import date, datetime, timedelta
from functools import cache

import holidays
from django.conf import settings
from django.utils import timezone


@cache
def _holidays(region: str, year: int) -> holidays.HolidayBase:
    # "GB-ENG": a country code and an optional subdivision, whose regional
    # bank holidays (Easter Monday, August) only count with the subdivision.
    country, _, subdivision = region.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(settings.WORKING_DAYS_COUNTRY, day.year)


def overdue_cutoff(now: datetime | None = None) -> datetime:
    """Requests waiting on staff since before this instant are past the target.

    Walks back from `now` one calendar day at a time until the response
    target's number of working days lies between the cutoff and now.
    """
    cutoff = timezone.localtime(now or timezone.now())
    remaining = settings.RESPONSE_TARGET_WORKING_DAYS
    while remaining > 0:
        cutoff -= timedelta(days=1)
        if is_working_day(cutoff.date()):
            remaining -= 1
    return cutoff
