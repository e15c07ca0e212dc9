"""Pages of long lists that never count more rows than a person could page through."""

from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Past this many rows a list says "more than 10,000": counting a million
# matching rows would cost more than the page itself (make bench).
COUNT_CAP = 10_000


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """The number of rows, or cap + 1 when there are more than `cap`."""
    return queryset.order_by().values("pk")[: cap + 1].count()


class CappedPaginator(Paginator):
    """A Paginator whose count stops at `cap` + 1 (see `capped`)."""

    def __init__(self, *args: Any, cap: int = COUNT_CAP, count: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cap = cap
        if count is not None:
            self.count = count

    @cached_property
    def count(self) -> int:
        return capped_count(cast(QuerySet[Any], self.object_list), self.cap)

    @property
    def capped(self) -> bool:
        """True when there are more rows than were counted."""
        return self.count > self.cap

    def page(self, number: Any) -> Page:
        """As Paginator.page(), but a capped list's pages are full: the rows go on."""
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.object_list[bottom : bottom + self.per_page], number, self)
