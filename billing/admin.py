from django.contrib import admin

from billing.models import (
    CreditNote,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentProblem,
    StripeEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Legal records: issued documents are never edited or deleted, even in the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "description",
        "quantity",
        "unit_net_minor",
        "net_minor",
        "vat_rate",
        "vat_minor",
        "total_minor",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "reference", "buyer_name", "total_display", "status", "issued_on"]
    list_filter = ["status", "currency", "vat_treatment", "issued_on"]
    search_fields = ["number", "reference", "buyer_name", "buyer_email"]
    inlines = [InvoiceLineInline]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    list_display = ["number", "invoice", "kind", "total_minor", "issued_on"]
    list_filter = ["kind", "issued_on"]
    search_fields = ["number", "invoice__number", "invoice__reference"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = [
        "invoice",
        "method",
        "amount_minor",
        "currency",
        "received_on",
        "flagged_for_refund",
    ]
    list_filter = ["method", "currency", "flagged_for_refund"]
    search_fields = ["invoice__number", "provider_reference"]


@admin.register(PaymentProblem)
class PaymentProblemAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "invoice", "resolved"]
    list_filter = ["kind", "resolved"]
    list_editable = ["resolved"]
    readonly_fields = ["invoice", "kind", "detail", "created_at"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "outcome"]
    search_fields = ["event_id"]
    list_filter = ["type"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Finance keeps HMRC's monthly rates here (or loads them with load_exchange_rates):
    a VAT invoice in another currency is not issued without its month's rate."""

    list_display = ["month", "currency", "units_per_gbp", "source"]
    list_filter = ["currency", "month"]
    search_fields = ["currency"]
    date_hierarchy = "month"
