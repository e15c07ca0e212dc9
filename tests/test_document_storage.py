"""Stored documents in an S3 bucket (DOCUMENT_STORAGE=s3), against moto's real S3 API
server on 127.0.0.1: stored privately, served byte for byte after the access check,
checked against the recorded SHA-256, rendered again when missing or altered, a
503 page while the bucket is out of reach; and the deployment checks (portal.checks)."""

import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from licensing.models import Article, Licence, RepublicationRequest
from tests.factories import approved_request, pay_by_transfer
from tests.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def portal_errors() -> list[str]:
    return [m.id for m in run_checks(tags=["portal"], include_deployment_checks=True) if m.id]


@pytest.fixture
def licence(s3_documents, licensed_request: RepublicationRequest) -> Licence:
    """The licence of `licensed_request`, stored in the test's bucket (set up first)."""
    return licensed_request.licence


@pytest.fixture
def owner(licence: Licence) -> Client:
    client = Client()
    client.force_login(licence.request.requester)
    return client


def download(client: Client, licence: Licence):
    return client.get(f"/licences/{licence.uuid}/pdf")


def test_the_licence_is_stored_in_the_bucket_and_served_byte_for_byte(
    licence: Licence, owner: Client, s3_documents, settings
) -> None:
    key = f"licences/{licence.number}.pdf"
    assert licence.pdf.name == key
    # Beside the invoice its approval stored (S3 lists keys in order).
    assert s3_documents.keys() == [f"invoices/{licence.invoice_number}.pdf", key]
    stored = s3_documents.read(key)
    assert stored.startswith(b"%PDF")
    assert hashlib.sha256(stored).hexdigest() == licence.pdf_sha256
    assert not Path(settings.MEDIA_ROOT).exists()  # nothing on this machine's disk
    response = download(owner, licence)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == stored


def test_stored_objects_are_private(licence: Licence, s3_documents, s3_server) -> None:
    key = str(licence.pdf.name)
    grants = s3_documents.client.get_object_acl(Bucket=s3_documents.bucket, Key=key)["Grants"]
    assert grants and all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner's alone
    # An unsigned request (a guessed URL) is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.endpoint_url}/{s3_documents.bucket}/{key}", timeout=5)  # noqa: S310
    assert refused.value.code == 403


def test_only_the_requester_and_staff_download_it(
    licence: Licence, reviewer: User, other_requester: Client
) -> None:
    # Signed out: sent to sign in, whether or not the licence exists.
    signed_out = download(other_requester, licence)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith("/account/login/")
    # Signed in as somebody else: nothing to see.
    stranger = Client()
    stranger.force_login(
        User.objects.create_user("stranger@outlet.example", "stranger@outlet.example")
    )
    assert download(stranger, licence).status_code == 404
    staff = Client()
    staff.force_login(reviewer)
    assert download(staff, licence).status_code == 200


def test_a_document_deleted_from_the_bucket_is_rendered_again_and_stored(
    licence: Licence, owner: Client, s3_documents, caplog
) -> None:
    key = str(licence.pdf.name)
    s3_documents.client.delete_object(Bucket=s3_documents.bucket, Key=key)
    with caplog.at_level(logging.WARNING, logger="portal.documents"):
        response = download(owner, licence)
    assert response.status_code == 200
    assert f"Stored document {licence.number} (licences/{licence.number}.pdf) is missing" in (
        caplog.text
    )
    # Rendered again, the same document byte for byte, under the same key.
    assert hashlib.sha256(response.content).hexdigest() == licence.pdf_sha256
    licence.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == licence.pdf_sha256
    # Beside the invoice its approval stored (S3 lists keys in order).
    assert s3_documents.keys() == [f"invoices/{licence.invoice_number}.pdf", key]
    assert s3_documents.read(key) == response.content


