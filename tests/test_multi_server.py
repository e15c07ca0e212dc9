"""Several servers on one PostgreSQL, one Redis and one bucket (docs/deploy.md).

Two gunicorn servers (deploy/gunicorn.conf.py, DEBUG off) on two ports and two
task workers (`manage.py db_worker`), all real processes, sharing a database of
this test's own, Redis db 13 and a bucket on moto's S3 server, reached through
a TCP proxy the test cuts and restores. A request sent through server A is
approved through server B by a reviewer signed in on A, its licence rendered by
a worker and downloaded through A, byte for byte what the bucket holds; rate
limits count across both servers; a document deleted from the bucket is
rendered again on the next download; the bucket out of reach gives the 503
page, and once it is back nothing is lost.
"""

import email
import hashlib
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from django.db import connection

from tests.factories import request_form_data
from tests.fault_proxy import FaultProxy
from tests.ports import free_port
from tests.s3_server import ACCESS_KEY, REGION, SECRET_KEY, S3Server

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/13"  # this test's own Redis db
PASSWORD = "desk-password-for-tests"
ARTICLE_SLUG = "multi-server-article"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="several servers share one PostgreSQL; SQLite is a file on one machine",
)


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Cookies kept across servers, as behind one load balancer's address."""

    def __init__(self) -> None:
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def get(self, url: str) -> Response:
        return self._open(urllib.request.Request(url))  # noqa: S310 (loopback only)

    def post(self, url: str, data: dict[str, str]) -> Response:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))  # noqa: S310

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as answer:
            return Response(answer.code, answer.headers, answer.read())


