"""Mail server down when a request is sent: the request is kept and its emails retried later.

The SMTP mailer is pointed at a closed local port (a real refused connection),
and the database task backend is run by the real `db_worker --batch`.
"""

import re
import smtplib
import socket
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from licensing.models import RepublicationRequest
from portal.mail_retries import MAX_ATTEMPTS, RETRY_BACKOFF, is_temporary
from tests.factories import approved_request, follow_request_link, request_form_data

LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
REQUEST_EMAIL = "licensing.tasks.send_request_email"
RECEIVED = f"{REQUEST_EMAIL}[request_received]"
TO_REVIEWERS = f"{REQUEST_EMAIL}[new_request_to_reviewers]"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_down(settings) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 5},
        }
    }


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def submit(client: Client, article) -> RepublicationRequest:
    response = client.post(f"/articles/{article.slug}/republish/", request_form_data())
    req = RepublicationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{req.uuid}/"
    # The requester follows the acknowledgement's link (its email may be stuck in a retry).
    follow_request_link(client, req)
    req.refresh_from_db()
    return req


def run_worker() -> None:
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def task_name(row: DBTaskResult) -> str:
    """The task's path, and which email when it says: send_request_email[request_received]."""
    email = row.args_kwargs["kwargs"].get("email")
    return f"{row.task_path}[{email}]" if email else row.task_path


def queued() -> list[tuple[str, str, int, bool]]:
    """(task, status, attempt, due now) for every task row, oldest first."""
    now = timezone.now()
    return [
        (
            task_name(row),
            row.status,
            row.args_kwargs["kwargs"].get("attempt", 1),
            # A task queued without run_after holds the largest date: due at once.
            row.run_after <= now or row.run_after.year == 9999,
        )
        for row in DBTaskResult.objects.order_by("enqueued_at", "id")
    ]


@pytest.mark.django_db(transaction=True)
def test_immediate_backend_keeps_the_request_when_smtp_is_down(
    client: Client, article, smtp_down, caplog
) -> None:
    req = submit(client, article)

    assert req.status == "submitted"
    assert req.status_changes.count() == 2
    assert mail.outbox == []
    # The request page answers as usual.
    assert client.get(f"/requests/{req.uuid}/").status_code == 200
    failures = [r for r in caplog.records if r.name == "portal.mail_retries"]
    assert len(failures) == 2
    assert all(r.levelname == "ERROR" and req.reference in r.getMessage() for r in failures)
    assert all(r.request_reference == req.reference for r in failures)


@pytest.mark.django_db(transaction=True)
def test_worker_retries_the_emails_once_smtp_is_back(
    client: Client, article, smtp_down, database_tasks, settings, caplog
) -> None:
    req = submit(client, article)
    assert sorted(queued()) == sorted(
        [(RECEIVED, "READY", 1, True), (TO_REVIEWERS, "READY", 1, True)]
    )

    run_worker()

    # Each first attempt met the refused connection and queued a second, one minute on.
    rows = queued()
    assert sorted(rows[:2]) == sorted(
        [(RECEIVED, "SUCCESSFUL", 1, True), (TO_REVIEWERS, "SUCCESSFUL", 1, True)]
    )
    assert sorted(rows[2:]) == sorted(
        [(RECEIVED, "READY", 2, False), (TO_REVIEWERS, "READY", 2, False)]
    )
    assert all(
        "attempt 1 failed" in str(value)
        for value in DBTaskResult.objects.filter(status="SUCCESSFUL").values_list(
            "return_value", flat=True
        )
    )
    warnings = [r for r in caplog.records if r.name == "portal.mail_retries"]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"]
    assert all(req.reference in r.getMessage() for r in warnings)
    assert mail.outbox == []

    settings.MAILERS = LOCMEM
    run_worker()
    assert mail.outbox == []  # not due yet

    with time_machine.travel(timezone.now() + RETRY_BACKOFF[0] + timedelta(seconds=1)):
        run_worker()

    assert sorted(m.to[0] for m in mail.outbox) == [
        "amira@outlet.example",
        "republishing@example.com",
    ]
    assert req.reference in mail.outbox[0].subject
    assert [status for _, status, _, _ in queued()] == ["SUCCESSFUL"] * 4


@pytest.mark.django_db(transaction=True)
def test_worker_gives_up_after_the_last_attempt(
    client: Client, article, smtp_down, database_tasks, caplog
) -> None:
    req = submit(client, article)
    DBTaskResult.objects.filter(
        task_path=REQUEST_EMAIL, args_kwargs__kwargs__email="new_request_to_reviewers"
    ).delete()
    moment = timezone.now()

    run_worker()
    for wait in RETRY_BACKOFF:
        moment += wait + timedelta(seconds=1)
        with time_machine.travel(moment):
            run_worker()

    attempts = [(status, attempt) for _, status, attempt, _ in queued()]
    assert attempts == [("SUCCESSFUL", n) for n in range(1, MAX_ATTEMPTS)] + [
        ("FAILED", MAX_ATTEMPTS)
    ]
    last = [r for r in caplog.records if r.name == "portal.mail_retries"][-1]
    assert last.levelname == "ERROR"
    assert f"failed {MAX_ATTEMPTS} times, giving up" in last.getMessage()
    assert req.reference in last.getMessage()
    # Nothing more is queued, and the request itself never changed.
    with time_machine.travel(moment + timedelta(days=1)):
        run_worker()
    assert DBTaskResult.objects.count() == MAX_ATTEMPTS
    assert RepublicationRequest.objects.get().status == "submitted"


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPResponseException(421, b"Service not available"), True),
        (smtplib.SMTPSenderRefused(451, b"Try again later", "desk@example.com"), True),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")}), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"Mailbox busy")}), True),
    ],
)
def test_which_failures_are_retried(error: Exception, temporary: bool) -> None:
    assert is_temporary(error) is temporary