def test_an_altered_document_is_never_served(
    licence: Licence, owner: Client, s3_documents, caplog
) -> None:
    key = str(licence.pdf.name)
    original_sha = licence.pdf_sha256
    s3_documents.client.put_object(Bucket=s3_documents.bucket, Key=key, Body=b"%PDF-1.7 forged")
    with caplog.at_level(logging.ERROR, logger="portal.documents"):
        response = download(owner, licence)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF") and b"forged" not in response.content
    assert "does not match its SHA-256" in caplog.text
    licence.refresh_from_db()
    # Rendered again in the forgery's place: the document as first stored.
    assert licence.pdf_sha256 == original_sha
    assert hashlib.sha256(response.content).hexdigest() == original_sha
    # Beside the invoice its approval stored (S3 lists keys in order).
    assert s3_documents.keys() == [f"invoices/{licence.invoice_number}.pdf", key]
    assert s3_documents.read(key) == response.content


def test_the_bucket_out_of_reach_gives_a_503_page_and_nothing_is_lost(
    licence: Licence, owner: Client, s3_documents, caplog
) -> None:
    stored = s3_documents.read(str(licence.pdf.name))
    s3_documents.proxy.cut()
    with caplog.at_level(logging.ERROR, logger="licensing.views.documents"):
        response = download(owner, licence)
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    page = response.content.decode()
    assert "Document briefly unavailable" in page
    assert f"We cannot fetch licence {licence.number} from our document store" in page
    assert f'href="/requests/{licence.request.uuid}/"' in page
    assert f"Licence {licence.number} not served" in caplog.text
    french = owner.get(f"/licences/{licence.uuid}/pdf", HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 503
    assert f"Nous ne parvenons pas à récupérer la licence {licence.number}" in (
        french.content.decode()
    )
    before = Licence.objects.values().get(pk=licence.pk)

    s3_documents.proxy.restore()
    assert Licence.objects.values().get(pk=licence.pk) == before
    response = download(owner, licence)
    assert response.status_code == 200
    assert response.content == stored


@pytest.mark.django_db(transaction=True)
def test_delivery_waits_for_the_bucket_and_then_stores_and_sends(
    settings, s3_documents, article: Article, reviewer: User, mailoutbox
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    s3_documents.proxy.cut()
    req = approved_request(article, actor=reviewer, fee_minor=15000, country="GB", vat_number="")
    pay_by_transfer(req)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    licence = Licence.objects.get(request=req)
    assert licence.pdf.name == "" and licence.pdf_sha256 == ""
    retry = DBTaskResult.objects.filter(task_path="licensing.tasks.deliver_licence").latest(
        "enqueued_at"
    )
    assert retry.args_kwargs["kwargs"] == {"licence_id": licence.pk, "attempt": 2}
    assert not [m for m in mailoutbox if m.attachments]

    s3_documents.proxy.restore()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=retry.enqueued_at)  # due now
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    licence.refresh_from_db()
    stored = s3_documents.read(str(licence.pdf.name))
    assert hashlib.sha256(stored).hexdigest() == licence.pdf_sha256
    sent = [m for m in mailoutbox if m.attachments]
    assert len(sent) == 1 and sent[0].attachments[0][1] == stored


def test_checks_refuse_local_documents_on_several_servers(settings) -> None:
    settings.DOCUMENT_STORAGE = "local"
    settings.PORTAL_SERVERS = 1
    assert portal_errors() == []
    settings.PORTAL_SERVERS = 2
    assert "portal.E001" in portal_errors()


def test_checks_refuse_a_per_process_cache_on_several_servers(settings, s3_documents) -> None:
    settings.PORTAL_SERVERS = 2
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert portal_errors() == ["portal.E002"]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/11",
        },
    }
    assert portal_errors() == []


