from django.contrib import admin

from licensing.models import (
    RULE_HELP,
    Article,
    AutoApprovalRule,
    Message,
    Outlet,
    PriceRule,
    RepublicationRequest,
    StatusChange,
)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "published_at", "language", "section", "republishable"]
    list_filter = ["republishable", "language", "section", "has_images"]
    search_fields = ["title", "author", "canonical_url"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    list_editable = ["republishable"]


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "outlet_type", "country", "audience_size"]
    list_filter = ["outlet_type", "country"]
    search_fields = ["name", "email", "website"]


class ReadOnlyInline(admin.TabularInline):
    """History and messages are written by the transitions and the desk, never in the admin."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self.fields


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "note")


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender", "author", "internal", "body")


# What a rule matches on, in the list and in the form.
RULE_CONDITIONS = ("outlet_type", "media", "extent", "territory", "min_audience", "max_audience")


class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", *RULE_CONDITIONS, "fee_display", "active"]
    list_filter = ["active", "outlet_type", "media", "extent", "territory", "currency"]
    search_fields = ["name"]
    list_editable = ["active"]
    fieldsets = [
        (None, {"fields": ["name", "active"], "description": RULE_HELP}),
        (
            "Conditions (leave empty to match anything)",
            {"fields": RULE_CONDITIONS},
        ),
        ("Fee", {"fields": ["fee_minor", "currency"]}),
    ]

    @admin.display(description="Fee")
    def fee_display(self, obj: PriceRule) -> str:
        return obj.fee_display


@admin.register(PriceRule)
class PriceRuleAdmin(RuleAdmin):
    pass


@admin.register(AutoApprovalRule)
class AutoApprovalRuleAdmin(RuleAdmin):
    pass


@admin.register(RepublicationRequest)
class RepublicationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "article",
        "outlet_name",
        "outlet_type",
        "media",
        "territory",
        "status",
        "assignee",
        "created_at",
    ]
    list_filter = ["status", "outlet_type", "media", "territory", "extent", "created_at"]
    search_fields = ["reference", "outlet_name", "email", "contact_name", "article__title"]
    list_select_related = ["article", "assignee"]
    readonly_fields = [
        "uuid",
        "reference",
        "status",
        "terms_accepted_at",
        "created_at",
        "fee_minor",
        "currency",
        "quote_valid_until",
        "suggested_fee_minor",
        "decline_reason",
    ]
    raw_id_fields = ["article", "outlet", "requester", "assignee"]
    date_hierarchy = "created_at"
    inlines = [StatusChangeInline, MessageInline]
