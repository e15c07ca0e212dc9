"""What connects the portal to a publisher's other systems: API tokens and outgoing webhooks."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from integrations import destinations
from integrations.destinations import SCHEMES

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKEN_PREFIX = "rpt_"  # noqa: S105 (a label, not a secret)
# Characters of the raw token kept in clear, so staff can tell tokens apart.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for staff tools reading the JSON API; only its SHA-256 is stored."""

    name = models.CharField(max_length=200, help_text="Who or what uses it, e.g. “CMS sync”.")
    prefix = models.CharField(max_length=20, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False, help_text="A revoked token is refused at once.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create(cls, *, name: str, created_by: User | None = None) -> tuple[ApiToken, str]:
        """A new token and its raw value, which is shown once and never stored."""
        token = cls(name=name, created_by=created_by)
        raw = token.set_new_token()
        token.full_clean()
        token.save()
        return token, raw

    def set_new_token(self) -> str:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.prefix = raw[:SHOWN_PREFIX_LENGTH]
        self.token_hash = hash_token(raw)
        return raw

    @classmethod
    def authenticate(cls, raw: str) -> ApiToken | None:
        """The active token with this raw value, its use recorded; None if unknown or revoked."""
        if not raw.startswith(TOKEN_PREFIX):
            return None
        token = cls.objects.filter(token_hash=hash_token(raw), revoked=False).first()
        if token is not None:
            token.last_used_at = timezone.now()
            cls.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
        return token


class WebhookEvent(models.TextChoices):
    LICENCE_ISSUED = "licence.issued", "Licence issued"
    LICENCE_REVOKED = "licence.revoked", "Licence revoked"
    LICENCE_WITHDRAWN = "licence.withdrawn", "Licence withdrawn after a takedown"
    ARTICLE_CORRECTED = "article.corrected", "Article corrected (licensees told)"
    ARTICLE_TAKEDOWN_REQUESTED = "article.takedown_requested", "Article takedown requested"


def default_events() -> list[str]:
    return list(WebhookEvent.values)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of the publisher's CMS told about licences, signed with its own secret."""

    url = models.URLField(
        max_length=500,
        validators=[URLValidator(schemes=list(SCHEMES))],
        help_text="An http:// or https:// URL on a public address; redirects are not followed.",
    )
    secret = models.CharField(
        max_length=200,
        default=new_secret,
        help_text="Shared with the receiver, which checks the X-Portal-Signature header with it.",
    )
    active = models.BooleanField(default=True)
    events = models.JSONField(default=default_events, help_text="The events sent to this URL.")
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.events, list) or not set(self.events) <= set(WebhookEvent.values):
            errors["events"] = f"A list of events among {WebhookEvent.values}."
        if not settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE and self.url.startswith(
            tuple(f"{scheme}://" for scheme in SCHEMES)
        ):
            # Checked again at each send: the name may resolve elsewhere by then.
            try:
                destinations.check(self.url)
            except destinations.RefusedDestination as refused:
                errors["url"] = str(refused)
        if errors:
            raise ValidationError(errors)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


# Attempts before giving up, and the wait after each failed attempt.
MAX_ATTEMPTS = 6
RETRY_BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
# How long an attempt in flight keeps others off the same delivery.
ATTEMPT_LEASE = timedelta(minutes=2)


class WebhookDelivery(models.Model):
    """One event for one endpoint: the payload as sent, and how each attempt went."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"
