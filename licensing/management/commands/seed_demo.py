"""manage.py seed_demo: the demo catalogue and a staff account; safe to run again."""

import os
from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing.exchange_rates import portal_foreign_currencies
from billing.models import ExchangeRate
from licensing.demo import (
    DEMO_ARTICLES,
    DEMO_AUTO_APPROVAL_RULES,
    DEMO_EXCHANGE_RATE_MONTHS,
    DEMO_EXCHANGE_RATE_SOURCE,
    DEMO_EXCHANGE_RATES,
    DEMO_PRICE_RULES,
)
from licensing.models import Article, AutoApprovalRule, PriceRule

DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "republish-demo"  # noqa: S105 (printed on purpose: a local demo account)


class Command(BaseCommand):
    help = (
        "Load the demo articles (including the seed article), rate card, auto-approval "
        "rules and a staff account."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_STAFF_PASSWORD", DEMO_STAFF_PASSWORD)
        created = 0
        with transaction.atomic():
            for values in DEMO_ARTICLES:
                defaults = {k: v for k, v in values.items() if k != "canonical_url"}
                _, was_created = Article.objects.update_or_create(
                    canonical_url=values["canonical_url"], defaults=defaults
                )
                created += was_created
            for model, rules in (
                (PriceRule, DEMO_PRICE_RULES),
                (AutoApprovalRule, DEMO_AUTO_APPROVAL_RULES),
            ):
                for rule in rules:
                    model.objects.update_or_create(
                        name=rule["name"], defaults={"currency": "GBP", **rule}
                    )
            rates = _store_demo_exchange_rates()
            user, _ = get_user_model().objects.get_or_create(
                username=DEMO_STAFF_USERNAME,
                defaults={"email": "staff@example.com", "is_staff": True, "is_superuser": True},
            )
            # The demo account's password and rights are reset each run so the
            # printed credentials always sign in to the admin.
            user.is_active = user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name="Reviewers"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(DEMO_ARTICLES)} articles ({created} new), "
                f"{len(DEMO_PRICE_RULES)} price rules, "
                f"{len(DEMO_AUTO_APPROVAL_RULES)} auto-approval rules, "
                f"{rates} demo exchange rates."
            )
        )
        self.stdout.write(
            f"Staff sign-in: /accounts/login/ (or /admin/) "
            f"username {DEMO_STAFF_USERNAME!r}, password {password!r}"
        )


def _demo_months(today: date) -> list[date]:
    first = today.replace(day=1)
    return [first + relativedelta(months=n) for n in range(DEMO_EXCHANGE_RATE_MONTHS)]


def _store_demo_exchange_rates() -> int:
    """Rates for this month and the next, so the demo issues invoices in euros and dollars
    to UK buyers; a rate already stored (HMRC's, loaded by finance) is kept. How many new."""
    created = 0
    for month in _demo_months(timezone.localdate()):
        for currency in portal_foreign_currencies():
            if currency not in DEMO_EXCHANGE_RATES:
                continue
            _, was_created = ExchangeRate.objects.get_or_create(
                currency=currency,
                month=month,
                defaults={
                    "units_per_gbp": Decimal(DEMO_EXCHANGE_RATES[currency]),
                    "source": DEMO_EXCHANGE_RATE_SOURCE,
                },
            )
            created += was_created
    return created
