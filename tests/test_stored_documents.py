"""Stored PDFs (licences; invoices are rendered on request) are reachable only through views
that check who asks: no /media/ URL in the portal, no media location in the nginx example."""

import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.views.static import serve

from licensing.models import Article, Licence
from tests.factories import approved_request, pay_by_transfer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def licence(
    settings, tmp_path, article: Article, reviewer: User, django_capture_on_commit_callbacks
) -> Licence:
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        req = approved_request(
            article, actor=reviewer, fee_minor=15000, country="GB", vat_number=""
        )
        pay_by_transfer(req)
    req.refresh_from_db()
    return req.licence


def _callbacks(patterns: list) -> list:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _callbacks(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            found.append(entry.callback)
    return found


def test_the_stored_pdf_is_not_under_any_public_url(licence: Licence, superuser: User) -> None:
    name = str(licence.pdf.name)
    stored = Path(settings.MEDIA_ROOT) / name
    assert stored.read_bytes().startswith(b"%PDF")
    public_path = f"/{settings.MEDIA_URL.strip('/')}/{name}"
    with pytest.raises(Resolver404):
        resolve(public_path)
    admin = Client()
    admin.force_login(superuser)
    for client in (Client(), admin):
        response = client.get(public_path)
        assert response.status_code == 404
        assert not response.content.startswith(b"%PDF")


def test_no_url_pattern_serves_files_from_disk() -> None:
    assert serve not in _callbacks(get_resolver().url_patterns)


def test_media_folder_is_outside_the_static_folders() -> None:
    # Anything under STATIC_ROOT or STATICFILES_DIRS is public through whitenoise.
    media = Path(settings.MEDIA_ROOT).resolve()
    for public in (Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)):
        public = public.resolve()
        assert not media.is_relative_to(public) and not public.is_relative_to(media)


def test_the_licence_view_checks_who_asks(licence: Licence, reviewer: User) -> None:
    url = f"/licences/{licence.uuid}/pdf"
    assert Client().get(url)["Location"] == f"/account/login/?next={url}"
    owner = Client()
    owner.force_login(licence.request.requester)
    response = owner.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == licence.pdf_sha256


def test_nginx_example_serves_no_media() -> None:
    confs = list((ROOT / "deploy").rglob("*.conf"))
    assert confs
    for conf in confs:
        text = "\n".join(
            line.split("#", 1)[0] for line in conf.read_text().splitlines()
        )  # directives only, not comments
        assert not re.search(r"location[^{]*media", text), conf
        assert not re.search(r"^\s*(alias|root)\b", text, re.M), conf
        assert "/var/lib/republishing" not in text, conf


def test_deploy_docs_warn_never_to_serve_media() -> None:
    assert "Never add a `location /media/`" in (ROOT / "docs/deploy.md").read_text()


def test_a_local_file_altered_or_removed_is_rendered_again_never_served(
    licence: Licence, caplog
) -> None:
    owner = Client()
    owner.force_login(licence.request.requester)
    url = f"/licences/{licence.uuid}/pdf"
    stored = Path(settings.MEDIA_ROOT) / str(licence.pdf.name)
    original = stored.read_bytes()
    stored.write_bytes(b"%PDF-1.7 tampered")
    response = owner.get(url)
    assert response.status_code == 200
    assert response.content == original
    assert "does not match its SHA-256" in caplog.text
    licence.refresh_from_db()
    stored = Path(settings.MEDIA_ROOT) / str(licence.pdf.name)
    assert stored.read_bytes() == original
    stored.unlink()
    assert owner.get(url).content == original
    assert "is missing: rendering it again" in caplog.text
