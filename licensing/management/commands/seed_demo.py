"""manage.py seed_demo: the demo catalogue and a staff account; safe to run again."""

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from licensing.demo import DEMO_ARTICLES
from licensing.models import Article

DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "republish-demo"  # noqa: S105 (printed on purpose: a local demo account)


class Command(BaseCommand):
    help = "Load the demo articles (including the seed article) and a staff account."

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
            user, _ = get_user_model().objects.get_or_create(
                username=DEMO_STAFF_USERNAME,
                defaults={"email": "staff@example.com", "is_staff": True, "is_superuser": True},
            )
            # The demo account's password is reset each run so the printed
            # credentials are always the ones that work.
            user.set_password(password)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(DEMO_ARTICLES)} articles ({created} new).")
        )
        self.stdout.write(
            f"Staff sign-in: /accounts/login/ (or /admin/) "
            f"username {DEMO_STAFF_USERNAME!r}, password {password!r}"
        )
