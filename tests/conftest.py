"""Named fixtures shared by the whole suite."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from billing.models import ExchangeRate
from licensing.models import Article, Licence, RepublicationRequest
from tests.factories import approved_request, make_article, make_request, pay_by_transfer

E2E_DIR = Path(__file__).parent / "e2e"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser journeys (marked e2e) run after everything else.

    The quick tests report first, and a browser journey's live server (which
    flushes the tables) runs when no other kind of test is left. Runs after
    pytest-django's own reordering and keeps it within each group.
    """
    for item in items:
        if E2E_DIR in item.path.parents and item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture
def article(db: None) -> Article:
    return make_article(
        title="Central Asian fighters in Syria join al-Nusra Front",
        slug="central-asian-fighters-syria-join-al-nusra-front",
        canonical_url="https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front",
        word_count=272,
    )


# HMRC-style monthly rates (currency units per £1) the exchange_rates fixture stores.
EUR_PER_GBP = Decimal("1.1862")
USD_PER_GBP = Decimal("1.3396")


@pytest.fixture
def exchange_rates(db: None) -> dict[str, ExchangeRate]:
    """EUR and USD rates, the same each month, from January 2024 to three years from now
    (tests travel in time): a VAT invoice in either to a UK buyer needs its month's.
    Returns this month's."""
    this_month = timezone.localdate().replace(day=1)
    count = (this_month.year - 2024) * 12 + this_month.month + 36
    months = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(count)]
    ExchangeRate.objects.bulk_create(
        ExchangeRate(currency=currency, month=month, units_per_gbp=rate)
        for month in months
        for currency, rate in (("EUR", EUR_PER_GBP), ("USD", USD_PER_GBP))
    )
    return {rate.currency: rate for rate in ExchangeRate.objects.filter(month=this_month)}


