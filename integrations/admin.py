from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from integrations.models import ApiToken, WebhookDelivery, WebhookEndpoint, WebhookEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_by", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        if obj is None:
            return ["name"]
        return ["name", "prefix", "created_by", "created_at", "last_used_at", "revoked"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = obj.set_new_token()
        obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        # The raw token exists only here: it is shown once and never stored.
        messages.warning(
            request,
            f"Copy the token “{obj.name}” now; it will not be shown again: {raw}",
        )


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "active", "events", "secret"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "active", "events", "created_at"]
    list_filter = ["active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "uuid",
        "endpoint",
        "event",
        "payload",
        "attempts",
        "status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
