from django.contrib import admin

from billing.models import Quote


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "buyer_name",
        "amount_minor",
        "currency",
        "valid_until",
        "created_at",
    ]
    search_fields = ["reference", "buyer_name", "buyer_email"]
    list_filter = ["currency"]
    readonly_fields = [f.name for f in Quote._meta.fields]
