"""Dates in the reader's language: |day ("3 déc. 2026"), |moment ("3 déc. 2026 à 14:30")."""

from datetime import date, datetime

from django import template

from portal.formats import format_day, format_moment

register = template.Library()


@register.filter
def day(value: date | None) -> str:
    return format_day(value)


@register.filter
def moment(value: datetime | None) -> str:
    return format_moment(value)
