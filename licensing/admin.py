from django.contrib import admin

from licensing.models import Article, Outlet, RepublicationRequest, StatusChange


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


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # The history is written by the transitions only.
        return False


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
        "created_at",
    ]
    list_filter = ["status", "outlet_type", "media", "territory", "extent", "created_at"]
    search_fields = ["reference", "outlet_name", "email", "contact_name", "article__title"]
    list_select_related = ["article"]
    readonly_fields = ["uuid", "reference", "status", "terms_accepted_at", "created_at"]
    raw_id_fields = ["article", "outlet"]
    date_hierarchy = "created_at"
    inlines = [StatusChangeInline]
