"""Named fixtures shared by the whole suite."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from licensing.models import Article
from tests.factories import make_article


@pytest.fixture
def article(db: None) -> Article:
    return make_article(
        title="Central Asian fighters in Syria join al-Nusra Front",
        slug="central-asian-fighters-syria-join-al-nusra-front",
        canonical_url="https://www.middleeasteye.net/news/central-asian-fighters-syria-join-al-nusra-front",
        word_count=272,
    )


@pytest.fixture
def staff_user(db: None) -> User:
    return User.objects.create_user("reviewer", "reviewer@example.com", "pw-for-tests", is_staff=True)


@pytest.fixture
def staff_client(staff_user: User) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", "pw-for-tests")


@pytest.fixture
def other_requester() -> Client:
    """A second browser: no session, so none of the first browser's requests."""
    return Client()