@pytest.fixture
def database_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, on the suite's server; dropped after."""
    params = connection.settings_dict
    admin = {
        "host": params["HOST"] or "127.0.0.1",
        "port": params["PORT"] or 5432,
        "user": params["USER"] or None,
        "password": params["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    name = f"wt_storage_servers_{secrets.token_hex(3)}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = params["USER"] or "postgres"
    if params["PASSWORD"]:
        auth += ":" + urllib.parse.quote(params["PASSWORD"], safe="")
    yield f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_redis() -> Iterator[None]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield
    client.flushdb()
    client.close()


class Cluster:
    """The processes, their environment and logs; stopped together."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def manage(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    def start(self, name: str, args: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def logs(self) -> str:
        return "\n".join(f"== {name}\n{self.log(name)[-3000:]}" for name, _ in self.processes)

    def wait_for(self, port: int, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"no answer on port {port}\n{self.logs()}")

    def stop(self) -> None:
        for _name, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for _name, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def confirmation_link(folder: Path, request_uuid: str) -> str:
    """The signed link to the request in an email written to `folder`, or ''."""
    for path in sorted(folder.glob("*")):
        for message in mailbox_messages(path.read_bytes()):
            for part in message.walk():
                if part.get_content_type() != "text/plain":
                    continue
                body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                if found := re.search(rf"\S*/requests/{request_uuid}/\?link=[^\s\"<>]+", body):
                    return found.group(0)
    return ""


def mailbox_messages(data: bytes) -> list[Any]:
    """Django's file backend writes each message followed by a line of dashes."""
    return [
        email.message_from_bytes(chunk) for chunk in re.split(rb"\n-{79}\n", data) if chunk.strip()
    ]


def wait_until(condition: Any, seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(message)


def test_two_servers_and_two_workers_share_one_database_one_redis_and_one_bucket(
    tmp_path: Path, s3_server: S3Server, database_url: str, shared_redis: None
) -> None:
    started = time.monotonic()
    bucket = s3_server.new_bucket()
    s3 = s3_server.client()
    proxy = FaultProxy(s3_server.port)
    port_a, port_b = free_port(), free_port()
    base_a, base_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    controlled = ("DEBUG", "CACHE_URL", "REDIS_URL", "RATE_LIMITS", "TASKS_BACKEND", "EMAIL_URL")
    env = {k: v for k, v in os.environ.items() if k not in controlled and not k.startswith("AWS_")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DEBUG="false",
        LOCAL_HTTP="true",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        PORTAL_BASE_URL=base_a,
        CSRF_TRUSTED_ORIGINS=f"{base_a},{base_b}",
        DATABASE_URL=database_url,
        CACHE_URL=REDIS_URL,
        TASKS_BACKEND="database",
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        RATE_LIMITS="verify=3/m",
        PORTAL_SERVERS="2",
        DOCUMENT_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=bucket,
        AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{proxy.port}",
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_S3_REGION_NAME=REGION,
        AWS_S3_ADDRESSING_STYLE="path",
        DOCUMENT_STORAGE_TIMEOUT_SECONDS="2",
        WEB_CONCURRENCY="1",
    )
    cluster = Cluster(tmp_path, env)
    try:
        # Each server collects its own static files (whitenoise): no shared disk. Run
        # side by side with the migration, which they do not need.
        setup = [
            cluster.start("migrate", ["manage.py", "migrate", "--no-input"]),
            *(
                cluster.start(
                    f"collectstatic-{server}",
                    ["manage.py", "collectstatic", "--no-input"],
                    STATIC_ROOT=str(tmp_path / f"static-{server}"),
                )
                for server in ("a", "b")
            ),
        ]
        assert [step.wait(timeout=90) for step in setup] == [0, 0, 0], cluster.logs()
        gunicorn = ["-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]
        for server, port in (("a", port_a), ("b", port_b)):
            static = str(tmp_path / f"static-{server}")
            cluster.start(f"server-{server}", gunicorn, PORT=str(port), STATIC_ROOT=static)
        worker = ["manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"]
        cluster.start("worker-1", [*worker, "--worker-id", "worker-1"])
        cluster.start("worker-2", [*worker, "--worker-id", "worker-2"])
        # The data while they start: an article and a reviewer.
        data = cluster.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import Group, User\n"
            "from tests.factories import make_article\n"
            f"make_article(slug={ARTICLE_SLUG!r}, title='Shared across servers')\n"
            f"u = User.objects.create_user('desk', 'desk@publisher.example', {PASSWORD!r},"
            " is_staff=True)\n"
            "u.groups.add(Group.objects.get(name='Reviewers'))\n",
        )
        assert data.returncode == 0, data.stderr
        deadline = time.monotonic() + 40
        cluster.wait_for(port_a, deadline)
        cluster.wait_for(port_b, deadline)

        # The requester sends the request through server A.
        requester = Browser()
        assert requester.get(f"{base_a}/articles/{ARTICLE_SLUG}/republish/").status == 200
        sent = requester.post(f"{base_a}/articles/{ARTICLE_SLUG}/republish/", request_form_data())
        assert sent.status == 302, sent.text
        request_path = sent.headers["Location"]
        assert re.fullmatch(r"/requests/[0-9a-f-]{36}/", request_path)
        request_uuid = request_path.split("/")[2]
        # The acknowledgement, written by a worker, confirms the address: opened on
        # server B in another browser, as from a phone.
        confirmation = wait_until(
            lambda: confirmation_link(tmp_path / "mail", request_uuid),
            60,
            "no acknowledgement with its confirmation link was written",
        )
        phone = Browser()
        confirmed = phone.get(confirmation.replace(base_a, base_b))
        assert confirmed.status == 302, confirmed.text
        assert phone.get(f"{base_b}{request_path}").status == 200

        # A reviewer signs in on A; the session (in the database) holds on B, where they approve.
        desk = Browser()
        assert desk.get(f"{base_a}/accounts/login/").status == 200
        signed_in = desk.post(
            f"{base_a}/accounts/login/", {"username": "desk", "password": PASSWORD}
        )
        assert signed_in.status == 302, signed_in.text
        with psycopg.connect(database_url) as db:
            (request_pk,) = db.execute(
                "SELECT id FROM licensing_republicationrequest WHERE uuid = %s", [request_uuid]
            ).fetchone()
        assert desk.get(f"{base_b}/staff/requests/{request_pk}/").status == 200
        approved = desk.post(
            f"{base_b}/staff/requests/{request_pk}/approve/",
            {"fee": "0", "currency": "GBP", "validity_days": "30"},
        )
        assert approved.status == 302, approved.text

        # A worker renders the licence and stores it in the bucket.
        def stored_licence() -> tuple[Any, ...] | None:
            with psycopg.connect(database_url) as db:
                return db.execute(
                    "SELECT l.uuid, l.number, l.pdf, l.pdf_sha256 FROM licensing_licence l"
                    " JOIN licensing_republicationrequest r ON r.id = l.request_id"
                    " WHERE r.uuid = %s AND l.pdf_sha256 <> ''",
                    [request_uuid],
                ).fetchone()

        licence_uuid, number, key, sha256 = wait_until(
            stored_licence, 30, f"no licence stored\n{cluster.logs()}"
        )
        assert key == f"licences/{number}.pdf"
        in_bucket = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.sha256(in_bucket).hexdigest() == sha256
        assert not (tmp_path / "media").exists()  # no server wrote a document to its disk
        with psycopg.connect(database_url) as db:
            (ran_by,) = db.execute(
                "SELECT worker_ids FROM django_tasks_database_dbtaskresult"
                " WHERE task_path = 'licensing.tasks.deliver_licence'"
            ).fetchone()
        assert set(ran_by) <= {"worker-1", "worker-2"} and ran_by

        # Downloaded through A (the requester's browser), byte for byte what is stored.
        pdf_url = f"/licences/{licence_uuid}/pdf"
        downloaded = requester.get(base_a + pdf_url)
        assert downloaded.status == 200
        assert downloaded.headers["Content-Type"] == "application/pdf"
        assert downloaded.body == in_bucket
        # A signed-out visitor is sent to sign in, never given the file.
        stranger = Browser().get(base_b + pdf_url)
        assert stranger.status == 302
        assert stranger.headers["Location"] == f"/account/login/?next={pdf_url}"

        # Rate limits count in the shared Redis: 3 a minute across both servers.
        answers = [
            Browser().get(f"{base}/verify/{number}/").status
            for base in (base_a, base_b, base_a, base_b)
        ]
        assert answers == [200, 200, 200, 429]

        # Deleted from the bucket: rendered again on the next download, and stored again.
        s3.delete_object(Bucket=bucket, Key=key)
        again = requester.get(base_b + pdf_url)
        assert again.status == 200
        assert hashlib.sha256(again.body).hexdigest() == sha256
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == again.body
        assert f"Stored document {number} ({key}) is missing" in cluster.log("server-b")

        # The bucket out of reach: a clear 503 page, the request page still answers.
        proxy.cut()
        unavailable = requester.get(base_a + pdf_url)
        assert unavailable.status == 503, unavailable.text
        assert "Document briefly unavailable" in unavailable.text
        assert unavailable.headers["Retry-After"] == "120"
        assert requester.get(base_a + request_path).status == 200
        # And a server started now refuses to: the bucket cannot be reached.
        refused = cluster.manage("check", "--deploy", "--tag", "portal")
        assert refused.returncode != 0 and "portal.E003" in refused.stderr

        # Back: nothing lost.
        proxy.restore()
        back = requester.get(base_a + pdf_url)
        assert back.status == 200 and back.body == in_bucket
        assert stored_licence() == (licence_uuid, number, key, sha256)

    finally:
        cluster.stop()
        proxy.close()
    assert time.monotonic() - started < 120
