"""Finance pages: the invoice list and its CSV export, one invoice, recording bank transfers."""

from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_countries import countries

from billing.forms import BankTransferForm, InvoiceFilterForm
from billing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    rate_text,
)
from portal.access import permission_required_or_404
from portal.money import format_money, to_major, to_minor
from portal.spreadsheet import csv_response

# Finance staff: the invoice pages and recording bank transfers.
RECORD_PAYMENT_PERMISSION = "billing.record_payment"
PAGE_SIZE = 25
# The list shows only what a row needs; the frozen JSON details stay in the table.
LIST_COLUMNS = [
    "id",
    "number",
    "reference",
    "status",
    "currency",
    "issued_on",
    "due_on",
    "buyer_name",
    "buyer_email",
    "total_minor",
]
CSV_HEADER = [
    "number",
    "issued_on",
    "due_on",
    "reference",
    "buyer_name",
    "buyer_email",
    "buyer_country",
    "buyer_vat_number",
    "vat_treatment",
    "currency",
    "net",
    "vat",
    "total",
    "status",
    "paid_at",
    "credit_notes",
    # For the VAT return: the VAT in sterling of an invoice in another currency, and its rate.
    "vat_gbp",
    "exchange_rate",
]


def _paid_minor() -> Subquery:
    """Per invoice, the sum of its payments (NULL when there are none)."""
    return Subquery(
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(paid=Sum("amount_minor"))
        .values("paid")[:1],
        output_field=IntegerField(),
    )


def _filtered(form: InvoiceFilterForm) -> QuerySet[Invoice]:
    invoices = Invoice.objects.all()
    # A bad value shows as its field's error; the valid filters still apply.
    form.is_valid()
    data = form.cleaned_data
    for name in ("status", "currency"):
        if data.get(name):
            invoices = invoices.filter(**{name: data[name]})
    if data.get("issued_from"):
        invoices = invoices.filter(issued_on__gte=data["issued_from"])
    if data.get("issued_to"):
        invoices = invoices.filter(issued_on__lte=data["issued_to"])
    if query := data.get("q", "").strip():
        invoices = invoices.filter(
            Q(number__icontains=query)
            | Q(reference__icontains=query)
            | Q(buyer_name__icontains=query)
            | Q(buyer_email__icontains=query)
        )
    return invoices.order_by("-issued_on", "-number")


def totals_by_currency(invoices: QuerySet[Invoice]) -> list[dict[str, Any]]:
    """Net, VAT, gross and what open invoices still owe, per currency, in one query."""
    owed = F("total_minor") - Coalesce(_paid_minor(), 0)
    return [
        dict(row)
        for row in invoices.order_by("currency")
        .values("currency")
        .annotate(
            count=Count("id"),
            net=Sum("net_minor"),
            vat=Sum("vat_minor"),
            gross=Sum("total_minor"),
            outstanding=Coalesce(
                Sum(owed, filter=Q(status=InvoiceStatus.OPEN), output_field=IntegerField()), 0
            ),
        )
    ]


def _querystring(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _render_list(request: HttpRequest, form: InvoiceFilterForm, status: int = 200) -> HttpResponse:
    invoices = _filtered(form)
    page = Paginator(
        invoices.only(*LIST_COLUMNS).annotate(paid_minor_sum=_paid_minor()), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "totals": totals_by_currency(invoices),
        "today": timezone.localdate(),
        "querystring": _querystring(request),
    }
    return render(request, "billing/staff/invoice_list.html", context, status=status)


@permission_required_or_404(RECORD_PAYMENT_PERMISSION)
@require_safe
def invoice_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, InvoiceFilterForm(request.GET))


