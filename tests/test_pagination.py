"""portal.pagination: lists counted up to a cap, pages always full."""

from licensing.models import Article
from portal.pagination import CappedPaginator, capped_count
from tests.factories import make_article


def test_counts_stop_one_past_the_cap(db) -> None:
    for _ in range(5):
        make_article()
    assert capped_count(Article.objects.all(), cap=10) == 5
    assert capped_count(Article.objects.all(), cap=3) == 4


def test_a_capped_list_pages_on_with_full_pages(db) -> None:
    articles = [make_article() for _ in range(7)]
    paginator = CappedPaginator(Article.objects.order_by("id"), 2, cap=3)
    assert paginator.capped
    assert paginator.num_pages == 2
    second = paginator.page(2)
    assert [a.pk for a in second.object_list] == [articles[2].pk, articles[3].pk]
    assert not second.has_next()


def test_below_the_cap_it_is_a_plain_paginator(db) -> None:
    for _ in range(3):
        make_article()
    paginator = CappedPaginator(Article.objects.order_by("id"), 2, cap=10)
    assert not paginator.capped
    assert paginator.count == 3
    assert len(paginator.page(2).object_list) == 1
