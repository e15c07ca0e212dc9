"""From a card payment's webhook to the licence in the mail server, on PostgreSQL.

A burst of BURST payments (real signed Stripe events through the real view),
each for another requester; the real worker (`manage.py db_worker`, in
processes of their own) renders each licence and emails it to an SMTP server
on 127.0.0.1 (aiosmtpd, bench/mail_server.py, a process of its own too). A
licence's figure is the time from its webhook's 200 to the mail server
accepting its email. Beside it, in the
same run: /healthz answered by the same process. Run by bench/run.py on the
PostgreSQL database the earlier steps used.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

from bench.figures import emit, summary, time_calls

ROOT = Path(__file__).resolve().parent.parent
BURST = 100
# As make serve and docs/deploy.md's systemd units run them (two, as many as
# the bench machine's cores), with the portal's own db_worker defaults.
WORKERS = 2
TARGET_P95_MS = 2000


def start_mail_server(port: int, arrivals: Path) -> subprocess.Popen[str]:
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bench.mail_server", str(port), str(arrivals)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    if server.stdout is None or server.stdout.readline().strip() != "ready":
        raise SystemExit("the bench mail server did not start")
    return server


def arrived(path: Path) -> dict[str, float]:
    """When each recipient's licence email reached the mail server (time.time())."""
    times: dict[str, float] = {}
    for line in path.read_text().splitlines():
        recipient, at = line.split()
        times.setdefault(recipient, float(at))
    return times


def start_workers(smtp_port: int, log_dir: str) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        # The licence PDFs they store go with the bench's temporary folder.
        "MEDIA_ROOT": f"{log_dir}/media",
        # The portal's own settings (bench.settings keeps mail in memory).
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "TASKS_BACKEND": "database",
        "LOG_LEVEL": "WARNING",
    }
    workers = []
    for n in range(WORKERS):
        with open(f"{log_dir}/worker-{n}.log", "wb") as log:
            workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "db_worker", "--no-reload", "--verbosity", "0"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    return workers


def wait_for_empty_queue(timeout: float = 120) -> None:
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (DBTaskResult.objects.ready().exists() or DBTaskResult.objects.running().exists()):
            return
        time.sleep(0.2)
    raise SystemExit("the workers did not empty the queue within 2 minutes")


def main() -> None:
    django.setup()
    from django.test import Client

    from tests.factories import approved_request, make_article
    from tests.ports import free_port
    from tests.stripe_stub import completed_session, event_payload, sign

    article = make_article(title="Licence delivery article", slug="licence-delivery-article")
    requests = [
        approved_request(article, email=f"desk{n}@delivery{n}.example") for n in range(BURST)
    ]
    payloads = {}
    for req in requests:
        invoice = req.invoice
        if invoice is None:
            raise SystemExit("approving at a fee issued no invoice")
        session = completed_session(invoice_number=invoice.number, amount_total=invoice.due_minor)
        payloads[req.email] = event_payload("checkout.session.completed", session)

    client = Client()
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        arrivals = Path(folder, "arrivals.txt")
        smtp_port = free_port()
        mail_server = start_mail_server(smtp_port, arrivals)
        workers = start_workers(smtp_port, folder)
        try:
            # The approvals' own emails go first: the burst starts on an empty queue.
            wait_for_empty_queue()
            healthz = time_calls(lambda: client.get("/healthz"), BURST)
            answered: dict[str, float] = {}
            started = time.time()
            for email, payload in payloads.items():
                response = client.post(
                    "/billing/stripe/webhook/",
                    payload,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sign(payload),
                )
                if response.status_code != 200:
                    raise SystemExit(f"webhook answered {response.status_code}")
                answered[email] = time.time()
            deadline = time.monotonic() + 120
            while len(arrived(arrivals)) < BURST and time.monotonic() < deadline:
                time.sleep(0.05)
            licences = arrived(arrivals)
            took = max(licences.values(), default=started) - started
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            mail_server.communicate(timeout=30)  # closes its input: it stops
        if len(licences) < BURST:
            logs = "".join(Path(folder, f"worker-{n}.log").read_text() for n in range(WORKERS))
            raise SystemExit(f"{len(licences)} of {BURST} licences emailed:\n{logs[-3000:]}")
    delays = [(licences[email] - answered[email]) * 1000 for email in answered]
    if min(delays) <= 0:
        raise SystemExit("a licence email arrived before its payment was answered")
    measured = summary(delays, took)
    emit(
        "licence_email_after_payment",
        {
            "n": measured["n"],
            "p50_ms": measured["p50_ms"],
            "p95_ms": measured["p95_ms"],
            "max_ms": round(max(delays), 2),
        },
        database="postgresql",
        workers=WORKERS,
        burst=BURST,
        baseline="healthz",
        baseline_p50_ms=healthz["p50_ms"],
        baseline_p95_ms=healthz["p95_ms"],
        target="p95 under 2 s from the webhook's 200 to the mail server",
        ok=measured["p95_ms"] < TARGET_P95_MS,
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
