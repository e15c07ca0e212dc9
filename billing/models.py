"""Invoices, credit notes and payments.

`billing` never imports `licensing`: it knows documents and amounts, not
articles. The request reference is carried as plain text. An issued
invoice is never edited or deleted: it is voided by a credit note.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Sum
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop

from billing import signals
from billing.einvoice import (
    credit_note_xml,
    invoice_xml,
    render_credit_note_document,
    render_invoice_document,
)
from billing.vat import VatTreatment, legal_note, prefixed_vat_number, vat_amount, vat_for
from portal.documents import StoredPdf
from portal.models import allocate_number
from portal.money import MoneyDisplay, format_money, to_major
from portal.structured_logging import reference_fields

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    VOID = "void", "Void"


class InvoiceStateError(Exception):
    """The invoice's status does not allow this operation."""


@dataclass(frozen=True)
class Buyer:
    name: str
    contact: str
    email: str
    country: str
    vat_number: str = ""
    address: str = ""
    purchase_order: str = ""
    # The language the buyer wrote in: the legal wording is also given in it.
    language: str = "en"


class EInvoiceDocument(StoredPdf):
    """An invoice or credit note: its EN 16931 XML made once at issue and stored with its
    SHA-256, and its PDF/A-3 (that XML inside) stored the same way."""

    einvoice_xml = models.TextField(blank=True, editable=False)
    einvoice_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def make_einvoice_xml(self) -> bytes:
        raise NotImplementedError(f"{type(self).__name__} must make its e-invoice")

    def freeze_einvoice(self) -> None:
        """Make the e-invoice XML once, from the frozen fields, and store it with its SHA-256."""
        self.einvoice_xml = self.make_einvoice_xml().decode()
        self.einvoice_sha256 = hashlib.sha256(self.einvoice_xml.encode()).hexdigest()
        self.save(update_fields=["einvoice_xml", "einvoice_sha256"])


# Frozen on the invoice in English, shown to requesters in their language.
HMRC_SOURCE = gettext_noop("HMRC monthly exchange rate")
STERLING = "GBP"


class ExchangeRateMissing(ValidationError):
    """A VAT invoice in a foreign currency needs the month's rate, and there is none."""

    def __init__(self, *, currency: str, month: date) -> None:
        self.currency, self.month = currency, month
        super().__init__(
            {
                "currency": (
                    f"No exchange rate for {currency} for {month:%B %Y}: finance adds it in "
                    "the admin (Exchange rates) or with manage.py load_exchange_rates."
                )
            }
        )


class ExchangeRate(models.Model):
    """How many units of a currency make £1 in one month, as HMRC publishes it.

    HMRC lets a VAT invoice in another currency convert its VAT to sterling at
    its monthly rate for the month of the tax point; each invoice freezes the
    rate it used, so a corrected rate here never rewrites an issued invoice.
    """

    currency = models.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}\Z", "Three capital letters: EUR, USD.")],
    )
    month = models.DateField(help_text="The first day of the month the rate applies to.")
    units_per_gbp = models.DecimalField(
        "units per £1",
        max_digits=14,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text="Currency units per £1, e.g. 1.1862 (EUR).",
    )
    source = models.CharField(max_length=100, default=HMRC_SOURCE)

    class Meta:
        ordering = ["-month", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "month"], name="unique_exchange_rate"),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="exchange_rate_month_first_day"
            ),
            models.CheckConstraint(
                condition=models.Q(units_per_gbp__gt=0), name="exchange_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.month:%B %Y}: {self.rate_display} per £1"

    @property
    def rate_display(self) -> str:
        return rate_text(self.units_per_gbp)

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "Use the first day of the month."})

    @classmethod
    def for_month(cls, *, currency: str, on: date) -> ExchangeRate:
        """The rate for `currency` in the month of `on`; ExchangeRateMissing when there is none."""
        month = on.replace(day=1)
        rate = cls.objects.filter(currency=currency, month=month).first()
        if rate is None:
            raise ExchangeRateMissing(currency=currency, month=month)
        return rate


def rate_text(rate: Decimal) -> str:
    """A rate as HMRC prints it: 1.1862, 160.5 (no trailing zeros, never an exponent)."""
    return f"{rate.normalize():f}"


