"""Accent- and case-insensitive search over a stored, folded `search_text` column.

A model keeps `search_text` as `fold()` of the fields people search by, so
"amelie lefevre" finds "Amélie Lefèvre" on any database. Each word typed
must appear in the column; on PostgreSQL a trigram GIN index (made by a
migration that runs only there) answers those LIKE '%word%' tests, where
SQLite scans the column: slower, same results. Both rank the matches by
the same expression, so a reviewer sees the same order on either.
"""

import re
import unicodedata

from django.db.models import Case, Expression, IntegerField, Model, Q, QuerySet, Value, When
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

# Letters that carry no combining mark to strip, folded as people type them.
_LETTERS = str.maketrans(
    {"ø": "o", "đ": "d", "ð": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "\u0131": "i"}
)
# Words shorter than this cannot be found inside other words by a trigram
# index; they match the start of a word instead ("j" for an initial).
MIN_INFIX = 3
# What pg_trgm makes trigrams of: letters and digits (not "_").
_ALPHANUMERIC_RUN = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case, accents and vowel marks (harakat) removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.translate(_LETTERS).split())


def search_terms(query: str) -> list[str]:
    """The folded words of `query`, each of which a match must contain."""
    return list(dict.fromkeys(fold(query).split()))


def _contains(field: str, term: str) -> Q:
    if len(term) < MIN_INFIX:
        # The column starts with a field no one types a short word for (a
        # reference, a title), so every other word in it follows a space.
        return Q(**{f"{field}__contains": f" {term}"})
    run = max(_ALPHANUMERIC_RUN.findall(term), key=len, default="")
    if run == term or len(run) < MIN_INFIX:
        return Q(**{f"{field}__contains": term})
    # Part of an address (".lopez7075@le-"): a trigram index cuts text into runs
    # of letters and digits, and the short runs beside punctuation ("le") are
    # in most rows, so looking them up reads most of the index. The index looks
    # up the longest run; the whole fragment is then checked on the rows found.
    return Q(**{f"{field}__contains": run}) & Q(GreaterThan(StrIndex(field, Value(term)), 0))


def matching[M: Model](
    queryset: QuerySet[M], terms: list[str], field: str = "search_text"
) -> QuerySet[M]:
    """The rows whose `field` contains every term."""
    for term in terms:
        queryset = queryset.filter(_contains(field, term))
    return queryset


def relevance(terms: list[str], field: str = "search_text") -> Expression:
    """How well a row matches, higher first.

    A whole word typed counts most, then the start of a word, then a word
    found inside another; the phrase as typed adds to that. Plain tests on
    the stored text, so every database ranks alike and each match costs
    little (pg_trgm's word similarity compares every trigram of the row).
    """
    phrase = " ".join(terms)
    scores: list[Expression] = []
    for term in terms:
        word = re.escape(term)
        scores.append(
            Case(
                When(Q(**{f"{field}__regex": rf"(^|\W){word}(\W|$)"}), then=Value(3)),
                When(Q(**{f"{field}__regex": rf"(^|\W){word}"}), then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    if len(terms) > 1:
        scores.append(
            Case(
                When(Q(**{f"{field}__contains": phrase}), then=Value(2)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
    total = Value(0, output_field=IntegerField())
    for score in scores:
        total = total + score  # type: ignore[assignment]
    return total
