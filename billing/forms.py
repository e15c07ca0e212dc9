"""Finance forms: filtering the invoice list and recording a bank transfer."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from portal.money import currency_choices, to_major

# A transfer for more than this many times the invoice total is a typo
# (an extra zero, the wrong field), not money we expect to receive.
MAX_TRANSFER_MULTIPLE = 10


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO whatever the locale."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Invoice number, request reference, buyer name or email.",
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *InvoiceStatus.choices], required=False
    )
    currency = forms.ChoiceField(label="Currency", required=False)
    issued_from = forms.DateField(label="Issued from", required=False, widget=DateInput())
    issued_to = forms.DateField(label="Issued to", required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [  # type: ignore[attr-defined]
            ("", "Any currency"),
            *currency_choices(),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", "The end date must be on or after the start date.")
        return data


class BankTransferForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount received",
        min_value=Decimal("0.01"),
        decimal_places=2,
        error_messages={"min_value": "Enter an amount greater than zero."},
        help_text="In the invoice currency, as credited to our account, e.g. 120.00.",
        # A text box keeps whatever was typed, so a refused value can be corrected.
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    received_on = forms.DateField(label="Received on", widget=DateInput())
    reference = forms.CharField(
        label="Bank reference",
        max_length=200,
        help_text="As shown on the bank statement.",
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"received_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.fields["amount"].label = f"Amount received ({invoice.currency})"
        self.fields["received_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        limit = to_major(self.invoice.total_minor * MAX_TRANSFER_MULTIPLE)
        if amount > limit:
            raise forms.ValidationError(
                "This is more than ten times the invoice total (%(limit)s %(currency)s): "
                "check the amount.",
                params={"limit": f"{limit:,.2f}", "currency": self.invoice.currency},
            )
        return amount

    def clean_received_on(self) -> date:
        received_on: date = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        return received_on