def to_sterling(amount_minor: int, units_per_gbp: Decimal) -> int:
    """An amount in minor units of another currency as pence, rounded half-up."""
    return int((Decimal(amount_minor) / units_per_gbp).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sterling_rate_for(*, currency: str, vat_minor: int, on: date) -> ExchangeRate | None:
    """The rate an invoice issued `on` must state its VAT in sterling at, or None when it needs
    none (no VAT, or already in sterling); ExchangeRateMissing when it needs one that is missing."""
    if vat_minor <= 0 or currency == STERLING:
        return None
    return ExchangeRate.for_month(currency=currency, on=on)


class Invoice(EInvoiceDocument):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    reference = models.CharField(max_length=20, db_index=True, help_text="Request reference")
    description = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=InvoiceStatus, default=InvoiceStatus.OPEN)
    currency = models.CharField(max_length=3)
    issued_on = models.DateField()
    due_on = models.DateField()
    # Frozen at issue: later changes to settings or the outlet never rewrite an invoice.
    seller = models.JSONField()
    bank_details = models.JSONField()
    buyer_name = models.CharField(max_length=200)
    buyer_contact = models.CharField(max_length=200)
    buyer_email = models.EmailField()
    buyer_country = models.CharField(max_length=2)
    buyer_vat_number = models.CharField(max_length=20, blank=True)
    buyer_address = models.TextField(max_length=500, blank=True)
    buyer_language = models.CharField(max_length=8, default="en")
    purchase_order = models.CharField(max_length=100, blank=True)
    # When the licence starts: the date of supply the invoice states.
    supplied_on = models.DateField(null=True, blank=True)
    vat_treatment = models.CharField(max_length=20, choices=VatTreatment)
    vat_note = models.CharField(max_length=200, blank=True)
    net_minor = models.PositiveIntegerField()
    vat_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()
    # A VAT invoice in another currency also states its VAT in sterling (HMRC, VAT
    # Notice 700): the rate used, where it came from and for which month, frozen at issue.
    exchange_rate = models.DecimalField(
        "currency units per £1", max_digits=14, decimal_places=6, null=True, blank=True
    )
    exchange_rate_source = models.CharField(max_length=100, blank=True)
    exchange_rate_month = models.DateField(null=True, blank=True)
    vat_gbp_minor = models.PositiveIntegerField("VAT in pence", null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-number"]
        permissions = [("record_payment", "Can record bank transfers and see finance pages")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_minor=models.F("net_minor") + models.F("vat_minor")),
                name="invoice_total_is_net_plus_vat",
            ),
            # Each status with its date, and no other: paid_at when paid, voided_at when void.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status=InvoiceStatus.OPEN, paid_at__isnull=True, voided_at__isnull=True
                    )
                    | models.Q(
                        status=InvoiceStatus.PAID, paid_at__isnull=False, voided_at__isnull=True
                    )
                    | models.Q(
                        status=InvoiceStatus.VOID, voided_at__isnull=False, paid_at__isnull=True
                    )
                ),
                name="invoice_status_dates",
            ),
            # The sterling VAT comes with the rate it was converted at, or not at all.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        exchange_rate__isnull=True,
                        exchange_rate_month__isnull=True,
                        vat_gbp_minor__isnull=True,
                        exchange_rate_source="",
                    )
                    | (
                        models.Q(
                            exchange_rate__isnull=False,
                            exchange_rate_month__isnull=False,
                            vat_gbp_minor__isnull=False,
                        )
                        & ~models.Q(exchange_rate_source="")
                        & ~models.Q(currency=STERLING)
                    )
                ),
                name="invoice_sterling_vat_all_or_none",
            ),
        ]
        indexes = [models.Index(fields=["status", "issued_on"], name="invoice_status_idx")]

    def __str__(self) -> str:
        return self.number

    total_display = MoneyDisplay("total_minor")

    net_display = MoneyDisplay("net_minor")

    vat_display = MoneyDisplay("vat_minor")

    @property
    def buyer_vat_id(self) -> str:
        """The buyer's VAT number with its country prefix, as every document prints it."""
        return prefixed_vat_number(
            {"country": self.buyer_country, "vat_number": self.buyer_vat_number}
        )

    @property
    def vat_note_in_buyer_language(self) -> str:
        """The VAT wording in the buyer's language, printed beside the English ('' if English)."""
        return legal_note(self.vat_note, self.buyer_language)

    @property
    def seller_vat_id(self) -> str:
        return prefixed_vat_number(self.seller)

    @property
    def paid_on(self) -> date | None:
        """The day it was paid (local time), for a paid invoice; None for any other."""
        if self.status == InvoiceStatus.PAID and self.paid_at is not None:
            return timezone.localdate(self.paid_at)
        return None

    @property
    def is_open(self) -> bool:
        return self.status == InvoiceStatus.OPEN

    @property
    def is_void(self) -> bool:
        return self.status == InvoiceStatus.VOID

    @property
    def paid_minor(self) -> int:
        return int(self.payments.aggregate(total=Sum("amount_minor"))["total"] or 0)

    @property
    def refund_due_minor(self) -> int:
        """Money received towards this invoice since voided (a part-payment by transfer):
        flagged for refund by void(), and owed back to the buyer. 0 while not void."""
        return self.paid_minor if self.status == InvoiceStatus.VOID else 0

    @property
    def due_minor(self) -> int:
        return max(self.total_minor - self.paid_minor, 0)

    due_display = MoneyDisplay("due_minor")

    @property
    def vat_gbp_display(self) -> str:
        """The VAT in sterling, for an invoice that states it ('' for any other)."""
        return format_money(self.vat_gbp_minor, STERLING)

    @property
    def exchange_rate_display(self) -> str:
        """The rate as a reader of the active language writes a number: 1.1862, 1,1862."""
        if self.exchange_rate is None:
            return ""
        return number_format(self.exchange_rate.normalize())

    @property
    def exchange_rate_source_in_language(self) -> str:
        """HMRC's name for its rates in the active language; any other source as typed."""
        return gettext(self.exchange_rate_source) if self.exchange_rate_source else ""

    @property
    def sterling_vat_line(self) -> str:
        """What the PDF prints under the totals: the VAT in sterling and the rate used.

        English, as the rest of the invoice's legal wording; '' when not stated.
        """
        return sterling_vat_line(
            vat_gbp_minor=self.vat_gbp_minor,
            currency=self.currency,
            rate=self.exchange_rate,
            source=self.exchange_rate_source,
            month=self.exchange_rate_month,
        )

    @classmethod
    def issue(
        cls,
        *,
        reference: str,
        description: str,
        buyer: Buyer,
        amount_minor: int,
        currency: str,
        due_on: date,
        supplied_on: date | None = None,
    ) -> Invoice:
        """Issue an invoice for one net amount, with VAT as the buyer's country requires.

        Runs inside the caller's transaction when there is one, so the number
        is only used if the caller's work commits too.
        """
        vat = vat_for(country=buyer.country, vat_number=buyer.vat_number)
        line_vat = vat_amount(amount_minor, vat.rate)
        today = timezone.localdate()
        # Before a number is taken: an invoice that cannot state its VAT in sterling
        # is not issued at all.
        rate = sterling_rate_for(currency=currency, vat_minor=line_vat, on=today)
        with transaction.atomic():
            invoice = cls(
                number=allocate_number(prefix="INV", year=today.year, width=6),
                reference=reference,
                description=description[:500],
                currency=currency,
                issued_on=today,
                due_on=due_on,
                seller=dict(settings.SELLER),
                bank_details=dict(settings.BANK_DETAILS),
                buyer_name=buyer.name,
                buyer_contact=buyer.contact,
                buyer_email=buyer.email,
                buyer_country=buyer.country,
                buyer_vat_number=buyer.vat_number,
                buyer_address=buyer.address[:500],
                buyer_language=buyer.language,
                purchase_order=buyer.purchase_order[:100],
                supplied_on=supplied_on or today,
                vat_treatment=vat.treatment,
                vat_note=vat.note,
                net_minor=amount_minor,
                vat_minor=line_vat,
                total_minor=amount_minor + line_vat,
            )
            if rate is not None:
                invoice.exchange_rate = rate.units_per_gbp
                invoice.exchange_rate_source = rate.source
                invoice.exchange_rate_month = rate.month
                invoice.vat_gbp_minor = to_sterling(line_vat, rate.units_per_gbp)
            invoice.full_clean()
            invoice.save()
            invoice.lines.create(
                description=description[:500],
                quantity=1,
                unit_net_minor=amount_minor,
                net_minor=amount_minor,
                vat_rate=vat.rate,
                vat_minor=line_vat,
                total_minor=amount_minor + line_vat,
            )
            invoice.freeze_einvoice()
        invoice._log("Invoice %s issued for %s", invoice.number, reference, status="open")
        return invoice

    def _log(self, message: str, *args: object, **fields: Any) -> None:
        """A record of this invoice's state change, with its cross-references (no buyer data)."""
        logger.info(
            message,
            *args,
            extra=reference_fields(
                request_reference=self.reference, invoice_number=self.number, **fields
            ),
        )

    # The stored PDF prints the status and the payments: a change of either clears
    # its hash (_outdate_pdf), and it is made again on its next read.
    PDF_FOLDER = "invoices"

    def make_einvoice_xml(self) -> bytes:
        return invoice_xml(self)

    def make_pdf(self, *, pay_url: str = "", **options: str) -> bytes:
        """The PDF/A-3 as stored; `pay_url` is the requester's page, printed while it is open."""
        return render_invoice_document(self, pay_url=pay_url, language=self.buyer_language)

    def _outdate_pdf(self) -> None:
        """What the stored PDF prints has changed (a payment, the status, a credit note)."""
        self.pdf_sha256 = ""
        self.save(update_fields=["pdf_sha256"])

    def record_payment(
        self,
        *,
        method: str,
        amount_minor: int,
        currency: str,
        received_on: date,
        provider_reference: str = "",
        recorded_by: User | None = None,
    ) -> Payment:
        """Record money received; the invoice is paid once payments cover its total.

        Money for an invoice no longer open (void, or already paid) is still
        recorded (it arrived) and flagged for refund, and never revives a void
        invoice.
        """
        with transaction.atomic():
            self._lock()
            payment = self.payments.create(
                method=method,
                amount_minor=amount_minor,
                currency=currency,
                received_on=received_on,
                provider_reference=provider_reference,
                recorded_by=recorded_by,
                flagged_for_refund=self.status != InvoiceStatus.OPEN,
            )
            if self.status == InvoiceStatus.OPEN and self.paid_minor >= self.total_minor:
                self._mark_paid()
            elif self.status == InvoiceStatus.OPEN:
                self._outdate_pdf()  # it prints what has been received so far
        return payment

    def mark_paid(self) -> None:
        """The only way an invoice becomes paid; tells listeners once, in the same transaction."""
        with transaction.atomic():
            self._lock()
            self._mark_paid()

    def _mark_paid(self) -> None:
        if self.status == InvoiceStatus.PAID:
            return
        if self.status != InvoiceStatus.OPEN:
            raise InvoiceStateError(f"Invoice {self.number} is {self.status}.")
        self.status = InvoiceStatus.PAID
        self.paid_at = timezone.now()
        self.pdf_sha256 = ""  # it says "Paid on" now
        self.save(update_fields=["status", "paid_at", "pdf_sha256"])
        self._log("Invoice %s paid", self.number, status="paid")
        _announce_paid(self)

    def void(self, *, reason: str) -> CreditNote:
        """Cancel an open invoice with a credit note for its full amount."""
        with transaction.atomic():
            self._lock()
            if self.status != InvoiceStatus.OPEN:
                raise InvoiceStateError(
                    f"Only an open invoice can be voided; {self.number} is {self.status}."
                )
            note = CreditNote.issue(
                invoice=self,
                kind=CreditNoteKind.VOID,
                reason=reason,
                amount_minor=self.total_minor,
            )
            self.status = InvoiceStatus.VOID
            self.voided_at = timezone.now()
            self.pdf_sha256 = ""  # stamped VOID now, its credit note listed
            self.save(update_fields=["status", "voided_at", "pdf_sha256"])
            self._log(
                "Invoice %s voided by %s",
                self.number,
                note.number,
                status="void",
                credit_note_number=note.number,
            )
            # A part-payment received before the cancellation must go back too.
            self.payments.update(flagged_for_refund=True)
            transaction.on_commit(lambda: _announce_voided(self))
        return note

    def refund(self, *, amount_minor: int, reason: str, provider_reference: str = "") -> CreditNote:
        """Record money returned to the buyer with a credit note (the invoice stays paid).

        Credit notes never add up to more than the invoice: a void invoice is
        already credited in full.
        """
        with transaction.atomic():
            self._lock()
            credited = self.credit_notes.aggregate(total=Sum("total_minor"))["total"] or 0
            if self.status == InvoiceStatus.VOID or amount_minor > self.total_minor - credited:
                raise InvoiceStateError(
                    f"Invoice {self.number} has {self.total_minor - credited} left to credit."
                )
            note = CreditNote.issue(
                invoice=self,
                kind=CreditNoteKind.REFUND,
                reason=reason,
                amount_minor=amount_minor,
                provider_reference=provider_reference,
            )
            self._outdate_pdf()  # it lists its credit notes
            self._log(
                "Invoice %s: %s refunded by %s",
                self.number,
                note.total_minor,
                note.number,
                status=self.status,
                credit_note_number=note.number,
                refund_minor=note.total_minor,
                currency=self.currency,
            )
            return note


