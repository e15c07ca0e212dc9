"""Rate limits on the request form and staff sign-in, the shared 429 page, and their settings.

The magic-link form and verification have their own tests in test_account.py
and test_verify.py; all of them answer with the same page (portal.rate_limits).
"""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from licensing.models import Article, RepublicationRequest
from tests.factories import request_form_data
from tests.test_production_settings import production, run


@pytest.fixture
def tight(settings) -> dict[str, str]:
    """Small limits so a test reaches them in a few requests."""
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "request_form": "2/h",
        "login_ip": "3/h",
        "login_username": "2/h",
    }
    return settings.RATE_LIMITS


def test_defaults_are_generous_for_a_newsroom_behind_one_address(settings) -> None:
    assert settings.RATE_LIMITS == {
        "request_form": "30/h", "magic_link_ip": "10/h", "magic_link_email": "3/h",
        "login_ip": "30/h", "login_username": "10/h", "verify": "60/m",
        "confirmation_email": "3/h",
    }  # fmt: skip


def test_request_form_refuses_sending_past_the_limit(
    client: Client, article: Article, tight
) -> None:
    url = article.get_republish_url()
    for n in range(2):
        assert client.post(url, request_form_data(email=f"p{n}@outlet.example")).status_code == 302
    mail.outbox.clear()
    response = client.post(url, request_form_data(email="third@outlet.example"))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    html = response.content.decode()
    assert "Too many attempts" in html
    assert 'id="main"' in html  # the site's layout, with its navigation
    assert not RepublicationRequest.objects.filter(email="third@outlet.example").exists()
    assert mail.outbox == []


def test_request_form_limit_counts_per_address(client: Client, article: Article, tight) -> None:
    url = article.get_republish_url()
    for n in range(2):
        client.post(url, request_form_data(email=f"p{n}@outlet.example"))
    assert client.post(url, request_form_data()).status_code == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert elsewhere.post(url, request_form_data(email="other@outlet.example")).status_code == 302


def test_update_estimate_and_reading_the_form_are_not_counted(
    client: Client, article: Article, tight
) -> None:
    url = article.get_republish_url()
    for _ in range(5):
        assert client.post(url, request_form_data(estimate="1")).status_code == 200
        assert client.get(url).status_code == 200
    assert client.post(url, request_form_data()).status_code == 302


def test_refused_forms_count_too(client: Client, article: Article, tight) -> None:
    # A bot posting junk is stopped as surely as one posting valid requests.
    url = article.get_republish_url()
    for _ in range(2):
        assert client.post(url, request_form_data(email="nope")).status_code == 400
    assert client.post(url, request_form_data()).status_code == 429
    assert RepublicationRequest.objects.count() == 0


def test_429_page_is_translated(client: Client, article: Article, tight) -> None:
    url = article.get_republish_url()
    for _ in range(2):
        client.post(url, request_form_data(email="nope"))
    response = client.post(url, request_form_data(), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 429
    assert 'lang="fr"' in response.content.decode()
    assert "Trop de tentatives" in response.content.decode()


def test_staff_login_limited_per_address(client: Client, reviewer: User, tight) -> None:
    for n in range(3):
        response = client.post("/accounts/login/", {"username": f"u{n}", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post("/accounts/login/", {"username": "reviewer", "password": "pw-for-tests"})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "_auth_user_id" not in client.session  # even the right password waits
    assert client.get("/accounts/login/").status_code == 200  # reading the form is free


def test_staff_login_limited_per_username_from_any_address(db, reviewer: User, tight) -> None:
    for n in range(2):
        guesser = Client(REMOTE_ADDR=f"198.51.100.{n}")
        response = guesser.post("/accounts/login/", {"username": "Reviewer", "password": "x"})
        assert response.status_code == 200
    guesser = Client(REMOTE_ADDR="198.51.100.77")
    response = guesser.post("/accounts/login/", {"username": "reviewer", "password": "x"})
    assert response.status_code == 429
    # Another account from that address is not held back by it.
    response = guesser.post("/accounts/login/", {"username": "finance", "password": "x"})
    assert response.status_code == 200


def test_admin_login_shares_the_staff_login_limits(client: Client, superuser: User, tight) -> None:
    for _ in range(2):
        client.post("/accounts/login/", {"username": "admin", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin", "password": "pw-for-tests"})
    assert response.status_code == 429


def test_staff_login_within_the_limit_still_signs_in(client: Client, reviewer: User, tight) -> None:
    client.post("/accounts/login/", {"username": "reviewer", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "reviewer", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_rate_limits_setting_overrides_and_refuses_nonsense(tmp_path) -> None:
    env = production(tmp_path, RATE_LIMITS="request_form=60/h,login_ip=5/m")
    script = "import django; django.setup(); from django.conf import settings; "
    result = run(["-c", script + "print(settings.RATE_LIMITS)"], **env)
    assert result.returncode == 0, result.stderr
    assert "'request_form': '60/h'" in result.stdout
    assert "'login_ip': '5/m'" in result.stdout
    assert "'verify': '60/m'" in result.stdout
    for bad in ("request_form=lots", "requests=5/h", "login_ip=0/h"):
        result = run(["-c", script], **production(tmp_path, RATE_LIMITS=bad))
        assert result.returncode != 0
        assert "RATE_LIMITS" in result.stderr


def test_redis_url_is_accepted_for_cache_url(tmp_path) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    )
    env = production(tmp_path, CACHE_URL=None, REDIS_URL="redis://10.0.0.5:6379/2")
    result = run(["-c", script], **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://10.0.0.5:6379/2",
    ]
    # Both set: CACHE_URL wins.
    env = production(tmp_path, REDIS_URL="redis://10.0.0.5:6379/2")
    result = run(["-c", script], **env)
    assert result.stdout.split()[1] == "redis://127.0.0.1:6379/0"


def test_empty_usernames_are_not_counted_together(db, tight) -> None:
    # Counting "" as one username would let anyone lock out every empty form.
    for n in range(4):
        visitor = Client(REMOTE_ADDR=f"192.0.2.{n}")
        assert visitor.post("/accounts/login/", {"username": "", "password": ""}).status_code == 200