def _member_of(group: str, username: str) -> User:
    if not Group.objects.filter(name=group).exists():
        # Transactional tests flush the tables, taking the groups the data
        # migrations made with them: make them again the same way.
        migration = import_module("licensing.migrations.0002_reviewer_and_finance_groups")
        migration.create_groups(apps, None)
        import_module("billing.migrations.0007_finance_manages_exchange_rates").grant(apps, None)
    user = User.objects.create_user(
        username, f"{username}@publisher.example", "pw-for-tests", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def reviewer(db: None) -> User:
    """A member of the Reviewers group (created by a data migration)."""
    return _member_of("Reviewers", "reviewer")


@pytest.fixture
def second_reviewer(db: None) -> User:
    return _member_of("Reviewers", "second-reviewer")


@pytest.fixture
def finance(db: None) -> User:
    return _member_of("Finance", "finance")


@pytest.fixture
def reviewer_client(reviewer: User) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")


@pytest.fixture
def submitted(article: Article) -> RepublicationRequest:
    """A request just sent by amira@outlet.example, waiting on staff."""
    return make_request(article)


@pytest.fixture
def licensed(submitted: RepublicationRequest, reviewer: User) -> RepublicationRequest:
    """`submitted`, approved free of charge by `reviewer`: licensed for a year from its start."""
    submitted.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    submitted.refresh_from_db()
    return submitted


@pytest.fixture
def licensed_request(
    article: Article, reviewer: User, django_capture_on_commit_callbacks
) -> RepublicationRequest:
    """Approved at 150.00 GBP to a UK buyer and paid by transfer, the work after each
    commit done: its invoice and its licence stored, the licence emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        req = approved_request(
            article, actor=reviewer, fee_minor=15000, country="GB", vat_number=""
        )
        pay_by_transfer(req)
    req.refresh_from_db()
    return req


@pytest.fixture
def licence(licensed_request: RepublicationRequest) -> Licence:
    """The stored licence of `licensed_request`."""
    return licensed_request.licence


@pytest.fixture
def requester(client: Client, submitted: RepublicationRequest) -> Client:
    """The browser of the requester who sent `submitted`, signed in to their account."""
    assert submitted.requester is not None
    client.force_login(submitted.requester)
    return client


@pytest.fixture
def other_requester() -> Client:
    """A second browser: no session, so none of the first browser's requests."""
    return Client()


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    """Rate-limit counters live in the cache: every test starts from zero."""
    cache.clear()


@pytest.fixture(autouse=True)
def default_language() -> None:
    """Every test starts in the default language.

    LocaleMiddleware activates the language of each request in the thread and
    nothing deactivates it, so a test-client request in Arabic would leave
    the next test formatting its expected dates in Arabic.
    """
    translation.deactivate()


@pytest.fixture(autouse=True)
def documents_folder(settings, tmp_path) -> None:
    """Stored documents (a download stores the PDF it makes) go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # PBKDF2's deliberate slowness buys nothing in tests that create users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def stripe_stub(httpserver, settings):
    """Stripe keys set and the stripe library pointed at a local stub of the API."""
    from tests.stripe_stub import WEBHOOK_SECRET, StripeStub

    stub = StripeStub(httpserver)
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = stub.url
    return stub


@pytest.fixture
def licence_numbering_fails_once(monkeypatch) -> list[str]:
    """The next licence cannot get its number, once: a clash, as a restored counter would give.

    The hand-off from a payment to its licence fails there; the list records
    the number that clashed.
    """
    from django.db import IntegrityError

    import licensing.models
    from portal.models import allocate_number

    clashed: list[str] = []

    def allocate_clashing_once(*, prefix: str, year: int, width: int) -> str:
        number = allocate_number(prefix=prefix, year=year, width=width)
        if prefix == "LIC" and not clashed:
            clashed.append(number)
            raise IntegrityError(f"duplicate key value: licence number {number} already exists")
        return number

    monkeypatch.setattr(licensing.models, "allocate_number", allocate_clashing_once)
    return clashed


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 API server, one process on 127.0.0.1 for the whole run (tests/s3_server.py)."""
    from tests.s3_server import S3Server

    server = S3Server(tmp_path_factory.mktemp("moto") / "moto.log")
    yield server
    server.stop()


@pytest.fixture
def s3_documents(s3_server, settings):
    """Stored documents in a fresh private bucket of `s3_server`, reached through a
    TCP proxy the test may cut (`.proxy.cut()`) and restore (tests/fault_proxy.py)."""
    from tests.fault_proxy import FaultProxy
    from tests.s3_server import storage_setting

    proxy = FaultProxy(s3_server.port)
    bucket = s3_server.new_bucket()
    settings.DOCUMENT_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": storage_setting(f"http://127.0.0.1:{proxy.port}", bucket),
    }
    yield S3Documents(bucket=bucket, client=s3_server.client(), proxy=proxy)
    proxy.close()


@dataclass
class S3Documents:
    bucket: str
    client: Any  # a boto3 S3 client straight to the server, past the proxy
    proxy: Any

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]


@pytest.fixture(autouse=True)
def webhooks_to_local_receivers(settings) -> None:
    """Tests' webhook receivers listen on 127.0.0.1, which production refuses.

    tests/test_webhook_destinations.py turns the refusal back on.
    """
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def licence_holders(article: Article, reviewer: User) -> list[RepublicationRequest]:
    """Two outlets licensed to republish `article`: a French one whose licence runs
    from today, and an Arabic one whose licence starts in a week (not yet valid)."""
    from django.utils import timezone

    from tests.factories import make_licence_holder

    return [
        make_licence_holder(
            article,
            actor=reviewer,
            ui_language="fr",
            email="claire@journal.example",
            contact_name="Claire Martin",
            outlet_name="Le Journal Exemple",
            language="fr",
            country="FR",
            start_date=timezone.localdate().isoformat(),
        ),
        make_licence_holder(
            article,
            actor=reviewer,
            ui_language="ar",
            email="omar@sahifa.example",
            contact_name="عمر الحسيني",
            outlet_name="صحيفة المثال",
            language="ar",
            country="JO",
        ),
    ]