@pytest.mark.django_db(transaction=True)
def test_quote_reminder_is_retried_not_lost(article, reviewer, smtp_down, settings) -> None:
    req = approved_request(article, actor=reviewer, fee_minor=10000)  # quote valid 30 days
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    reminder = f"{REQUEST_EMAIL}[quote_reminder]"
    three_days_before = timezone.now() + timedelta(days=27)

    with time_machine.travel(three_days_before):
        call_command("expire_quotes", stdout=StringIO())
        run_worker()
        # Marked as reminded (a second run sends none), and the email is queued again.
        assert [(path, status, n) for path, status, n, _ in queued()] == [
            (reminder, "SUCCESSFUL", 1),
            (reminder, "READY", 2),
        ]
    req.refresh_from_db()
    assert req.quote_reminder_sent_at is not None

    settings.MAILERS = LOCMEM
    with time_machine.travel(three_days_before + RETRY_BACKOFF[0] + timedelta(seconds=1)):
        run_worker()
    [email] = mail.outbox
    assert email.to == ["amira@outlet.example"]
    assert req.invoice.number in email.body


MAGIC_LINK = "licensing.tasks.send_magic_link_email"


@pytest.mark.django_db(transaction=True)
def test_sign_in_page_answers_as_usual_when_smtp_is_down(
    client: Client, submitted, smtp_down, caplog
) -> None:
    response = client.post("/account/login/", {"email": "amira@outlet.example"})

    # The same answer as for an unknown address: the outage tells a visitor nothing.
    assert response.status_code == 200
    assert "If amira@outlet.example has sent us a request" in response.content.decode()
    failures = [r for r in caplog.records if r.name == "portal.mail_retries"]
    assert [r.levelname for r in failures] == ["ERROR"]


@pytest.mark.django_db(transaction=True)
def test_worker_retries_the_magic_link_with_a_fresh_link_in_the_page_language(
    client: Client, submitted, smtp_down, database_tasks, settings
) -> None:
    mail.outbox.clear()  # the submission's own emails
    client.post("/account/login/", {"email": "amira@outlet.example"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert queued() == [(MAGIC_LINK, "READY", 1, True)]

    run_worker()
    assert queued()[1:] == [(MAGIC_LINK, "READY", 2, False)]
    assert mail.outbox == []

    settings.MAILERS = LOCMEM
    with time_machine.travel(timezone.now() + RETRY_BACKOFF[0] + timedelta(seconds=5)):
        run_worker()
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["amira@outlet.example"]
        assert "lien de connexion" in message.subject
        # The link is made when the email goes out, so it works for the full time from then.
        link = re.search(r"http://\S+(/account/magic/\?sesame=\S+)", message.body)
        assert link is not None
        landed = Client().get(link.group(1), follow=True)
    assert landed.redirect_chain[-1][0] == "/account/"


@pytest.mark.django_db(transaction=True)
def test_overdue_reminder_is_retried_and_skips_requests_answered_meanwhile(
    article, reviewer, smtp_down, database_tasks, settings
) -> None:
    from licensing.models import RepublicationRequest
    from tests.factories import make_request

    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    reminder = "licensing.tasks.send_overdue_reminder_email"
    waiting = make_request(article, outlet_name="Still Waiting Daily")
    answered = make_request(article, outlet_name="Answered Weekly")
    RepublicationRequest.objects.filter(pk__in=[waiting.pk, answered.pk]).update(
        waiting_since=timezone.now() - timedelta(days=10)
    )
    DBTaskResult.objects.all().delete()  # the submissions' own emails

    call_command("remind_reviewers", stdout=StringIO())
    run_worker()
    assert [(path, status, n) for path, status, n, _ in queued()] == [
        (reminder, "SUCCESSFUL", 1),
        (reminder, "READY", 2),
    ]
    assert mail.outbox == []

    # A reviewer answers one of them during the outage; the retry lists only the other.
    answered.decline(actor=reviewer, reason="Not for syndication.")
    mail.outbox.clear()
    settings.MAILERS = LOCMEM
    with time_machine.travel(timezone.now() + RETRY_BACKOFF[0] + timedelta(seconds=5)):
        run_worker()
    [email] = [m for m in mail.outbox if m.to == ["desk@publisher.example"]]
    assert waiting.reference in email.body
    assert answered.reference not in email.body
