"""The catalogue of articles and the republication requests made for them."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self, cast

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from licensing.response_target import overdue_cutoff
from portal.models import allocate_number, copy_state
from portal.money import format_money
from portal.search import fold, matching, relevance, search_terms
from portal.structured_logging import reference_fields

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from billing.models import Invoice

logger = logging.getLogger(__name__)

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
    # fold(title), kept by save(): the catalogue's search matches it (portal/search.py);
    # on PostgreSQL a trigram index serves it (migration 0006).
    search_text = models.TextField(blank=True, editable=False)
    # The title as read from the database (from_db); None for a new article.
    _stored_title: str | None = None

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["-published_at", "-id"], name="article_latest_idx")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "title" in update_fields:
            self.search_text = fold(self.title)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        retitled = self.pk is not None and self._stored_title not in {None, self.title}
        with transaction.atomic():
            super().save(*args, **kwargs)
            if retitled:
                RepublicationRequest.refresh_search_text(self.requests.select_related("article"))
        self._stored_title = self.title

    def get_absolute_url(self) -> str:
        return reverse("licensing:article_detail", args=[self.slug])

    def get_republish_url(self) -> str:
        return reverse("licensing:request_form", args=[self.slug])

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Self:
        article = super().from_db(db, field_names, values, **kwargs)
        # The title as stored, so save() knows when its requests' search text is stale.
        article._stored_title = article.__dict__.get("title")
        return article

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


class WaitingOn(models.TextChoices):
    STAFF = "staff", _("Our desk")
    REQUESTER = "requester", _("The requester")
    NOBODY = "nobody", _("Nobody")


# Which side must act next in each status: drives the queue's "whose turn".
WAITING_BY_STATUS = {
    RequestStatus.SUBMITTED: WaitingOn.STAFF,
    RequestStatus.INFO_REQUESTED: WaitingOn.REQUESTER,
    RequestStatus.AWAITING_PAYMENT: WaitingOn.REQUESTER,
}
OPEN_STATUSES = {
    RequestStatus.SUBMITTED,
    RequestStatus.INFO_REQUESTED,
    RequestStatus.AWAITING_PAYMENT,
}
CLOSED_STATUSES = {
    RequestStatus.LICENSED,
    RequestStatus.DECLINED,
    RequestStatus.WITHDRAWN,
    RequestStatus.EXPIRED,
    RequestStatus.REVOKED,
}


class DeskTab(models.TextChoices):
    """The staff queue's tabs; the first is what /staff/ opens on."""

    WAITING = "waiting", "Waiting on us"
    REQUESTER = "requester", "Waiting on the requester"
    PAYMENT = "payment", "Awaiting payment"
    CLOSED = "closed", "Closed"
    ALL = "all", "All"


# Sorted tuples: the desk's ordering index (migration 0006) is built from the
# same expressions, and PostgreSQL uses it only when the query spells them alike.
STAFF_TURN = tuple(sorted(s for s, side in WAITING_BY_STATUS.items() if side == WaitingOn.STAFF))
DESK_TABS: dict[str, tuple[str, ...]] = {
    DeskTab.WAITING: STAFF_TURN,
    DeskTab.REQUESTER: (RequestStatus.INFO_REQUESTED,),
    DeskTab.PAYMENT: (RequestStatus.AWAITING_PAYMENT,),
    DeskTab.CLOSED: tuple(sorted(CLOSED_STATUSES)),
    # Listed, not "every status": one added later (a request whose email is
    # not yet confirmed, say) stays off the desk until it is named here.
    DeskTab.ALL: tuple(sorted(OPEN_STATUSES | CLOSED_STATUSES)),
}
# The desk's order: waiting on us first, then on the requester, each oldest
# waiting first (so the most overdue is on top); closed ones last, latest first.
DESK_RANK = models.Case(
    models.When(status__in=STAFF_TURN, then=models.Value(0)),
    models.When(status__in=tuple(sorted(OPEN_STATUSES)), then=models.Value(1)),
    default=models.Value(2),
    output_field=models.IntegerField(),
)
OPEN_SINCE = models.Case(
    models.When(status__in=tuple(sorted(OPEN_STATUSES)), then=models.F("waiting_since")),
    default=None,
    output_field=models.DateTimeField(),
)
DESK_ORDER = (
    DESK_RANK.asc(),
    OPEN_SINCE.asc(),
    models.F("waiting_since").desc(),
    models.F("id").desc(),
)
# Numbers people copy from documents: found by their own unique columns.
DOCUMENT_NUMBER = re.compile(r"(RR|INV|CN|LIC)-\d{4}-\d{5,6}")
NUMBER_LOOKUPS = {
    "RR": "reference",
    "INV": "invoice__number",
    "CN": "invoice__credit_notes__number",
    "LIC": "licence__number",
}