def _csv_rows(invoices: Iterable[Invoice]) -> Iterator[list[object]]:
    for invoice in invoices:
        paid_at = timezone.localtime(invoice.paid_at).isoformat() if invoice.paid_at else ""
        yield [
            invoice.number,
            invoice.issued_on.isoformat(),
            invoice.due_on.isoformat(),
            invoice.reference,
            invoice.buyer_name,
            invoice.buyer_email,
            invoice.buyer_country,
            invoice.buyer_vat_number,
            invoice.vat_treatment,
            invoice.currency,
            f"{to_major(invoice.net_minor):.2f}",
            f"{to_major(invoice.vat_minor):.2f}",
            f"{to_major(invoice.total_minor):.2f}",
            invoice.status,
            paid_at,
            " ".join(note.number for note in invoice.credit_notes.all()),
            f"{to_major(invoice.vat_gbp_minor):.2f}" if invoice.vat_gbp_minor is not None else "",
            rate_text(invoice.exchange_rate) if invoice.exchange_rate is not None else "",
        ]


@permission_required_or_404(RECORD_PAYMENT_PERMISSION)
@require_safe
def invoice_csv(request: HttpRequest) -> HttpResponseBase:
    form = InvoiceFilterForm(request.GET)
    if not form.is_valid():
        # Accounting must get exactly the set asked for, or nothing.
        return _render_list(request, form, status=400)
    invoices = (
        _filtered(form)
        .defer("seller", "bank_details")
        .prefetch_related(
            Prefetch(
                "credit_notes",
                queryset=CreditNote.objects.only("id", "number", "invoice_id").order_by("number"),
            )
        )
        .iterator(chunk_size=500)
    )
    filename = f"invoices-{timezone.localdate().isoformat()}.csv"
    return csv_response(CSV_HEADER, _csv_rows(invoices), filename=filename)


def _invoice_or_404(number: str) -> Invoice:
    return get_object_or_404(
        Invoice.objects.prefetch_related(
            "lines",
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
            "credit_notes",
            "problems",
        ),
        number=number,
    )


def _render_detail(
    request: HttpRequest, invoice: Invoice, form: BankTransferForm | None = None, status: int = 200
) -> HttpResponse:
    payments = list(invoice.payments.all())
    paid = sum(p.amount_minor for p in payments)
    is_open = invoice.status == InvoiceStatus.OPEN
    context = {
        "invoice": invoice,
        "payments": payments,
        "paid_display": format_money(paid, invoice.currency),
        "due_display": format_money(max(invoice.total_minor - paid, 0), invoice.currency),
        "overpaid_display": format_money(paid - invoice.total_minor, invoice.currency)
        if paid > invoice.total_minor
        else "",
        "buyer_country_name": countries.name(invoice.buyer_country) or invoice.buyer_country,
        "seller_country_name": countries.name(invoice.seller.get("country", "")),
        # Money also arrives for void or paid invoices: it is recorded and flagged for refund.
        "form": form if form is not None else BankTransferForm(invoice=invoice),
        "is_open": is_open,
        "today": timezone.localdate(),
    }
    return render(request, "billing/staff/invoice_detail.html", context, status=status)


@permission_required_or_404(RECORD_PAYMENT_PERMISSION)
@require_safe
def invoice_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, _invoice_or_404(number))


@permission_required_or_404(RECORD_PAYMENT_PERMISSION)
def record_transfer(request: HttpRequest, number: str) -> HttpResponse:
    if request.method != "POST":
        # Someone signing in after a timed-out POST lands here: show the invoice.
        return redirect("billing:invoice_detail", number=number)
    invoice = _invoice_or_404(number)
    form = BankTransferForm(request.POST, invoice=invoice)
    if not form.is_valid():
        return _render_detail(request, invoice, form, status=400)
    payment = invoice.record_payment(
        method=PaymentMethod.BANK_TRANSFER,
        amount_minor=to_minor(form.cleaned_data["amount"]),
        currency=invoice.currency,
        received_on=form.cleaned_data["received_on"],
        provider_reference=form.cleaned_data["reference"],
        recorded_by=request.user,  # type: ignore[arg-type]
    )
    recorded = f"Recorded a bank transfer of {payment.amount_display} for {invoice.number}."
    if payment.flagged_for_refund:
        messages.warning(
            request, f"{recorded} The invoice is {invoice.status}: flagged for refund."
        )
    elif invoice.status == InvoiceStatus.PAID:
        messages.success(request, f"{recorded} The invoice is now paid.")
    else:
        messages.success(request, f"{recorded} Still due: {invoice.due_display}.")
    return redirect("billing:invoice_detail", number=number)
