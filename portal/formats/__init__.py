"""Dates and numbers as each interface language writes them.

Number separators per language are Django format modules (FORMAT_MODULE_PATH
= portal.formats: en/, fr/, ar/), used by intcomma and number_format. Dates
come from babel's CLDR data instead: Django's own French abbreviations are
"jan.", "fév." where French writes "janv.", "févr.", and its Arabic April is
"إبريل" where CLDR has "أبريل". See docs/glossary.md.
"""

from datetime import date, datetime

from babel.dates import format_date
from babel.dates import format_datetime as babel_datetime
from django.conf import settings
from django.utils import timezone, translation

# CLDR locales and patterns: "3 December 2026", "3 déc. 2026", "3 ديسمبر، 2026".
DAY_PATTERNS = {"en": "d MMMM y", "fr": "d MMM y", "ar": "d MMMM، y"}
MOMENT_PATTERNS = {"en": "d MMMM y, HH:mm", "fr": "d MMM y 'à' HH:mm", "ar": "d MMMM، y، HH:mm"}
LOCALES = {"en": "en_GB", "fr": "fr_FR", "ar": "ar"}


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in LOCALES else "en"


def format_day(day: date | None, *, language: str | None = None) -> str:
    """A date as a reader of `language` (default: the active one) writes it."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    code = _language(language)
    return format_date(day, DAY_PATTERNS[code], locale=LOCALES[code])


def format_moment(moment: datetime | None, *, language: str | None = None) -> str:
    """A date and time, in the portal's time zone, as a reader of `language` writes it."""
    if moment is None:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment).replace(tzinfo=None)
    code = _language(language)
    return babel_datetime(moment, MOMENT_PATTERNS[code], locale=LOCALES[code])
