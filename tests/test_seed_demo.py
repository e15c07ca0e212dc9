"""manage.py seed_demo: the demo catalogue and a staff account, safe to run again."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from billing.models import ExchangeRate
from licensing.demo import DEMO_ARTICLES, SEED_ARTICLE_URL
from licensing.models import Article, RepublicationRequest
from tests.factories import make_request

SEED_URL = "https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front"

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def printed_credentials(output: str) -> tuple[str, str]:
    match = re.search(r"username '([^']+)', password '([^']+)'", output)
    assert match, output
    return match.group(1), match.group(2)


def test_creates_the_demo_articles_including_the_seed_article() -> None:
    output = seed()

    count = len(DEMO_ARTICLES)
    assert count >= 2
    assert f"Demo data ready: {count} articles ({count} new)" in output
    assert Article.objects.count() == count
    assert SEED_ARTICLE_URL == SEED_URL

    seed_article = Article.objects.get(canonical_url=SEED_URL)
    assert seed_article.title == "Central Asian fighters in Syria join al-Nusra Front"
    assert seed_article.slug == "central-asian-fighters-syria-join-al-nusra-front"
    assert seed_article.word_count == 272
    assert seed_article.republishable is True
    assert seed_article.published_at is not None

    assert set(Article.objects.values_list("canonical_url", flat=True)) == {
        str(values["canonical_url"]) for values in DEMO_ARTICLES
    }
    # The demo shows right-to-left text and a refusal too.
    assert Article.objects.filter(language="ar").exists()
    assert Article.objects.filter(republishable=False).exists()


def test_creates_a_staff_superuser_whose_printed_password_works() -> None:
    output = seed()

    username, password = printed_credentials(output)
    assert username == "staff"
    user = User.objects.get(username="staff")
    assert user.is_staff
    assert user.is_superuser
    assert user.is_active
    assert authenticate(username=username, password=password) == user
    assert authenticate(username=username, password=password + "x") is None


def test_password_can_be_chosen_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_STAFF_PASSWORD", "another-demo-password")

    username, password = printed_credentials(seed())

    assert password == "another-demo-password"
    assert authenticate(username=username, password=password) is not None


def test_running_twice_creates_nothing_new() -> None:
    first = seed()
    articles = list(Article.objects.order_by("pk").values_list("pk", "canonical_url", "slug"))
    users = list(User.objects.values_list("pk", "username"))

    second = seed()

    count = len(DEMO_ARTICLES)
    assert f"Demo data ready: {count} articles ({count} new)" in first
    assert f"Demo data ready: {count} articles (0 new)" in second
    assert list(Article.objects.order_by("pk").values_list("pk", "canonical_url", "slug")) == (
        articles
    )
    assert list(User.objects.values_list("pk", "username")) == users == [(users[0][0], "staff")]
    username, password = printed_credentials(second)
    assert authenticate(username=username, password=password) is not None


def test_rerun_restores_a_changed_or_disabled_staff_account() -> None:
    seed()
    user = User.objects.get(username="staff")
    user.set_password("forgotten")
    user.is_active = user.is_staff = user.is_superuser = False
    user.save()

    username, password = printed_credentials(seed())

    user.refresh_from_db()
    assert user.is_active and user.is_staff and user.is_superuser
    assert authenticate(username=username, password=password) == user


def test_keeps_articles_that_are_not_part_of_the_demo(article: Article) -> None:
    """The conftest article already has the seed URL; other articles stay untouched."""
    other = Article.objects.create(
        title="Imported earlier",
        slug="imported-earlier",
        canonical_url="https://news.example.org/imported-earlier",
    )

    output = seed()

    count = len(DEMO_ARTICLES)
    assert f"({count - 1} new)" in output
    assert Article.objects.count() == count + 1
    assert Article.objects.filter(pk=other.pk).exists()
    assert Article.objects.get(canonical_url=SEED_URL).pk == article.pk


def test_stores_exchange_rates_so_the_demo_invoices_in_euros_to_uk_buyers(
    article, reviewer
) -> None:
    output = seed()

    this_month = timezone.localdate().replace(day=1)
    months = sorted(set(ExchangeRate.objects.values_list("month", flat=True)))
    assert months[0] == this_month and len(months) == 3
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"EUR", "USD"}
    assert "6 demo exchange rates." in output
    req: RepublicationRequest = make_request(article)
    req.approve(actor=reviewer, fee_minor=14235, currency="EUR", validity_days=30)
    req.refresh_from_db()
    assert req.invoice.vat_gbp_minor == 2400


def test_keeps_a_rate_finance_has_stored_and_adds_none_twice() -> None:
    month = timezone.localdate().replace(day=1)
    ExchangeRate.objects.create(currency="EUR", month=month, units_per_gbp=Decimal("1.2"))

    assert "5 demo exchange rates." in seed()
    assert "0 demo exchange rates." in seed()
    assert ExchangeRate.objects.get(currency="EUR", month=month).units_per_gbp == Decimal("1.2")