class RequestQuerySet(models.QuerySet["RepublicationRequest"]):
    """Named sets of requests, so views and commands never rebuild the filters."""

    def on_desk(self) -> Self:
        return self.filter(status__in=DESK_TABS[DeskTab.ALL])

    def in_tab(self, tab: str) -> Self:
        return self.filter(status__in=DESK_TABS[tab])

    def open(self) -> Self:
        return self.filter(status__in=OPEN_STATUSES)

    def waiting_on_staff(self) -> Self:
        return self.filter(status__in=STAFF_TURN)

    def awaiting_payment(self) -> Self:
        return self.filter(status=RequestStatus.AWAITING_PAYMENT)

    def overdue(self, now: datetime | None = None) -> Self:
        """Waiting on staff for longer than the response target."""
        return self.waiting_on_staff().filter(waiting_since__lt=overdue_cutoff(now))

    def desk_counts(self) -> dict[str, int]:
        """How many wait in each open tab, and how many of ours are overdue.

        One query over the open requests only, which stay few however long
        the history grows; closed and all tabs are not counted.
        """
        return self.open().aggregate(
            waiting=models.Count("pk", filter=models.Q(status__in=STAFF_TURN)),
            overdue=models.Count(
                "pk", filter=models.Q(status__in=STAFF_TURN, waiting_since__lt=overdue_cutoff())
            ),
            requester=models.Count("pk", filter=models.Q(status=RequestStatus.INFO_REQUESTED)),
            payment=models.Count("pk", filter=models.Q(status=RequestStatus.AWAITING_PAYMENT)),
        )

    def in_desk_order(self) -> Self:
        return self.order_by(*DESK_ORDER)

    def search(self, query: str) -> Self:
        """Requests matching `query`: an exact document number, or every word typed.

        Word matches carry a `relevance` annotation (higher is better).
        """
        number = query.strip().upper()
        if DOCUMENT_NUMBER.fullmatch(number):
            return self.filter(**{NUMBER_LOOKUPS[number.split("-", 1)[0]]: number})
        terms = search_terms(query)
        if not terms:
            return self
        return cast(Self, matching(self, terms).annotate(relevance=relevance(self, terms)))

    def with_markers(self) -> Self:
        """`requester_replied`: a requester message since the request last changed hands.

        `edited`: a history row that changes no status, which is what an
        edit of the request records.
        """
        return self.annotate(
            requester_replied=models.Exists(
                Message.objects.filter(
                    request=models.OuterRef("pk"),
                    sender=Sender.REQUESTER,
                    created_at__gte=models.OuterRef("waiting_since"),
                )
            ),
            edited=models.Exists(
                StatusChange.objects.filter(
                    request=models.OuterRef("pk"), from_status=models.F("to_status")
                )
            ),
        )


SEARCHED_FIELDS = ("reference", "contact_name", "email", "outlet_name", "article")


