"""Stored PDFs (licences here; invoices and credit notes in test_stored_invoices.py) are
reachable only through views that check who asks: no /media/ URL in the portal, no media
location in the nginx example."""

import contextlib
import hashlib
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.views.static import serve

from licensing.models import Article, Licence
from portal.documents import document_storage
from tests.factories import approved_request, pay_by_transfer

ROOT = Path(__file__).resolve().parent.parent


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
    # Rendered again: the licence as first stored, byte for byte, in place of the
    # altered file, under the same name.
    assert response.content == original
    assert "does not match its SHA-256" in caplog.text
    licence.refresh_from_db()
    assert licence.pdf.name == f"licences/{licence.number}.pdf"
    assert hashlib.sha256(response.content).hexdigest() == licence.pdf_sha256
    assert stored.read_bytes() == response.content
    stored.unlink()
    again = owner.get(url).content
    assert again == original
    assert "is missing: rendering it again" in caplog.text
    licence.refresh_from_db()
    assert stored.read_bytes() == again
    assert hashlib.sha256(again).hexdigest() == licence.pdf_sha256
    assert sorted(p.name for p in stored.parent.iterdir()) == [stored.name]


def stored_licences(request: pytest.FixtureRequest, storage: str) -> list[str]:
    """Every stored licence's name, on this disk or in the test's bucket (the invoice its
    approval stored beside them aside)."""
    if storage == "s3":
        names = request.getfixturevalue("s3_documents").keys()
    else:
        root = Path(settings.MEDIA_ROOT)
        names = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return sorted(name for name in names if name.startswith("licences/"))


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL; SQLite serialises writes"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("storage", ["local", "s3"])
@pytest.mark.parametrize("before", ["never stored", "deleted"])
def test_two_renders_at_once_store_one_document(
    request: pytest.FixtureRequest, settings, tmp_path, article: Article, reviewer: User,
    monkeypatch, storage: str, before: str,
) -> None:  # fmt: skip
    # The worker's first delivery and a download, or two servers, at the same moment.
    settings.MEDIA_ROOT = tmp_path
    if storage == "s3":
        request.getfixturevalue("s3_documents")
    req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB", vat_number="")
    pay_by_transfer(req)
    licence = Licence.objects.get(request=req)
    document_storage().delete(licence.pdf.name)
    if before == "never stored":
        Licence.objects.filter(pk=licence.pk).update(pdf="", pdf_sha256="")
    assert stored_licences(request, storage) == []

    # Each render waits for the other (a while, not for ever): two that overlap meet here.
    barrier = threading.Barrier(2)
    renders: list[str] = []
    render = Licence.render_pdf

    def render_when_both_are_rendering(self: Licence) -> bytes:
        renders.append(self.number)
        # Alone, the barrier breaks: the other is waiting for the lock, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return render(self)

    monkeypatch.setattr(Licence, "render_pdf", render_when_both_are_rendering)
    served: list[bytes] = []
    errors: list[BaseException] = []

    def download() -> None:
        try:
            served.append(Licence.objects.get(pk=licence.pk).pdf_bytes())
        except BaseException as error:  # collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(renders) == 1, renders
    licence.refresh_from_db()
    key = f"licences/{licence.number}.pdf"
    assert licence.pdf.name == key
    assert stored_licences(request, storage) == [key]  # no orphan beside it
    assert served[0] == served[1]
    assert hashlib.sha256(served[0]).hexdigest() == licence.pdf_sha256
    assert licence.pdf_bytes() == served[0]