def test_checks_refuse_a_bucket_out_of_reach(settings, s3_documents) -> None:
    assert portal_errors() == []
    s3_documents.proxy.cut()
    errors = run_checks(tags=["portal"], include_deployment_checks=True)
    assert [e.id for e in errors] == ["portal.E003"]
    assert f"The document bucket '{s3_documents.bucket}' cannot be reached" in errors[0].msg
    s3_documents.proxy.restore()
    assert portal_errors() == []


def test_checks_refuse_a_bucket_that_does_not_exist(settings, s3_documents) -> None:
    options = settings.STORAGES["documents"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            **settings.STORAGES["documents"],
            "OPTIONS": {**options, "bucket_name": "no-such-bucket"},
        },
    }
    assert portal_errors() == ["portal.E003"]


def test_checks_ask_the_bucket_for_a_missing_key_and_get_a_404(s3_documents) -> None:
    # moto answers these keys as S3 answers keys granted s3:ListBucket: 404.
    assert portal_errors() == []
    assert s3_documents.keys() == []  # the check reads, never writes


def test_checks_refuse_a_bucket_that_answers_403_for_a_missing_key(
    settings, s3_documents, httpserver
) -> None:
    # Keys without s3:ListBucket: S3 answers 403, not 404, for a key that is not
    # there. An S3 API stand-in on 127.0.0.1 answers as S3 then does.
    bucket = s3_documents.bucket
    httpserver.expect_request(f"/{bucket}", method="HEAD").respond_with_data("", status=200)
    httpserver.expect_request(
        re.compile(f"^/{bucket}/portal-check-[0-9a-f]{{16}}$"), method="HEAD"
    ).respond_with_data("", status=403)
    options = settings.STORAGES["documents"]["OPTIONS"]
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            **settings.STORAGES["documents"],
            "OPTIONS": {**options, "endpoint_url": httpserver.url_for("")},
        },
    }
    errors = run_checks(tags=["portal"], include_deployment_checks=True)
    assert [e.id for e in errors] == ["portal.E004"]
    assert f"The document bucket '{bucket}', asked for a key that does not exist" in errors[0].msg
    assert "answered HTTP 403, not 404" in errors[0].msg
    assert "s3:ListBucket" in (errors[0].hint or "")


def test_deploy_docs_name_the_permissions_the_bucket_needs() -> None:
    text = (ROOT / "docs/deploy.md").read_text()
    for action in ("s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert action in text


def test_the_environment_configures_the_bucket(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DOCUMENT_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="portal-documents",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="key-id",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_S3_REGION_NAME="eu-west-3",
        AWS_S3_ADDRESSING_STYLE="path",
        DOCUMENT_STORAGE_TIMEOUT_SECONDS="3",
    )
    code = (
        "import django, json; django.setup()\n"
        "from django.core.files.storage import storages\n"
        "s = storages['documents']; c = s.client_config\n"
        "print(json.dumps([type(s).__name__, s.bucket_name, s.endpoint_url, s.access_key,"
        " s.region_name, s.default_acl, s.querystring_auth, c.s3, c.connect_timeout,"
        " c.read_timeout, c.signature_version]))"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "S3Storage",
        "portal-documents",
        "http://127.0.0.1:9",
        "key-id",
        "eu-west-3",
        None,
        True,
        {"addressing_style": "path"},
        3.0,
        3.0,
        "s3v4",
    ]
    env["DOCUMENT_STORAGE"] = "nfs"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "DOCUMENT_STORAGE='nfs': use local or s3." in result.stderr


def test_gunicorn_refuses_to_start_with_local_documents_on_two_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DOCUMENT_STORAGE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CACHE_URL="redis://127.0.0.1:6379/13",
        PORTAL_SERVERS="2",
        PORT=str(free_port()),
        WEB_CONCURRENCY="1",
    )
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "DOCUMENT_STORAGE=local with PORTAL_SERVERS=2" in (
        result.stderr
    )
    assert "Not starting: `manage.py check --deploy --tag portal` failed" in result.stderr
    assert "Listening at" not in result.stderr + result.stdout