class TransitionNotAllowed(Exception):
    """The request's current status does not allow this action."""


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
    # The interface language the requester used; every email to them is written in it.
    ui_language = models.CharField(
        "interface language", max_length=8, choices=settings.LANGUAGES, default="en"
    )

    # The requester's account (magic-link sign-in), one per email address.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="republication_requests",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    waiting_on = models.CharField(
        max_length=10, choices=WaitingOn, default=WaitingOn.STAFF, editable=False
    )
    waiting_since = models.DateTimeField(default=timezone.now, editable=False)
    first_response_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The rate card's suggestion at submission, and what the reviewer approved.
    suggested_fee_minor = models.PositiveIntegerField(null=True, blank=True, editable=False)
    suggested_currency = models.CharField(max_length=3, blank=True, editable=False)
    fee_minor = models.PositiveIntegerField(null=True, blank=True, editable=False)
    currency = models.CharField(max_length=3, blank=True, editable=False)
    quote_valid_until = models.DateField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decline_reason = models.TextField(blank=True, editable=False)
    invoice = models.OneToOneField(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="republication_request",
        editable=False,
    )
    quote_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # fold() of who asked and for what, kept by save(): the desk's search
    # matches it (portal/search.py); on PostgreSQL a trigram index serves it.
    search_text = models.TextField(blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("review_request", "Can review, message, approve and decline requests")]
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
        indexes = [
            models.Index(fields=["status", "created_at"], name="request_status_idx"),
            # The staff queue: newest waiting first, optionally within a status.
            models.Index(fields=["-waiting_since", "-id"], name="request_queue_idx"),
            models.Index(
                fields=["status", "-waiting_since", "-id"], name="request_queue_status_idx"
            ),
            models.Index(fields=["email"], name="request_email_idx"),
            # The dashboard's recent-weeks and response-time figures.
            models.Index(fields=["created_at"], name="request_created_idx"),
            models.Index(fields=["first_response_at"], name="request_first_response_idx"),
            models.Index(*DESK_ORDER, name="request_desk_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.outlet_name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(SEARCHED_FIELDS):
            self.search_text = self.searchable_text()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("licensing:request_detail", args=[self.uuid])

    def searchable_text(self) -> str:
        """The reference first: every word people type for a name then follows a space."""
        return fold(
            " ".join([self.reference, self.contact_name, self.email, self.outlet_name])
            + " "
            + self.article.title
        )

    @classmethod
    def refresh_search_text(cls, requests: Iterable[RepublicationRequest]) -> None:
        """Store the search text again, after an article was renamed."""
        changed = []
        for req in requests:
            req.search_text = req.searchable_text()
            changed.append(req)
        cls.objects.bulk_update(changed, ["search_text"], batch_size=500)

    @classmethod
    def submit(
        cls, *, article: Article, details: dict[str, Any], ui_language: str = "en"
    ) -> RepublicationRequest:
        """Store a new request, remember the outlet, and email both sides on commit."""
        from licensing import pricing, tasks

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
                requester=requester_account(details["email"]),
                terms_accepted_at=now,
                waiting_since=now,
                ui_language=ui_language,
                reference=allocate_number(prefix="RR", year=timezone.localdate(now).year, width=5),
                **details,
            )
            suggestion = pricing.suggest_fee(request)
            if suggestion is not None:
                request.suggested_fee_minor, request.suggested_currency = suggestion
            request.full_clean()
            request.save()
            request.status_changes.create(
                from_status="",
                to_status=RequestStatus.SUBMITTED,
                note="Submitted by the requester.",
            )
            request_id = request.pk
            # Two tasks, so a mail failure retries only the email that failed.
            transaction.on_commit(
                lambda: tasks.send_request_received_email.enqueue(request_id=request_id)
            )
            transaction.on_commit(
                lambda: tasks.send_new_request_email_to_reviewers.enqueue(request_id=request_id)
            )
            rule = pricing.matching_auto_approval_rule(request)
            if rule is not None:
                request.approve(
                    actor=None,
                    fee_minor=rule.fee_minor,
                    currency=rule.currency,
                    validity_days=settings.DEFAULT_QUOTE_VALIDITY_DAYS,
                    note=f"Approved automatically by the rule “{rule.name}”.",
                )
        return request

    # --- Transitions -----------------------------------------------------
    # Each locks the row, checks the current status, writes, records a
    # StatusChange and queues its email for after the commit.

    def _lock(self) -> RepublicationRequest:
        return type(self)._locking().get(pk=self.pk)

    @classmethod
    def _locking(cls) -> models.QuerySet[RepublicationRequest]:
        """Requests locked until the transaction ends, read with what transitions use.

        Only the request's row is locked (`of`): the article and invoice are read along.
        """
        return cls.objects.select_for_update(of=("self",)).select_related("article", "invoice")

    @classmethod
    def locked_for_invoice(cls, invoice: Invoice) -> RepublicationRequest | None:
        """The request billed by `invoice`, locked until the caller's transaction ends."""
        try:
            # One request at most refers to an invoice: get() needs no ORDER BY, unlike first().
            request = (
                cls.objects.select_for_update(of=("self",))
                .select_related("article")
                .get(invoice_id=invoice.pk)
            )
        except cls.DoesNotExist:
            return None
        # The caller's instance: reading the invoice again would give the same row.
        request.invoice = invoice
        return request

    def _move(
        self,
        *,
        allowed_from: set[str],
        to: str,
        actor: User | None,
        note: str,
        action: str,
        locked: RepublicationRequest | None = None,
        **fields: Any,
    ) -> RepublicationRequest:
        """Lock, check and apply one transition; must run inside transaction.atomic().

        `locked`: this request, already locked by the caller in this transaction.
        """
        if locked is None:
            locked = self._lock()
        if locked.status not in allowed_from:
            raise TransitionNotAllowed(
                f"Cannot {action} request {locked.reference}: it is now "
                f"“{locked.get_status_display()}”."
            )
        now = timezone.now()
        from_status = locked.status
        locked.status = to
        locked.waiting_on = WAITING_BY_STATUS.get(RequestStatus(to), WaitingOn.NOBODY)
        locked.waiting_since = now
        if actor is not None and locked.first_response_at is None:
            locked.first_response_at = now
        for name, value in fields.items():
            setattr(locked, name, value)
        # The columns a transition writes; the others are as read under the lock.
        locked.save(
            update_fields=[
                "status",
                "waiting_on",
                "waiting_since",
                "first_response_at",
                "updated_at",
                *fields,
            ]
        )
        locked.status_changes.create(
            from_status=from_status, to_status=to, actor=actor, note=note, created_at=now
        )
        # Numbers and ids only: the note and the people stay in the database.
        logger.info(
            "Request %s: %s -> %s (%s)",
            locked.reference,
            from_status,
            to,
            action,
            extra=reference_fields(
                request_reference=locked.reference,
                invoice_number=locked.invoice.number if locked.invoice else None,
                # Only a request that has been licensed has a licence.
                licence_number=(
                    Licence.objects.filter(request=locked).values_list("number", flat=True).first()
                    if from_status in {RequestStatus.LICENSED, RequestStatus.REVOKED}
                    else None
                ),
                from_status=from_status,
                to_status=to,
                actor_id=actor.pk if actor else None,
            ),
        )
        copy_state(self, locked)
        return locked

    def _after_commit(self, task: Any) -> None:
        request_id = self.pk
        transaction.on_commit(lambda: task.enqueue(request_id=request_id))

    def approve(
        self,
        *,
        actor: User | None,
        fee_minor: int,
        currency: str,
        validity_days: int,
        note: str = "",
    ) -> None:
        """Approve at a fee: a quote to pay, or at once licensed when the fee is zero."""
        from billing.models import Buyer, Invoice
        from licensing import tasks

        if fee_minor < 0:
            raise ValueError("A fee cannot be negative.")
        if currency not in settings.PORTAL_CURRENCIES:
            raise ValueError(f"Currency {currency} is not accepted.")
        with transaction.atomic():
            valid_until = timezone.localdate() + timedelta(days=validity_days)
            if fee_minor == 0:
                note = note or "Approved with a zero fee, deliberately: no invoice."
                to = RequestStatus.LICENSED
            else:
                note = note or f"Approved at {format_money(fee_minor, currency)} (net of VAT)."
                to = RequestStatus.AWAITING_PAYMENT
            locked = self._move(
                allowed_from={RequestStatus.SUBMITTED},
                to=to,
                actor=actor,
                note=note,
                action="approve",
                fee_minor=fee_minor,
                currency=currency,
                quote_valid_until=valid_until if fee_minor else None,
                decided_at=timezone.now(),
            )
            if not fee_minor:
                Licence.issue(locked)
            else:
                # Inside this transaction: a failed approval leaves no invoice
                # and gives its number back.
                locked.invoice = Invoice.issue(
                    reference=locked.reference,
                    description=(
                        f"Licence to republish “{locked.article.title}” ({locked.reference})"
                    ),
                    buyer=Buyer(
                        name=locked.outlet_name,
                        contact=locked.contact_name,
                        email=locked.email,
                        country=str(locked.country),
                        vat_number=locked.vat_number,
                    ),
                    amount_minor=fee_minor,
                    currency=currency,
                    due_on=valid_until,
                )
                locked.save(update_fields=["invoice", "updated_at"])
                self.refresh_from_db()
                # Free approvals get the licence email instead (Licence.issue queues it).
                self._after_commit(tasks.send_request_approved_email)

    def decline(self, *, actor: User, reason: str) -> None:
        from licensing import tasks

        with transaction.atomic():
            self._move(
                allowed_from={RequestStatus.SUBMITTED, RequestStatus.INFO_REQUESTED},
                to=RequestStatus.DECLINED,
                actor=actor,
                note=reason,
                action="decline",
                decline_reason=reason,
                decided_at=timezone.now(),
            )
            self._after_commit(tasks.send_request_declined_email)

    def ask_for_information(self, *, actor: User, message: str) -> None:
        from licensing import tasks

        with transaction.atomic():
            self._move(
                allowed_from={RequestStatus.SUBMITTED},
                to=RequestStatus.INFO_REQUESTED,
                actor=actor,
                note=message,
                action="ask for information on",
            )
            self.messages.create(author=actor, sender=Sender.STAFF, body=message)
            self._after_commit(tasks.send_information_requested_email)

    def reply(self, *, body: str) -> None:
        """The requester writes; an answer to an information request hands it back to staff."""
        from licensing import tasks

        with transaction.atomic():
            locked = self._lock()
            if locked.status not in OPEN_STATUSES:
                raise TransitionNotAllowed(
                    f"Request {locked.reference} is closed (“{locked.get_status_display()}”)."
                )
            if locked.status == RequestStatus.INFO_REQUESTED:
                self._move(
                    allowed_from={RequestStatus.INFO_REQUESTED},
                    to=RequestStatus.SUBMITTED,
                    actor=None,
                    note="The requester replied.",
                    action="reply to",
                )
            self.messages.create(author=None, sender=Sender.REQUESTER, body=body)
            self._after_commit(tasks.send_reply_received_email)

    def withdraw(self, *, actor: User | None = None, note: str = "") -> None:
        """The requester withdraws, or staff cancel; an unpaid invoice is voided."""
        with transaction.atomic():
            locked = self._move(
                allowed_from=set(OPEN_STATUSES),
                to=RequestStatus.WITHDRAWN,
                actor=actor,
                note=note or ("Cancelled by staff." if actor else "Withdrawn by the requester."),
                action="withdraw",
            )
            locked._void_open_invoice(reason=f"Request {locked.reference} withdrawn.")

    def expire(self) -> None:
        """The quote's validity passed unpaid: the request expires, its invoice is voided."""
        from licensing import tasks

        with transaction.atomic():
            locked = self._move(
                allowed_from={RequestStatus.AWAITING_PAYMENT},
                to=RequestStatus.EXPIRED,
                actor=None,
                note=f"Quote expired unpaid on {self.quote_valid_until}.",
                action="expire",
            )
            locked._void_open_invoice(reason=f"Quote for {locked.reference} expired unpaid.")
            self._after_commit(tasks.send_quote_expired_email)

    def mark_licensed(self, *, note: str, already_locked: bool = False) -> bool:
        """Payment arrived: awaiting_payment becomes licensed, once, with its licence.

        Returns False, changing nothing, when the request is already licensed,
        so repeated payment notifications are harmless. `already_locked`: this
        instance is the row the caller locked (locked_for_invoice()) in the
        transaction still open around this call, which then holds the whole
        change and no savepoint is made.
        """
        if not already_locked:
            with transaction.atomic():
                locked = self._lock()
                licensed = locked.mark_licensed(note=note, already_locked=True)
                copy_state(self, locked)
            return licensed
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError(
                "mark_licensed(already_locked=True) must run in the lock's transaction"
            )
        if self.status == RequestStatus.LICENSED:
            return False
        # Raises TransitionNotAllowed before writing anything.
        self._move(
            allowed_from={RequestStatus.AWAITING_PAYMENT},
            to=RequestStatus.LICENSED,
            actor=None,
            note=note,
            action="license",
            locked=self,
        )
        Licence.issue(self)
        return True

    def revoke(self, *, actor: User, reason: str) -> None:
        """Withdraw a granted licence; verification says so from now on."""
        from licensing import signals, tasks

        with transaction.atomic():
            locked = self._move(
                allowed_from={RequestStatus.LICENSED},
                to=RequestStatus.REVOKED,
                actor=actor,
                note=reason,
                action="revoke",
            )
            Licence.objects.filter(request=locked).update(
                status=LicenceStatus.REVOKED, revoked_at=timezone.now(), revoke_reason=reason
            )
            self._after_commit(tasks.send_licence_revoked_email)
            for licence_id in Licence.objects.filter(request=locked).values_list("pk", flat=True):
                signals.send_on_commit(signals.licence_revoked, licence_id=licence_id)

    def _void_open_invoice(self, *, reason: str) -> None:
        from billing.models import InvoiceStateError, InvoiceStatus

        if self.invoice is None or self.invoice.status == InvoiceStatus.VOID:
            return
        if self.invoice.status == InvoiceStatus.PAID:
            # Paid, and the licence is on its way (invoice_paid runs on commit): the payment wins.
            raise TransitionNotAllowed(
                f"Request {self.reference} has just been paid; it can no longer be cancelled."
            )
        try:
            self.invoice.void(reason=reason)
        except InvoiceStateError as error:
            # Paid between our read and the invoice's lock: the payment wins.
            raise TransitionNotAllowed(
                f"Request {self.reference} has just been paid; it can no longer be cancelled."
            ) from error

    def assign(self, *, actor: User, assignee: User | None) -> None:
        with transaction.atomic():
            locked = self._lock()
            locked.assignee = assignee
            locked.save(update_fields=["assignee", "updated_at"])
            who = assignee.get_username() if assignee else "nobody"
            self.messages.create(
                author=actor, sender=Sender.STAFF, internal=True, body=f"Assigned to {who}."
            )
            self.refresh_from_db()

    @classmethod
    def assign_many(
        cls, requests: Iterable[RepublicationRequest], *, actor: User, assignee: User | None
    ) -> list[str]:
        """Give every one of `requests` to `assignee` (or nobody), all or none.

        Locks the rows in id order, so two bulk assignments never deadlock;
        each request's thread notes the change, as a single assignment does.
        Returns the references changed.
        """
        who = assignee.get_username() if assignee else "nobody"
        with transaction.atomic():
            locked = list(
                cls.objects.select_for_update()
                .filter(pk__in=[req.pk for req in requests])
                .order_by("pk")
                .only("pk", "reference", "assignee")
            )
            cls.objects.filter(pk__in=[req.pk for req in locked]).update(
                assignee=assignee, updated_at=timezone.now()
            )
            Message.objects.bulk_create(
                Message(
                    request=req,
                    author=actor,
                    sender=Sender.STAFF,
                    internal=True,
                    body=f"Assigned to {who}.",
                )
                for req in locked
            )
        return [req.reference for req in locked]

    def add_internal_note(self, *, actor: User, body: str) -> None:
        self.messages.create(author=actor, sender=Sender.STAFF, internal=True, body=body)

    # --- Reading ---------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def fee_display(self) -> str:
        return format_money(self.fee_minor, self.currency)

    @property
    def suggested_fee_display(self) -> str:
        return format_money(self.suggested_fee_minor, self.suggested_currency)

    def public_messages(self) -> models.QuerySet[Message]:
        return self.messages.filter(internal=False)


def requester_account(email: str) -> User:
    """The requester's account for this email (created on first request), for magic links."""
    import hashlib

    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    email = email.strip().lower()
    # Usernames hold 150 characters, emails 254: a long address gets a name
    # derived from all of it, so two long addresses never share an account.
    username = (
        email if len(email) <= 150 else f"requester-{hashlib.sha256(email.encode()).hexdigest()}"
    )
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class Sender(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    STAFF = "staff", _("Staff")


class Message(models.Model):
    """The conversation on a request; internal notes are for staff eyes only."""

    request = models.ForeignKey(
        RepublicationRequest, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(max_length=10, choices=Sender)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=MAX_LONG_TEXT_LENGTH)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sender} on {self.request_id}"


class RuleConditions(models.Model):
    """Conditions shared by price rules and auto-approval rules; empty means any."""

    name = models.CharField(max_length=200)
    outlet_type = models.CharField(max_length=20, choices=OutletType, blank=True)
    media = models.CharField("medium", max_length=20, choices=Medium, blank=True)
    extent = models.CharField(max_length=10, choices=Extent, blank=True)
    territory = models.CharField(max_length=20, choices=Territory, blank=True)
    min_audience = models.PositiveIntegerField(
        null=True, blank=True, help_text="Audience band: at least this many (inclusive)."
    )
    max_audience = models.PositiveIntegerField(
        null=True, blank=True, help_text="Audience band: at most this many (inclusive)."
    )
    fee_minor = models.PositiveIntegerField(
        "fee (minor units)", help_text="Net fee in pence or cents: 15000 is 150.00."
    )
    currency = models.CharField(max_length=3, default="GBP")
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name}: {self.fee_display}"

    @property
    def fee_display(self) -> str:
        return format_money(self.fee_minor, self.currency)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.currency not in settings.PORTAL_CURRENCIES:
            raise ValidationError({"currency": f"Use one of {settings.PORTAL_CURRENCIES}."})
        if (
            self.min_audience is not None
            and self.max_audience is not None
            and self.min_audience > self.max_audience
        ):
            raise ValidationError({"max_audience": "The band's maximum is below its minimum."})

    @property
    def specificity(self) -> int:
        """How many conditions the rule sets; the audience band counts as one."""
        set_fields = [self.outlet_type, self.media, self.extent, self.territory]
        band = self.min_audience is not None or self.max_audience is not None
        return sum(1 for value in set_fields if value) + int(band)

    def matches(self, request: RepublicationRequest) -> bool:
        return (
            (not self.outlet_type or self.outlet_type == request.outlet_type)
            and (not self.media or self.media == request.media)
            and (not self.extent or self.extent == request.extent)
            and (not self.territory or self.territory == request.territory)
            and (self.min_audience is None or request.audience_size >= self.min_audience)
            and (self.max_audience is None or request.audience_size <= self.max_audience)
        )