def sterling_vat_line(
    *,
    label: str = "VAT in sterling",
    vat_gbp_minor: int | None,
    currency: str,
    rate: Decimal | None,
    source: str,
    month: date | None,
) -> str:
    """ "VAT in sterling: £24.00 (at 1.1862 EUR per £1, HMRC monthly exchange rate for
    December 2026)", or '' for a document that states no sterling VAT."""
    if vat_gbp_minor is None or rate is None or month is None:
        return ""
    pounds = f"£{to_major(vat_gbp_minor):,.2f}"
    return f"{label}: {pounds} (at {rate_text(rate)} {currency} per £1, {source} for {month:%B %Y})"


def _announce_paid(invoice: Invoice) -> None:
    """Tell listeners inside the payment's transaction, so what they write commits with it.

    Licensing issues the licence here: a crash after the commit can no longer
    leave a paid invoice without its licence. A listener that fails has its
    writes undone (a savepoint) and is logged, and the payment stands: the
    money is in, and `manage.py daily` hands on what a listener missed. Only a
    transaction that is itself broken (the database went away) fails the
    payment, to be tried again.
    """
    try:
        with transaction.atomic():
            signals.invoice_paid.send(sender=Invoice, invoice=invoice)
    except Exception:
        if transaction.get_rollback():
            raise
        logger.exception("A listener failed for paid invoice %s", invoice.number)


