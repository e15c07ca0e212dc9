"""The catalogue of articles and the republication requests made for them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from portal.models import allocate_number

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

MAX_NAME_LENGTH = 200
MAX_LONG_TEXT_LENGTH = 5000
# More readers than people on Earth is a typo, not an audience.
MAX_AUDIENCE_SIZE = 2_000_000_000
MAX_WORD_COUNT = 100_000


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    ARABIC = "ar", _("Arabic")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")
    GERMAN = "de", _("German")
    ITALIAN = "it", _("Italian")
    PORTUGUESE = "pt", _("Portuguese")
    TURKISH = "tr", _("Turkish")
    PERSIAN = "fa", _("Persian")
    URDU = "ur", _("Urdu")
    HEBREW = "he", _("Hebrew")
    RUSSIAN = "ru", _("Russian")
    CHINESE = "zh", _("Chinese")
    INDONESIAN = "id", _("Indonesian")
    MALAY = "ms", _("Malay")
    OTHER = "other", _("Other")


class Article(models.Model):
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    standfirst = models.TextField(blank=True)
    author = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    canonical_url = models.URLField(max_length=500, unique=True)
    section = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=8, choices=Language, default=Language.ENGLISH)
    word_count = models.PositiveIntegerField(null=True, blank=True)
    has_images = models.BooleanField(default=False, help_text="The article carries images.")
    republishable = models.BooleanField(
        default=True, help_text="Untick to refuse new republication requests for this article."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["-published_at", "-id"], name="article_latest_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("licensing:article_detail", args=[self.slug])

    def get_republish_url(self) -> str:
        return reverse("licensing:request_form", args=[self.slug])

    @property
    def is_rtl(self) -> bool:
        return self.language in {"ar", "fa", "ur", "he"}

    @classmethod
    def unique_slug_for(cls, title: str) -> str:
        base = slugify(title, allow_unicode=False)[:100].strip("-") or "article"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class OutletType(models.TextChoices):
    NEWSPAPER = "newspaper", _("Newspaper or magazine")
    BROADCASTER = "broadcaster", _("Broadcaster (TV or radio)")
    WEBSITE = "website", _("News website or blog")
    NGO = "ngo", _("NGO or charity")
    UNIVERSITY = "university", _("University or school")
    BOOK_PUBLISHER = "book_publisher", _("Book publisher")
    CORPORATE = "corporate", _("Company (internal or marketing use)")
    OTHER = "other", _("Other")


class Medium(models.TextChoices):
    ONLINE = "online", _("Website or app")
    PRINT = "print", _("Print")
    PRINT_AND_ONLINE = "print_online", _("Print and online")
    BROADCAST = "broadcast", _("TV or radio broadcast")
    NEWSLETTER = "newsletter", _("Email newsletter")
    BOOK = "book", _("Book or anthology")
    EDUCATION = "education", _("Teaching materials or course pack")
    SOCIAL = "social", _("Social media")


class Territory(models.TextChoices):
    WORLDWIDE = "worldwide", _("Worldwide")
    SINGLE_COUNTRY = "country", _("My country only")
    UK_IRELAND = "uk_ie", _("United Kingdom and Ireland")
    EUROPE = "europe", _("Europe")
    MENA = "mena", _("Middle East and North Africa")
    NORTH_AMERICA = "north_america", _("North America")
    LATIN_AMERICA = "latin_america", _("Latin America")
    AFRICA = "africa", _("Sub-Saharan Africa")
    ASIA_PACIFIC = "asia_pacific", _("Asia and Pacific")


class Duration(models.TextChoices):
    ONE_MONTH = "1m", _("1 month")
    THREE_MONTHS = "3m", _("3 months")
    SIX_MONTHS = "6m", _("6 months")
    ONE_YEAR = "1y", _("1 year")
    TWO_YEARS = "2y", _("2 years")
    PERPETUAL = "perpetual", _("Perpetual (no end date)")

    @property
    def months(self) -> int | None:
        return {"1m": 1, "3m": 3, "6m": 6, "1y": 12, "2y": 24}.get(self.value)


class Extent(models.TextChoices):
    FULL_TEXT = "full", _("Full text")
    EXCERPT = "excerpt", _("Excerpt")


class Outlet(models.Model):
    """The requesting organisation, remembered by the requester's email."""

    email = models.EmailField(unique=True)
    contact_name = models.CharField(max_length=MAX_NAME_LENGTH)
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    website = models.URLField(max_length=500)
    outlet_type = models.CharField(max_length=20, choices=OutletType)
    country = CountryField()
    audience_size = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AUDIENCE_SIZE)]
    )
    vat_number = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    INFO_REQUESTED = "info_requested", _("Information requested")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    LICENSED = "licensed", _("Licensed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class RepublicationRequest(models.Model):
    """One outlet asking to republish one article.

    Status changes only through the transition methods below, each of which
    locks the row and records a StatusChange.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="requests")
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(
        max_length=20, choices=RequestStatus, default=RequestStatus.SUBMITTED, editable=False
    )

    # Who asked: a snapshot at submission, so later edits of the outlet do
    # not rewrite what this request said.
    contact_name = models.CharField(max_length=MAX_NAME_LENGTH)
    email = models.EmailField()
    outlet_name = models.CharField(max_length=MAX_NAME_LENGTH)
    outlet_website = models.URLField(max_length=500)
    outlet_type = models.CharField(max_length=20, choices=OutletType)
    country = CountryField()
    audience_size = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AUDIENCE_SIZE)]
    )
    vat_number = models.CharField(max_length=20, blank=True)

    # How they want to republish.
    media = models.CharField("medium", max_length=20, choices=Medium)
    language = models.CharField(max_length=8, choices=Language)
    territory = models.CharField(max_length=20, choices=Territory)
    start_date = models.DateField()
    duration = models.CharField(max_length=10, choices=Duration)
    extent = models.CharField(max_length=10, choices=Extent)
    word_count = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_WORD_COUNT)]
    )
    include_images = models.BooleanField(default=False)
    edits = models.TextField(blank=True, max_length=MAX_LONG_TEXT_LENGTH)
    notes = models.TextField(blank=True, max_length=MAX_LONG_TEXT_LENGTH)
    terms_accepted_at = models.DateTimeField()

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # An excerpt says how long it is; a full-text request does not.
            models.CheckConstraint(
                condition=(
                    models.Q(extent="excerpt", word_count__isnull=False)
                    | models.Q(extent="full", word_count__isnull=True)
                ),
                name="word_count_only_for_excerpts",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values), name="request_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="request_status_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.outlet_name}"

    def get_absolute_url(self) -> str:
        return reverse("licensing:request_detail", args=[self.uuid])

    @classmethod
    def submit(cls, *, article: Article, details: dict[str, Any]) -> RepublicationRequest:
        """Store a new request, remember the outlet, and email both sides on commit."""
        from licensing import tasks

        with transaction.atomic():
            outlet_fields = {
                "contact_name": details["contact_name"],
                "name": details["outlet_name"],
                "website": details["outlet_website"],
                "outlet_type": details["outlet_type"],
                "country": details["country"],
                "audience_size": details["audience_size"],
                "vat_number": details.get("vat_number", ""),
            }
            outlet, _created = Outlet.objects.update_or_create(
                email=details["email"].lower(), defaults=outlet_fields
            )
            now = timezone.now()
            request = cls(
                article=article,
                outlet=outlet,
                terms_accepted_at=now,
                reference=allocate_number(prefix="RR", year=timezone.localdate(now).year, width=5),
                **details,
            )
            request.full_clean()
            request.save()
            request.status_changes.create(
                from_status="",
                to_status=RequestStatus.SUBMITTED,
                note="Submitted by the requester.",
            )
            request_id = request.pk
            transaction.on_commit(
                lambda: tasks.send_request_submitted_emails.enqueue(request_id=request_id)
            )
        return request


class StatusChange(models.Model):
    """The audit trail of a request: every transition, who made it and why."""

    request = models.ForeignKey(
        RepublicationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=RequestStatus, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '-'} -> {self.to_status}"

    @property
    def actor_label(self) -> str:
        user: AbstractBaseUser | None = self.actor
        return user.get_username() if user else "requester or system"