RULE_HELP = (
    "Each condition left empty matches anything. When several active rules match a "
    "request, the most specific wins: the one with the most conditions set (outlet type, "
    "medium, extent, territory, audience band); among equally specific rules the lowest "
    "fee wins, so the requester is never quoted more than a rule allows."
)


class PriceRule(RuleConditions):
    """One line of the rate card: a suggested fee for requests matching its conditions."""

    class Meta:
        ordering = ["name"]
        verbose_name = "price rule"


class AutoApprovalRule(RuleConditions):
    """Requests matching an active rule are approved at once at its fee, with no reviewer."""

    class Meta:
        ordering = ["name"]
        verbose_name = "auto-approval rule"


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
        user: User | None = self.actor
        return user.get_username() if user else "requester or system"


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Licence(models.Model):
    """What the requester may do, exactly as approved: frozen at issue, verifiable by anyone."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, editable=False)
    request = models.OneToOneField(
        RepublicationRequest, on_delete=models.PROTECT, related_name="licence"
    )
    status = models.CharField(max_length=10, choices=LicenceStatus, default=LicenceStatus.VALID)
    publisher_name = models.CharField(max_length=200)
    # Licensee: outlet and contact (the email is private; never shown on /verify/).
    licensee_name = models.CharField(max_length=MAX_NAME_LENGTH)
    licensee_contact = models.CharField(max_length=MAX_NAME_LENGTH)
    licensee_email = models.EmailField()
    licensee_website = models.URLField(max_length=500)
    licensee_country = CountryField()
    # The article, as it was when licensed.
    article_title = models.CharField(max_length=300)
    article_author = models.CharField(max_length=200, blank=True)
    article_url = models.URLField(max_length=500)
    article_published_on = models.DateField(null=True, blank=True)
    article_language = models.CharField(max_length=8, choices=Language, default=Language.ENGLISH)
    # The scope granted.
    media = models.CharField("medium", max_length=20, choices=Medium)
    language = models.CharField(max_length=8, choices=Language)
    territory = models.CharField(max_length=20, choices=Territory)
    extent = models.CharField(max_length=10, choices=Extent)
    word_count = models.PositiveIntegerField(null=True, blank=True)
    include_images = models.BooleanField(default=False)
    edits_allowed = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Empty: perpetual.")
    attribution = models.TextField()
    fee_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    invoice_number = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expired_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)
    pdf = models.FileField(upload_to="licences/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["status", "end_date"], name="licence_expiry_idx")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("licensing:verify", args=[self.number])

    @property
    def verify_url(self) -> str:
        return settings.PORTAL_BASE_URL + self.get_absolute_url()

    @property
    def fee_display(self) -> str:
        return format_money(self.fee_minor, self.currency) if self.currency else ""

    @property
    def attribution_html(self) -> str:
        """The snippet the licensee pastes beside the republished article."""
        from django.utils.html import format_html

        return str(
            format_html(
                '<p class="republished-licence">{} <a href="{}">{}</a></p>',
                self.attribution,
                self.article_url,
                _("Read the original article."),
            )
        )

    @classmethod
    def issue(cls, request: RepublicationRequest) -> Licence:
        """The licence for a request that has just become licensed; exactly one per request.

        Runs inside the transition's transaction; the PDF is rendered after commit.
        """
        from licensing import signals, tasks

        # Almost never true: ask the cheap question, and read the licence only when it is.
        if cls.objects.filter(request=request).exists():
            return cls.objects.get(request=request)
        today = timezone.localdate()
        start = max(request.start_date, today)
        months = Duration(request.duration).months
        number = allocate_number(prefix="LIC", year=today.year, width=6)
        publisher = settings.PUBLISHER_NAME
        article = request.article
        licence = cls(
            number=number,
            request=request,
            publisher_name=publisher,
            licensee_name=request.outlet_name,
            licensee_contact=request.contact_name,
            licensee_email=request.email,
            licensee_website=request.outlet_website,
            licensee_country=request.country,
            article_title=article.title,
            article_author=article.author,
            article_url=article.canonical_url,
            article_published_on=(
                timezone.localdate(article.published_at) if article.published_at else None
            ),
            article_language=article.language,
            media=request.media,
            language=request.language,
            territory=request.territory,
            extent=request.extent,
            word_count=request.word_count,
            include_images=request.include_images,
            edits_allowed=request.edits,
            start_date=start,
            end_date=_add_months(start, months) if months else None,
            attribution=(
                f"This article was originally published by {publisher} and is republished "
                f"under licence {number}."
            ),
            fee_minor=request.fee_minor or 0,
            currency=request.currency,
            invoice_number=request.invoice.number if request.invoice else "",
        )
        # Field checks only: the request is the locked row itself, its country was
        # checked when it was submitted (a walk through every country), and the
        # unique columns (request, number, uuid) are the database's to enforce.
        licence.full_clean(exclude=["pdf", "request", "licensee_country"], validate_unique=False)
        licence.save()
        logger.info(
            "Licence %s issued for request %s",
            number,
            request.reference,
            extra=reference_fields(
                request_reference=request.reference,
                invoice_number=licence.invoice_number,
                licence_number=number,
            ),
        )
        licence_id = licence.pk
        transaction.on_commit(lambda: tasks.deliver_licence.enqueue(licence_id=licence_id))
        signals.send_on_commit(signals.licence_issued, licence_id=licence_id, licence=licence)
        return licence

    def render_pdf(self) -> bytes:
        from licensing.pdf import render_licence_pdf

        return render_licence_pdf(self)

    def store_pdf(self) -> bytes:
        """Render, store and fingerprint the PDF (after commit, from a task)."""
        import hashlib

        from django.core.files.base import ContentFile

        data = self.render_pdf()
        if self.pdf:
            self.pdf.delete(save=False)
        self.pdf.save(f"{self.number}.pdf", ContentFile(data), save=False)
        self.pdf_sha256 = hashlib.sha256(data).hexdigest()
        self.save(update_fields=["pdf", "pdf_sha256"])
        return data

    def pdf_bytes(self) -> bytes:
        """The stored PDF, re-rendered and stored again if the file went missing."""
        if self.pdf.name and self.pdf.storage.exists(self.pdf.name):
            with self.pdf.open("rb") as stored:
                return bytes(stored.read())
        return self.store_pdf()

    def status_words(self) -> str:
        """'Valid', 'Expired on 1 May 2027', 'Revoked on 3 June 2026', as /verify/ shows it."""
        from django.utils.formats import date_format

        if self.status == LicenceStatus.REVOKED and self.revoked_at:
            return _("Revoked on %(date)s") % {
                "date": date_format(timezone.localdate(self.revoked_at), "j F Y")
            }
        day = self.expired_on or self.end_date
        if self.status == LicenceStatus.EXPIRED and day is not None:
            return _("Expired on %(date)s") % {"date": date_format(day, "j F Y")}
        return str(_("Valid"))