def _announce_voided(invoice: Invoice) -> None:
    """Tell listeners after commit; a failing listener is logged, never undoes the voiding."""
    _announce(signals.invoice_voided, sender=Invoice, number=invoice.number, invoice=invoice)


def _announce(signal: Signal, *, sender: type[models.Model], number: str, **kwargs: Any) -> None:
    """Send `signal` after a commit; a failing listener is logged, and undoes nothing."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error(
                "Listener %r failed for %s",
                receiver,
                number,
                exc_info=(type(result), result, result.__traceback__),
            )


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    description = models.CharField(max_length=500)
    quantity = models.PositiveIntegerField(default=1)
    unit_net_minor = models.PositiveIntegerField()
    net_minor = models.PositiveIntegerField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class CreditNoteKind(models.TextChoices):
    VOID = "void", "Cancellation"
    REFUND = "refund", "Refund"


class CreditNote(EInvoiceDocument):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    kind = models.CharField(max_length=10, choices=CreditNoteKind)
    reason = models.TextField()
    issued_on = models.DateField()
    net_minor = models.PositiveIntegerField()
    vat_minor = models.PositiveIntegerField()
    total_minor = models.PositiveIntegerField()
    # Its VAT in sterling at its invoice's rate, when the invoice states one.
    vat_gbp_minor = models.PositiveIntegerField("VAT in pence", null=True, blank=True)
    provider_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_minor=models.F("net_minor") + models.F("vat_minor")),
                name="credit_note_total_is_net_plus_vat",
            ),
            # A provider's refund is credited once, however often it is reported.
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="unique_credit_note_provider_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    total_display = MoneyDisplay("total_minor", "invoice.currency")

    @property
    def vat_gbp_display(self) -> str:
        return format_money(self.vat_gbp_minor, STERLING)

    @property
    def sterling_vat_line(self) -> str:
        """The VAT credited in sterling, at the rate its invoice used ('' when not stated)."""
        invoice = self.invoice
        return sterling_vat_line(
            label="VAT credited in sterling",
            vat_gbp_minor=self.vat_gbp_minor,
            currency=invoice.currency,
            rate=invoice.exchange_rate,
            source=invoice.exchange_rate_source,
            month=invoice.exchange_rate_month,
        )

    @property
    def cancels_invoice(self) -> bool:
        """A cancellation credits the whole invoice; a refund, money paid back."""
        return self.kind == CreditNoteKind.VOID

    @classmethod
    def issue(
        cls,
        *,
        invoice: Invoice,
        kind: str,
        reason: str,
        amount_minor: int,
        provider_reference: str = "",
    ) -> CreditNote:
        """Credit `amount_minor` (gross) of `invoice`, split into net and VAT in its proportion."""
        if not 0 < amount_minor <= invoice.total_minor:
            raise InvoiceStateError("A credit note must be for a positive amount up to the total.")
        # Integer half-up, like every other amount: float round() is banker's rounding.
        vat = (amount_minor * invoice.vat_minor * 2 + invoice.total_minor) // (
            2 * invoice.total_minor
        )
        today = timezone.localdate()
        note = cls(
            number=allocate_number(prefix="CN", year=today.year, width=6),
            invoice=invoice,
            kind=kind,
            reason=reason,
            issued_on=today,
            net_minor=amount_minor - vat,
            vat_minor=vat,
            total_minor=amount_minor,
            # The same rate as the invoice: a credit undoes the VAT the invoice declared.
            vat_gbp_minor=cls._vat_gbp_credited(invoice, vat),
            provider_reference=provider_reference,
        )
        note.full_clean()
        note.save()
        note.freeze_einvoice()
        transaction.on_commit(
            lambda: _announce(
                signals.credit_note_issued, sender=cls, number=note.number, credit_note=note
            )
        )
        return note

    @staticmethod
    def _vat_gbp_credited(invoice: Invoice, vat_minor: int) -> int | None:
        """`vat_minor` in pence at the invoice's rate. The note that credits the last of the
        invoice's VAT takes the pence left, so rounding each part on its own never credits
        more (or less) sterling VAT than the invoice declared."""
        if invoice.exchange_rate is None or invoice.vat_gbp_minor is None:
            return None
        earlier = invoice.credit_notes.aggregate(vat=Sum("vat_minor"), gbp=Sum("vat_gbp_minor"))
        if (earlier["vat"] or 0) + vat_minor == invoice.vat_minor:
            return max(invoice.vat_gbp_minor - (earlier["gbp"] or 0), 0)
        return to_sterling(vat_minor, invoice.exchange_rate)

    # Everything it prints is frozen at issue: made once, never outdated.
    PDF_FOLDER = "credit-notes"

    def make_einvoice_xml(self) -> bytes:
        """Type 381, naming its invoice."""
        return credit_note_xml(self)

    def make_pdf(self, **options: str) -> bytes:
        """The PDF/A-3 as stored: everything it prints was frozen at issue."""
        return render_credit_note_document(self)


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", "Card (Stripe)"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"


class Payment(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    provider_reference = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_for_refund = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="payment_positive"),
            # One card payment per provider reference (Checkout Session or payment intent).
            models.UniqueConstraint(
                fields=["method", "provider_reference"],
                condition=models.Q(method="stripe"),
                name="unique_stripe_payment",
            ),
        ]

    def __str__(self) -> str:
        amount = format_money(self.amount_minor, self.currency, language="en")
        return f"{self.get_method_display()} {amount}"

    amount_display = MoneyDisplay("amount_minor")


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    PROCESSING = "processing", "Completed, payment processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Payment failed"
    EXPIRED = "expired", "Expired"


class CheckoutSession(models.Model):
    """A Stripe Checkout Session opened for an invoice, reused while it is open."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="checkout_sessions")
    session_id = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2000)
    amount_minor = models.PositiveIntegerField(default=0, help_text="What the session charges")
    status = models.CharField(max_length=20, choices=CheckoutStatus, default=CheckoutStatus.OPEN)
    # Known once the session completes; a charge.refunded event names only this.
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.session_id


class StripeEvent(models.Model):
    """Every Stripe event id we have acted on, once (the unique column is the guard)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.event_id


class ProblemKind(models.TextChoices):
    AMOUNT_MISMATCH = "amount_mismatch", "Amount or currency does not match"
    UNREADABLE_AMOUNT = "unreadable_amount", "Unreadable amount"
    PAYMENT_FOR_CLOSED_INVOICE = "payment_for_closed_invoice", "Payment for a closed invoice"
    ASYNC_PAYMENT_FAILED = "async_payment_failed", "Delayed payment failed"
    REFUND_CURRENCY_MISMATCH = "refund_currency_mismatch", "Refund in another currency"
    REFUND_NOT_CREDITED = "refund_not_credited", "Refund not credited"


class PaymentProblem(models.Model):
    """Something finance must look at: an amount mismatch, money for a void invoice, a failure."""

    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="problems"
    )
    kind = models.CharField(max_length=50, choices=ProblemKind)
    detail = models.TextField()
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail[:60]}"
