"""Figures on SQLite: licence and invoice PDFs, and the Stripe webhook.

PDF times are information, not a target: documents are rendered once, in a
background task, and stored. Each is printed beside reportlab drawing one
line of text on one page in Helvetica, a font reportlab need not embed (so
the ratio includes what embedding DejaVu Sans costs: Arabic and accented
names must print), and the same line in DejaVu Sans. The webhook (real
signatures, through the real view) against /healthz in the same process.
Run by bench/run.py with DATABASE_URL pointing at a fresh SQLite file and
TASKS_BACKEND=database, so work the worker would do after commit (emails,
storing PDFs) is queued, as in production.
"""

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import django

from bench.figures import emit, ratio, time_calls, time_interleaved

# Ten rounds, each drawing 20 of each one-line baseline and 5 licences and 5 invoices.
PDF_ROUNDS = 10
PDFS_A_ROUND = 5
BASELINES_A_ROUND = 20
WARMUP = 3
EVENTS = 150


def one_line_pdf(font: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setFont(font, 12)
    canvas.drawString(72, 720, "One line of text.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# Each document timed is a different one (licensee, article, number, payment page),
# as in production, where a document is rendered once.
OUTLETS = [
    ("The Daily Example", "Amira Haddad"),
    ("Süddeutsche Beispiel", "Jürgen Weiß"),
    ("Le Courrier d\u2019Exemple", "Zoë Lefèvre"),
    ("El Diario de Ejemplo", "Iñaki Peña"),
    ("Gazeta Przykładowa", "Łukasz Wróbel"),
    ("The Example Broadcasting Company", "Siobhán O\u2019Connor"),
    ("Revista Exemplo", "João Gonçalves"),
]
TOPICS = [
    "Floods reach the delta",
    "Election count enters third day",
    "How the city\u2019s buses were saved",
    "Inside the lithium rush",
    "A season with the night shift",
]


def distinct_documents(count: int, first: int = 0) -> tuple[list[Any], list[Any]]:
    """`count` licences (issued free) and `count` invoices, every one for another request."""
    from tests.factories import approved_request, make_article, make_request

    licences, invoices = [], []
    for n in range(first, first + count):
        outlet, contact = OUTLETS[n % len(OUTLETS)]
        article = make_article(
            title=f"{TOPICS[n % len(TOPICS)]} ({n})", slug=f"bench-article-{n}", author=contact
        )
        requester: dict[str, Any] = {
            "outlet_name": f"{outlet} {n}",
            "contact_name": contact,
            "email": f"desk{n}@outlet{n}.example",
            "outlet_website": f"https://outlet{n}.example",
        }
        invoices.append(invoice_of(approved_request(article, **requester)))
        free = make_request(article, **requester)
        free.approve(actor=None, fee_minor=0, currency="GBP", validity_days=30)
        licences.append(free.licence)
    return licences, invoices


def pdf_figures() -> None:
    from billing.pdf import render_invoice_pdf
    from licensing.pdf import render_licence_pdf
    from portal.pdf_text import FONT, register_fonts

    licences, invoices = distinct_documents(PDF_ROUNDS * PDFS_A_ROUND + WARMUP)
    register_fonts()  # for the DejaVu one-liner; each renderer registers them too
    next_licence, next_invoice = iter(licences), iter(invoices)

    def render_invoice(invoice: Any) -> bytes:
        # Its own request page to pay on, as in production.
        return render_invoice_pdf(invoice, pay_url=f"http://127.0.0.1/requests/{invoice.uuid}/")

    measured = time_interleaved(
        {
            "helvetica": (lambda: one_line_pdf("Helvetica"), BASELINES_A_ROUND),
            "dejavu": (lambda: one_line_pdf(FONT), BASELINES_A_ROUND),
            "licence_pdf": (lambda: render_licence_pdf(next(next_licence)), PDFS_A_ROUND),
            "invoice_pdf": (lambda: render_invoice(next(next_invoice)), PDFS_A_ROUND),
        },
        rounds=PDF_ROUNDS,
        warmup=WARMUP,
    )
    helvetica, dejavu = measured["helvetica"], measured["dejavu"]
    for figure in ("licence_pdf", "invoice_pdf"):
        document = measured[figure]
        emit(
            figure,
            {"ms_per_doc": document["p50_ms"], "p95_ms": document["p95_ms"], "n": document["n"]},
            baseline="reportlab_one_line_helvetica",
            baseline_ms=helvetica["p50_ms"],
            ratio=ratio(document["p50_ms"], helvetica["p50_ms"]),
            dejavu_one_line_ms=dejavu["p50_ms"],
            ratio_to_dejavu=ratio(document["p50_ms"], dejavu["p50_ms"]),
            distinct_documents=True,
            target=None,
            ok=True,
        )


@contextlib.contextmanager
def throwaway_signer() -> Iterator[str]:
    """Licences signed, while inside, with a throwaway key in a throwaway folder; its path."""
    from django.conf import settings

    from licensing.management.commands.demo_signing_certificate import self_signed_p12

    with tempfile.TemporaryDirectory() as folder:
        p12 = Path(folder) / "bench.p12"
        password = os.urandom(8).hex()
        p12.write_bytes(self_signed_p12(common_name="Bench signer", password=password))
        settings.LICENCE_SIGNING_P12, settings.LICENCE_SIGNING_P12_PASSWORD = str(p12), password
        try:
            yield str(p12)
        finally:
            settings.LICENCE_SIGNING_P12 = ""


def invoice_of(req: Any) -> Any:
    if req.invoice is None:
        raise SystemExit(f"approving {req.reference} at a fee issued no invoice")
    return req.invoice


def issue_figures() -> None:
    """What issuing costs, end to end, as the worker does it (information, no target).

    `invoice_issued_ms`: a request approved at a fee (invoice numbered, its
    EN 16931 XML made) and its Factur-X PDF/A-3 made and stored.
    `licence_issued_ms`: that invoice paid (the payment recorded, the request
    licensed, the licence numbered) and the licence PDF laid out, its ODRL
    policy attached, PAdES-signed and stored. Each call on a request of its own.
    """
    from django.utils import timezone

    from licensing.links import request_link
    from tests.factories import make_article, make_request

    count = PDFS_A_ROUND * PDF_ROUNDS
    article = make_article(title="Issued documents", slug="bench-issued")
    requests = [
        make_request(article, email=f"issue{n}@outlet{n}.example", outlet_name=f"Outlet {n}")
        for n in range(count + WARMUP)
    ]
    to_invoice, to_license = iter(requests), iter(requests)

    def issue_invoice() -> None:
        req = next(to_invoice)
        req.approve(actor=None, fee_minor=15000, currency="GBP", validity_days=30)
        req.refresh_from_db()
        invoice_of(req).pdf_bytes(pay_url=request_link(req))

    def issue_licence() -> None:
        req = next(to_license)
        invoice = invoice_of(req)
        invoice.record_payment(
            method="bank_transfer",
            amount_minor=invoice.total_minor,
            currency=invoice.currency,
            received_on=timezone.localdate(),
        )
        req.refresh_from_db()
        req.licence.pdf_bytes()

    with throwaway_signer():
        invoiced = time_calls(issue_invoice, count, warmup=WARMUP)
        licensed = time_calls(issue_licence, count, warmup=WARMUP)
    emit(
        "documents_issued",
        {
            "invoice_issued_ms": invoiced["p50_ms"],
            "invoice_issued_p95_ms": invoiced["p95_ms"],
            "licence_issued_ms": licensed["p50_ms"],
            "licence_issued_p95_ms": licensed["p95_ms"],
        },
        n=count,
        signed=True,
        information=True,
        ok=True,
    )


def signature_and_einvoice_figures() -> None:
    """What the e-invoice (XML at issue, PDF/A-3 once stored) and the licence's signature cost.

    Information beside the PDF figures, no target: each is timed with and
    without its extra step, on documents of their own.
    """
    from django.conf import settings

    from billing.einvoice import invoice_pdf_a3, invoice_xml
    from billing.pdf import render_invoice_pdf
    from licensing.odrl import licence_policy_json
    from licensing.pdf import render_licence_pdf
    from licensing.signing import finish_licence_pdf

    count = PDFS_A_ROUND * PDF_ROUNDS
    licences, invoices = distinct_documents(count + WARMUP, first=1000)
    with throwaway_signer() as p12:
        pdfs = [render_licence_pdf(licence) for licence in licences]
        invoice_pdfs = [render_invoice_pdf(invoice) for invoice in invoices]

        def finish(n: int, sign: bool) -> bytes:
            settings.LICENCE_SIGNING_P12 = p12 if sign else ""
            licence = licences[n]
            return finish_licence_pdf(
                pdfs[n],
                policy_json=licence_policy_json(licence),
                signer_name=licence.publisher_name,
                verify_url=licence.verify_url,
            ).data

        steps: dict[str, Callable[[int], object]] = {
            "licence_odrl_attached_ms": lambda n: finish(n, sign=False),
            "licence_odrl_and_signature_ms": lambda n: finish(n, sign=True),
            "invoice_xml_at_issue_ms": lambda n: invoice_xml(invoices[n]),
            "invoice_pdf_a3_step_ms": lambda n: invoice_pdf_a3(invoices[n], invoice_pdfs[n]),
        }

        def timed(step: Callable[[int], object]) -> float:
            numbers = iter(range(len(licences)))  # each call on another document
            return time_calls(lambda: step(next(numbers)), count)["p50_ms"]

        measured = {name: timed(step) for name, step in steps.items()}
    emit("document_extras", measured, n=count, information=True, ok=True)


def webhook_figures() -> None:
    from django.test import Client

    from billing.models import Invoice, InvoiceStatus, Payment
    from tests.factories import approved_request, make_article
    from tests.stripe_stub import completed_session, event_payload, sign

    article = make_article(title="Webhook article", slug="webhook-article")
    invoices = [approved_request(article).invoice for _ in range(EVENTS)]
    payloads = [
        event_payload(
            "checkout.session.completed",
            completed_session(invoice_number=inv.number, amount_total=inv.due_minor),
        )
        for inv in invoices
        if inv is not None
    ]
    client = Client()
    url = "/billing/stripe/webhook/"

    def post(payload: str) -> None:
        response = client.post(
            url, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
        )
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}: {response.content!r}")

    healthz = time_calls(lambda: client.get("/healthz"), EVENTS)
    queue = iter(payloads)
    # time_calls makes 3 warm-up calls first: every event is posted once.
    distinct = time_calls(lambda: post(next(queue)), len(payloads) - 3)
    # Its own invoices: the issue figures paid others in the same database.
    own = [inv.pk for inv in invoices if inv is not None]
    paid = Invoice.objects.filter(pk__in=own, status=InvoiceStatus.PAID).count()
    if paid != len(payloads) or Payment.objects.filter(invoice__in=own).count() != paid:
        raise SystemExit(f"webhook bench: {paid} invoices paid by {len(payloads)} events")
    repeated = time_calls(lambda: post(payloads[0]), EVENTS)
    for figure, measured in (("webhook_distinct", distinct), ("webhook_repeated", repeated)):
        emit(
            figure,
            measured,
            database="sqlite",
            baseline="healthz",
            baseline_rps=healthz["rps"],
            ratio=ratio(measured["rps"], healthz["rps"]),
            target="at least 100 events/s",
            ok=measured["rps"] >= 100,
        )


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    pdf_figures()
    signature_and_einvoice_figures()
    issue_figures()
    webhook_figures()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
