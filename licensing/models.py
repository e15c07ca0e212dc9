"""The catalogue of articles and the republication requests made for them."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import get_language_info, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from billing.models import (
    Buyer,
    ExchangeRateMissing,
    Invoice,
    InvoiceStateError,
    InvoiceStatus,
    sterling_rate_for,
)
from billing.vat import explain_vat, prefixed_vat_number, vat_amount, vat_for
from licensing import signals
from licensing.odrl import licence_policy_json
from licensing.pdf import render_licence_pdf
from licensing.response_target import overdue_cutoff
from licensing.signing import finish_licence_pdf
from portal.documents import StoredPdf
from portal.formats import format_day
from portal.models import allocate_number
from portal.money import MoneyDisplay, format_money
from portal.search import fold, matching, relevance, search_terms
from portal.structured_logging import reference_fields

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 200
MAX_ADDRESS_LENGTH = 500
MAX_PURCHASE_ORDER_LENGTH = 100
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
    # False for an article someone asked for by its address on the publisher's
    # site before any feed brought it: hidden from the catalogue until the desk
    # confirms it when approving.
    in_catalogue = models.BooleanField(
        default=True, help_text="Listed in the public catalogue (set when the desk confirms it)."
    )
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

    def clean(self) -> None:
        # A takedown is final: its licences end and a second one is refused
        # (ArticleNotice.request_takedown), so an article offered again could
        # never be taken down again, nor would its new licences be withdrawn.
        if self.republishable and self.pk is not None:
            takedown = self.notices.filter(kind="takedown").first()
            if takedown is not None:
                raise ValidationError(
                    {
                        "republishable": (
                            "A takedown of this article was requested on "
                            f"{date_format(takedown.sent_on, 'j M Y')}: it cannot be offered "
                            "for republication again."
                        )
                    }
                )

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
        try:
            return bool(get_language_info(self.language)["bidi"])
        except KeyError:  # "other", or a code Django does not know: left to right
            return False

    @classmethod
    def outside_catalogue(cls, *, url: str, title: str) -> Article:
        """An article of ours asked for by its address: stored unlisted until the desk
        confirms it (by approving a request for it)."""
        article = cls(
            title=title.strip(),
            slug=cls.unique_slug_for(title),
            canonical_url=without_tracking(url),
            language=guess_language(title),
            in_catalogue=False,
        )
        article.full_clean()
        article.save()
        return article

    @classmethod
    def unique_slug_for(cls, title: str) -> str:
        base = slugify(title, allow_unicode=False)[:100].strip("-") or "article"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


# Query parameters that say where a reader came from, not which article it is.
TRACKING_PARAMETERS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid"
    r"|_ga|_gl|ocid|cmpid|ns_campaign|ns_mchannel|ns_source|at_medium|at_campaign)$",
    re.IGNORECASE,
)


def without_tracking(url: str) -> str:
    """The article's own address: `url` without tracking parameters or a fragment."""
    parts = urlsplit(url.strip())
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMETERS.match(name)
    ]
    return urlunsplit(parts._replace(query=urlencode(kept), fragment=""))


def guess_language(text: str) -> str:
    """The language a title's script points to (Arabic, Persian and Urdu share one
    script: Arabic is this publisher's), English for Latin script, Other otherwise."""
    letters = [unicodedata.name(ch, "") for ch in text if ch.isalpha()]
    if not letters:
        return Language.ENGLISH
    scripts = {
        "ARABIC": Language.ARABIC,
        "HEBREW": Language.HEBREW,
        "CYRILLIC": Language.RUSSIAN,
        "CJK": Language.CHINESE,
        "LATIN": Language.ENGLISH,
    }
    counts: dict[str, int] = {}
    for name in letters:
        script = next((key for key in scripts if name.startswith(key)), "")
        counts[script] = counts.get(script, 0) + 1
    best = max(counts, key=lambda key: counts[key])
    return scripts.get(best, Language.OTHER)


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


def choice_label(choices: type[models.Choices], value: str) -> str:
    """What get_FOO_display() shows (the label, else the value), from the enum alone.

    get_FOO_display() builds a dict of all the field's choices, each label
    translated, at every call: three columns of 25 rows made that a fifth of
    the desk's rendering.
    """
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def territory_words(territory: str, country: Any) -> str:
    """The territory as granted: "France only" rather than "My country only"."""
    if territory == Territory.SINGLE_COUNTRY and country:
        name = getattr(country, "name", "") or str(country)
        return _("%(country)s only") % {"country": name}
    return str(Territory(territory).label) if territory in Territory.values else territory


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


# --- Scope: what a request asks for and what the desk grants (issue 16) ---

# The parts of a request's scope the desk may narrow when approving.
SCOPE_FIELDS = ("territory", "duration", "extent", "word_count", "include_images", "edits")


def _territory_breadth(territory: str) -> int:
    """One country < one region < the world. Regions are not ranked against each other."""
    if territory == Territory.WORLDWIDE:
        return 2
    return 0 if territory == Territory.SINGLE_COUNTRY else 1


def _duration_months(duration: str) -> float:
    months = Duration(duration).months
    return float("inf") if months is None else float(months)


@dataclass(frozen=True)
class Scope:
    """Where, how long and how much of an article: asked by a request, granted by the desk."""

    territory: str
    duration: str
    extent: str
    word_count: int | None
    include_images: bool
    edits: str

    def wider_than(self, asked: Scope, *, article_words: int | None = None) -> dict[str, str]:
        """Why this scope grants more than `asked`, field by field (English: the desk's words).

        Narrower means: one country within a region within the world (another
        region is not narrower), a shorter or equal duration, an excerpt of a
        full text, fewer words, no images when none were asked, no edits when
        none were asked. The edits' text is the desk's to word.
        """
        errors: dict[str, str] = {}
        granted_breadth, asked_breadth = (
            _territory_breadth(self.territory),
            _territory_breadth(asked.territory),
        )
        if granted_breadth > asked_breadth or (
            granted_breadth == asked_breadth and self.territory != asked.territory
        ):
            errors["territory"] = (
                f"Wider than asked ({Territory(asked.territory).label}): grant that territory "
                "or a narrower one (the outlet's own country; a region within worldwide)."
            )
        if _duration_months(self.duration) > _duration_months(asked.duration):
            errors["duration"] = (
                f"Longer than asked ({Duration(asked.duration).label}): grant that or less."
            )
        if self.extent == Extent.FULL_TEXT and asked.extent == Extent.EXCERPT:
            errors["extent"] = "Only an excerpt was asked for: the full text is wider."
        if self.extent == Extent.EXCERPT:
            limit = asked.word_count if asked.extent == Extent.EXCERPT else article_words
            if self.word_count is None:
                errors["word_count"] = "Say how many words the excerpt may have."
            elif asked.extent == Extent.EXCERPT and limit is not None and self.word_count > limit:
                errors["word_count"] = f"More words than asked ({limit}): grant {limit} or fewer."
            elif asked.extent == Extent.FULL_TEXT and limit and self.word_count >= limit:
                errors["word_count"] = (
                    f"An excerpt must be shorter than the article ({limit} words)."
                )
        elif self.word_count is not None:
            errors["word_count"] = "Leave the word count empty when granting the full text."
        if self.include_images and not asked.include_images:
            errors["include_images"] = "The requester did not ask for the images."
        if self.edits.strip() and not asked.edits.strip():
            errors["edits"] = "The requester asked for no edits: leave this empty."
        return errors

    def differs_from(self, other: Scope) -> list[str]:
        """The names of the fields where the two scopes differ, in SCOPE_FIELDS order."""
        return [
            name
            for name in SCOPE_FIELDS
            if (getattr(self, name).strip() if name == "edits" else getattr(self, name))
            != (getattr(other, name).strip() if name == "edits" else getattr(other, name))
        ]


SCOPE_LABELS = {
    "territory": _("Territory"),
    "duration": _("Duration"),
    "extent": _("Extent"),
    "word_count": _("Extent"),
    "include_images": _("Images"),
    "edits": _("Edits or translation"),
}


def scope_words(scope: Scope, name: str, *, country: Any) -> str:
    """One part of a scope in words, in the active language ("France only", "Excerpt, up to
    300 words", "No, text only")."""
    if name == "territory":
        return str(territory_words(scope.territory, country))
    if name == "duration":
        return str(Duration(scope.duration).label)
    if name in {"extent", "word_count"}:
        if scope.extent == Extent.EXCERPT and scope.word_count:
            return ngettext(
                "Excerpt, up to %(count)s word", "Excerpt, up to %(count)s words", scope.word_count
            ) % {"count": number_format(scope.word_count, force_grouping=True)}
        return str(Extent(scope.extent).label)
    if name == "include_images":
        return str(
            _("Yes, with the article's images") if scope.include_images else _("No, text only")
        )
    return scope.edits.strip() or str(_("None"))


@dataclass(frozen=True)
class ScopeChange:
    """One way the scope granted differs from the one asked, in words."""

    label: str
    asked: str
    granted: str


def describe_scope_changes(
    asked: Scope, granted: Scope, *, country: Any, language: str | None = None
) -> list[ScopeChange]:
    """Where `granted` differs from `asked`, in words, in `language` (default: the active one)."""
    names = granted.differs_from(asked)
    if "word_count" in names and "extent" in names:
        names.remove("word_count")  # one row says both: "Excerpt, up to 300 words"
    with translation.override(language or translation.get_language()):
        return [
            ScopeChange(
                label=str(SCOPE_LABELS[name]),
                asked=scope_words(asked, name, country=country),
                granted=scope_words(granted, name, country=country),
            )
            for name in names
        ]


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
    address = models.TextField("postal address", max_length=MAX_ADDRESS_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class RequestStatus(models.TextChoices):
    # Sent by someone who has not yet proved the address is theirs: invisible
    # to the desk and to every account until the emailed link confirms it.
    UNCONFIRMED = "unconfirmed", _("Unconfirmed")
    SUBMITTED = "submitted", _("Submitted")
    INFO_REQUESTED = "info_requested", _("Information requested")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    LICENSED = "licensed", _("Licensed")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # The quote lapsed unpaid (a licence that ends is LicenceStatus.EXPIRED).
    QUOTE_EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class WaitingOn(models.TextChoices):
    STAFF = "staff", _("Our desk")
    REQUESTER = "requester", _("The requester")
    NOBODY = "nobody", _("Nobody")


# Which side must act next in each status: drives the queue's "whose turn".
WAITING_BY_STATUS = {
    RequestStatus.UNCONFIRMED: WaitingOn.REQUESTER,
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
    RequestStatus.QUOTE_EXPIRED,
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
        return cast(Self, matching(self, terms)).ranked(query)

    def ranked(self, query: str) -> Self:
        """With the `relevance` annotation search() gives word matches for `query`."""
        return cast(Self, self.annotate(relevance=relevance(search_terms(query))))

    def with_markers(self) -> Self:
        """`requester_replied`: a requester message since the request last changed hands.

        An edit of the request since then counts as a reply.

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
            )
            | models.Exists(
                StatusChange.objects.filter(
                    request=models.OuterRef("pk"),
                    from_status=models.F("to_status"),
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


# How long a request may wait for its email to be confirmed before `manage.py daily` deletes it.
UNCONFIRMED_LIFETIME = timedelta(days=7)


# A renewal in these statuses stands for its licence: asking again shows it instead.
RENEWAL_HOLDING_STATUSES = (
    RequestStatus.UNCONFIRMED,
    RequestStatus.SUBMITTED,
    RequestStatus.INFO_REQUESTED,
    RequestStatus.AWAITING_PAYMENT,
    RequestStatus.LICENSED,
)

# The request form's fields a renewal copies as they were: who asks, and in what
# medium and language. The scope granted and a new start date come on top.
RENEWED_FIELDS = (
    "contact_name",
    "email",
    "outlet_name",
    "outlet_website",
    "outlet_type",
    "country",
    "audience_size",
    "vat_number",
    "outlet_address",
    "purchase_order",
    "media",
    "language",
)


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
    # Set when the email is confirmed: an unconfirmed request remembers nothing for the address.
    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
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
    # Printed on the invoice as the buyer's address; required by the form.
    outlet_address = models.TextField(max_length=MAX_ADDRESS_LENGTH, default="")
    purchase_order = models.CharField(max_length=MAX_PURCHASE_ORDER_LENGTH, blank=True)

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
    # What the desk granted (issue 16), set by approve(): the asked fields above
    # stay as asked. Empty granted_territory: nothing granted yet (every
    # granted_ field is then unset); scope() reads the asked ones instead.
    granted_territory = models.CharField(
        max_length=20, choices=Territory, blank=True, editable=False
    )
    granted_duration = models.CharField(max_length=10, choices=Duration, blank=True, editable=False)
    granted_extent = models.CharField(max_length=10, choices=Extent, blank=True, editable=False)
    granted_word_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    granted_include_images = models.BooleanField(null=True, blank=True, editable=False)
    granted_edits = models.TextField(blank=True, editable=False)
    # The licence this request renews (the "Renew" button), or None.
    renews = models.ForeignKey(
        "Licence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
        editable=False,
    )
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
            # A granted scope is all set or all unset, and an excerpt says its length.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        granted_territory="",
                        granted_duration="",
                        granted_extent="",
                        granted_word_count__isnull=True,
                        granted_include_images__isnull=True,
                    )
                    | (
                        ~models.Q(granted_territory="")
                        & ~models.Q(granted_duration="")
                        & models.Q(granted_include_images__isnull=False)
                        & (
                            models.Q(granted_extent="excerpt", granted_word_count__isnull=False)
                            | models.Q(granted_extent="full", granted_word_count__isnull=True)
                        )
                    )
                ),
                name="granted_scope_complete",
            ),
            # One renewal at a time: a declined or withdrawn one makes room for another.
            models.UniqueConstraint(
                fields=["renews"],
                condition=models.Q(status__in=RENEWAL_HOLDING_STATUSES),
                name="one_renewal_per_licence",
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

    @property
    def territory_words(self) -> str:
        return territory_words(self.territory, self.country)

    # The desk's rows show these (choice_label says why not get_FOO_display).
    @property
    def status_label(self) -> str:
        return choice_label(RequestStatus, self.status)

    @property
    def outlet_type_label(self) -> str:
        return choice_label(OutletType, self.outlet_type)

    @property
    def media_label(self) -> str:
        return choice_label(Medium, self.media)

    @property
    def vat_id(self) -> str:
        """The VAT number as typed, with its country prefix (DE136695976), or ''."""
        return prefixed_vat_number({"country": str(self.country), "vat_number": self.vat_number})

    def vat_explanation(self) -> str:
        """Which VAT case an invoice for this request will apply, and why."""
        return explain_vat(country=str(self.country), vat_number=self.vat_number)

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
        cls,
        *,
        article: Article,
        details: dict[str, Any],
        ui_language: str = "en",
        signed_in: User | None = None,
        renews: Licence | None = None,
    ) -> RepublicationRequest:
        """Store a new request and acknowledge it on commit; `renews`: the licence it renews.

        `signed_in`: the visitor's account. When it is the requester account of
        the email given, the address is proven and the request goes to the desk
        at once; otherwise it waits, unconfirmed, for the emailed link.
        """
        email = details["email"].strip().lower()
        proven = (
            signed_in is not None
            and not is_staff_account(signed_in)
            and signed_in.email.strip().lower() == email
        )
        with transaction.atomic():
            now = timezone.now()
            request = cls(
                article=article,
                status=RequestStatus.UNCONFIRMED,
                waiting_on=WaitingOn.REQUESTER,
                terms_accepted_at=now,
                waiting_since=now,
                ui_language=ui_language,
                reference=allocate_number(prefix="RR", year=timezone.localdate(now).year, width=5),
                renews=renews,
                **details,
            )
            suggestion = PriceRule.suggest_fee(request)
            if suggestion is not None:
                request.suggested_fee_minor, request.suggested_currency = suggestion
            request.full_clean(exclude=["outlet", "renews"])
            request.save()
            request.status_changes.create(
                from_status="",
                to_status=RequestStatus.UNCONFIRMED,
                note="Sent from the form; the email address is not confirmed yet."
                + (f" Renewal of licence {renews.number}." if renews else ""),
            )
            # The acknowledgement carries the link that confirms an unconfirmed request.
            signals.request_changed_on_commit(request, signals.RequestEvent.SUBMITTED)
            if proven:
                request.confirm(note="Sent while signed in as this address.")
        return request

    def confirm(self, *, note: str = "The requester confirmed their email address.") -> bool:
        """The address is proven: the request goes to the desk, as if just submitted.

        Only now is the outlet remembered, the account linked, the desk told and
        the auto-approval rules tried. Returns False, changing nothing, when the
        request was confirmed before, so following the link twice is harmless.
        """
        with transaction.atomic():
            self._lock()
            if self.status != RequestStatus.UNCONFIRMED:
                return False
            outlet, _created = Outlet.objects.update_or_create(
                email=self.email.lower(),
                defaults={
                    "contact_name": self.contact_name,
                    "name": self.outlet_name,
                    "website": self.outlet_website,
                    "outlet_type": self.outlet_type,
                    "country": self.country,
                    "audience_size": self.audience_size,
                    "vat_number": self.vat_number,
                    "address": self.outlet_address,
                },
            )
            self._move(
                "confirm",
                to=RequestStatus.SUBMITTED,
                actor=None,
                note=note,
                outlet=outlet,
                requester=requester_account(self.email),
            )
            signals.request_changed_on_commit(self, signals.RequestEvent.CONFIRMED)
            # An article outside the catalogue waits for the desk to confirm it; one
            # taken down since the request was sent, for the desk to decline it.
            automatic = self.article.in_catalogue and self.article.republishable
            rule = AutoApprovalRule.best_for(self) if automatic else None
            if rule is not None:
                try:
                    self.approve(
                        actor=None,
                        fee_minor=rule.fee_minor,
                        currency=rule.currency,
                        validity_days=settings.DEFAULT_QUOTE_VALIDITY_DAYS,
                        note=f"Approved automatically by the rule “{rule.name}”.",
                    )
                except ExchangeRateMissing as missing:
                    # The request was sent all the same: it waits for the desk, which
                    # approves it once finance has added the rate, instead of failing.
                    self.messages.create(
                        author=None,
                        sender=Sender.STAFF,
                        internal=True,
                        body=f"Not approved automatically by the rule “{rule.name}”: "
                        f"{missing.messages[0]}",
                    )
                    logger.warning(
                        "Request %s: auto-approval left for the desk, no %s rate for %s",
                        self.reference,
                        missing.currency,
                        f"{missing.month:%Y-%m}",
                        extra=reference_fields(request_reference=self.reference),
                    )
        return True

    @classmethod
    def delete_unconfirmed(cls, *, now: datetime | None = None) -> int:
        """Forget requests whose email was not confirmed within UNCONFIRMED_LIFETIME.

        Nothing else refers to them (no invoice, licence or account), and the
        articles created for them alone, outside the catalogue, go with them.
        """
        cutoff = (now or timezone.now()) - UNCONFIRMED_LIFETIME
        with transaction.atomic():
            stale = cls.objects.filter(status=RequestStatus.UNCONFIRMED, created_at__lt=cutoff)
            article_ids = set(stale.values_list("article_id", flat=True))
            _total, per_model = stale.delete()
            Article.objects.filter(
                pk__in=article_ids, in_catalogue=False, requests__isnull=True
            ).delete()
        return per_model.get(cls._meta.label, 0)

    # --- Transitions -----------------------------------------------------
    # Each public method locks the row, checks TRANSITIONS, writes, records a
    # StatusChange and queues its email for after the commit. The private
    # helpers (_move, _void_open_invoice) run inside it, on the locked row.

    # Which statuses each transition may start from: the methods check it, and
    # the desk offers an action only where its transition is allowed.
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        "confirm": frozenset({RequestStatus.UNCONFIRMED}),
        "approve": frozenset({RequestStatus.SUBMITTED}),
        "ask_for_information": frozenset({RequestStatus.SUBMITTED}),
        "answer": frozenset({RequestStatus.INFO_REQUESTED}),
        "decline": frozenset({RequestStatus.SUBMITTED, RequestStatus.INFO_REQUESTED}),
        "withdraw": frozenset(OPEN_STATUSES),
        "mark_licensed": frozenset({RequestStatus.AWAITING_PAYMENT}),
        "expire": frozenset({RequestStatus.AWAITING_PAYMENT}),
        "revoke": frozenset({RequestStatus.LICENSED}),
        # Not status changes: what the requester may do to the request in each status.
        "amend": frozenset({RequestStatus.SUBMITTED, RequestStatus.INFO_REQUESTED}),
        "renew": frozenset({RequestStatus.LICENSED}),
    }

    def allows(self, transition: str) -> bool:
        """Whether the request's status (as last read) allows `transition`."""
        return self.status in self.TRANSITIONS[transition]

    def _lock(self) -> None:
        """Lock this row until the transaction ends, and read it afresh with what transitions use.

        Its invoice, when it has one, is locked first: a payment locks the
        invoice and then (licensing it) the request, and taking the two in the
        same order means a payment and a withdrawal wait for each other instead
        of deadlocking. An instance read before its approval knows no invoice,
        though one may have been issued since: then the row says which, read
        afresh before any lock. (Once set, a request's invoice never changes:
        only approve() sets it, from SUBMITTED.) Only the rows are locked
        (`of`): the article is read along.
        """
        invoice_id = self.invoice_id
        if invoice_id is None:
            invoice_id = (
                type(self).objects.filter(pk=self.pk).values_list("invoice_id", flat=True).get()
            )
        if invoice_id is not None:
            list(Invoice.objects.select_for_update().filter(pk=invoice_id).values("pk"))
        self.refresh_from_db(
            from_queryset=RepublicationRequest.objects.select_for_update(
                of=("self",)
            ).select_related("article", "invoice")
        )

    def _move(
        self, transition: str, *, to: str, actor: User | None, note: str, **fields: Any
    ) -> None:
        """Check and apply one transition to this locked row, and record it."""
        if not self.allows(transition):
            raise TransitionNotAllowed(
                f"Cannot {transition.replace('_', ' ')} request {self.reference}: it is now "
                f"“{self.get_status_display()}”."
            )
        now = timezone.now()
        from_status = self.status
        self.status = to
        self.waiting_on = WAITING_BY_STATUS.get(RequestStatus(to), WaitingOn.NOBODY)
        self.waiting_since = now
        if actor is not None and self.first_response_at is None:
            self.first_response_at = now
        for name, value in fields.items():
            setattr(self, name, value)
        # The columns a transition writes; the others are as read under the lock.
        self.save(
            update_fields=[
                "status",
                "waiting_on",
                "waiting_since",
                "first_response_at",
                "updated_at",
                *fields,
            ]
        )
        self.status_changes.create(
            from_status=from_status, to_status=to, actor=actor, note=note, created_at=now
        )
        # Numbers and ids only: the note and the people stay in the database.
        logger.info(
            "Request %s: %s -> %s (%s)",
            self.reference,
            from_status,
            to,
            transition,
            extra=reference_fields(
                request_reference=self.reference,
                invoice_number=self.invoice.number if self.invoice else None,
                # Only a request that has been licensed has a licence.
                licence_number=(
                    Licence.objects.filter(request=self).values_list("number", flat=True).first()
                    if from_status in {RequestStatus.LICENSED, RequestStatus.REVOKED}
                    else None
                ),
                from_status=from_status,
                to_status=to,
                actor_id=actor.pk if actor else None,
            ),
        )

    def approve(
        self,
        *,
        actor: User | None,
        fee_minor: int,
        currency: str,
        validity_days: int,
        note: str = "",
        scope: Scope | None = None,
    ) -> None:
        """Approve at a fee: a quote to pay, or at once licensed when the fee is zero.

        `scope`: what is granted, when the desk narrows what was asked (never wider);
        None grants what was asked. The licence and the invoice line carry it.
        """
        if fee_minor < 0:
            raise ValueError("A fee cannot be negative.")
        if currency not in settings.PORTAL_CURRENCIES:
            raise ValueError(f"Currency {currency} is not accepted.")
        with transaction.atomic():
            self._lock()
            # Before anything is written: without the month's rate nothing changes.
            self.check_exchange_rate(fee_minor=fee_minor, currency=currency)
            granted = self._grant(scope)
            for name, value in granted.items():
                setattr(self, name, value)
            narrowed = "; ".join(
                f"{c.label}: {c.asked} → {c.granted}" for c in self.scope_changes(language="en")
            )
            valid_until = timezone.localdate() + timedelta(days=validity_days)
            if fee_minor == 0:
                note = note or "Approved with a zero fee, deliberately: no invoice."
                to = RequestStatus.LICENSED
            else:
                # The audit trail is English, whoever's language is active.
                fee = format_money(fee_minor, currency, language="en")
                note = note or f"Approved at {fee} (net of VAT)."
                to = RequestStatus.AWAITING_PAYMENT
            if narrowed:
                note = f"{note} Scope narrowed: {narrowed}."
            self._move(
                "approve",
                to=to,
                actor=actor,
                note=note,
                fee_minor=fee_minor,
                currency=currency,
                quote_valid_until=valid_until if fee_minor else None,
                decided_at=timezone.now(),
                **granted,
            )
            if not self.article.in_catalogue:
                # Approving is the desk's word that the article is ours: list it.
                Article.objects.filter(pk=self.article_id).update(in_catalogue=True)
                self.article.in_catalogue = True
            if not fee_minor:
                Licence.issue(self)
                return
            # Inside this transaction: a failed approval leaves no invoice
            # and gives its number back.
            self.invoice = Invoice.issue(
                reference=self.reference,
                description=self.invoice_description(),
                buyer=Buyer(
                    name=self.outlet_name,
                    contact=self.contact_name,
                    email=self.email,
                    country=str(self.country),
                    vat_number=self.vat_number,
                    address=self.outlet_address,
                    purchase_order=self.purchase_order,
                    language=self.ui_language,
                ),
                amount_minor=fee_minor,
                currency=currency,
                due_on=valid_until,
                # The licence starts then: the date of supply.
                supplied_on=max(self.start_date, timezone.localdate()),
            )
            self.save(update_fields=["invoice", "updated_at"])
            # Free approvals get the licence email instead (Licence.issue queues it).
            signals.request_changed_on_commit(self, signals.RequestEvent.APPROVED)

    def check_exchange_rate(self, *, fee_minor: int, currency: str) -> None:
        """Raise ExchangeRateMissing when approving at this fee would issue a VAT invoice in
        another currency (a UK buyer) for a month without its rate to sterling."""
        vat = vat_for(country=str(self.country), vat_number=self.vat_number)
        sterling_rate_for(
            currency=currency, vat_minor=vat_amount(fee_minor, vat.rate), on=timezone.localdate()
        )

    # --- Amend, narrow, renew (issue 16) ---------------------------------

    @property
    def asked_scope(self) -> Scope:
        return Scope(
            territory=self.territory,
            duration=self.duration,
            extent=self.extent,
            word_count=self.word_count,
            include_images=self.include_images,
            edits=self.edits,
        )

    @property
    def scope_granted(self) -> bool:
        """Whether the desk has granted a scope (approved); else scope() is what was asked."""
        return bool(self.granted_territory)

    def scope(self) -> Scope:
        """What the licence grants: the approved scope, or what was asked before approval."""
        if not self.scope_granted:
            return self.asked_scope
        return Scope(
            territory=self.granted_territory,
            duration=self.granted_duration,
            extent=self.granted_extent,
            word_count=self.granted_word_count,
            include_images=bool(self.granted_include_images),
            edits=self.granted_edits,
        )

    def scope_changes(self, language: str | None = None) -> list[ScopeChange]:
        """How the granted scope differs from the asked one, in words (in `language`)."""
        return describe_scope_changes(
            self.asked_scope, self.scope(), country=self.country, language=language
        )

    def _grant(self, scope: Scope | None) -> dict[str, Any]:
        """The granted_ columns for approving `scope` (None: as asked); refuses a wider one."""
        scope = scope or self.asked_scope
        wider = scope.wider_than(self.asked_scope, article_words=self.article.word_count)
        if wider:
            raise ValueError(
                "The scope granted is wider than asked: "
                + "; ".join(f"{name}: {why}" for name, why in wider.items())
            )
        return {f"granted_{name}": getattr(scope, name) for name in SCOPE_FIELDS}

    def invoice_description(self) -> str:
        """The invoice line: the article, the request, and the scope granted (English)."""
        scope = self.scope()
        with translation.override("en"):
            parts = [
                str(self.get_media_display()),
                scope_words(scope, "territory", country=self.country),
                scope_words(scope, "extent", country=self.country),
                "with images" if scope.include_images else "text only",
                str(Duration(scope.duration).label),
            ]
        renewal = f", renewing {self.renews.number}" if self.renews_id and self.renews else ""
        return (
            f"Licence to republish “{self.article.title}” ({self.reference}{renewal}): "
            + ", ".join(parts)
        )

    def amend(self, *, details: dict[str, Any]) -> list[dict[str, str]]:
        """The requester changes what they asked, before the desk answers.

        Records each change (field, old, new: the desk's English words) on a
        history row that changes no status, the "Edited" marker; answers an
        open information request as a reply does; prices the request again
        on the rate card and tells the desk. Returns the changes: none, and
        nothing is written, when every value is as before.
        """
        with transaction.atomic():
            self._lock()
            if not self.allows("amend"):
                raise TransitionNotAllowed(
                    f"Request {self.reference} can no longer be edited: it is now "
                    f"“{self.get_status_display()}”."
                )
            before = {name: self._desk_words(name) for name in details}
            for name, value in details.items():
                setattr(self, name, value)
            suggestion = PriceRule.suggest_fee(self)
            self.suggested_fee_minor, self.suggested_currency = suggestion or (None, "")
            changes = [
                {"field": str(self._meta.get_field(name).verbose_name), "from": old, "to": new}  # type: ignore[union-attr]
                for name, old in before.items()
                if (new := self._desk_words(name)) != old
            ]
            if not changes:
                self.refresh_from_db()
                return []
            self.full_clean(exclude=["outlet", "renews"], validate_constraints=False)
            self.terms_accepted_at = timezone.now()
            self.save(
                update_fields=[
                    *details,
                    "suggested_fee_minor",
                    "suggested_currency",
                    "terms_accepted_at",
                    "updated_at",
                ]
            )
            note = "The requester edited the request."
            if self.allows("answer"):
                note = "The requester edited the request, answering the information request."
                self._move("answer", to=RequestStatus.SUBMITTED, actor=None, note=note)
            self.status_changes.create(
                from_status=self.status, to_status=self.status, note=note, changes=changes
            )
            if self.outlet_id:
                # The next request is prefilled with the details as corrected.
                Outlet.objects.filter(pk=self.outlet_id).update(
                    contact_name=self.contact_name,
                    name=self.outlet_name,
                    website=self.outlet_website,
                    outlet_type=self.outlet_type,
                    country=self.country,
                    audience_size=self.audience_size,
                    vat_number=self.vat_number,
                    address=self.outlet_address,
                )
            signals.request_changed_on_commit(self, signals.RequestEvent.EDITED)
        return changes

    def _desk_words(self, name: str) -> str:
        """A field's value as the desk reads it in a change: English, "—" for nothing."""
        value = getattr(self, name)
        with translation.override("en"):
            if name == "country":
                return str(getattr(self.country, "name", value)) if value else "—"
            if name == "start_date":
                return date_format(value, "j M Y") if value else "—"
            if name == "include_images":
                return "Yes" if value else "No"
            if getattr(self, f"get_{name}_display", None) and value:
                return str(getattr(self, f"get_{name}_display")())
        return "—" if value in (None, "") else str(value)

    @property
    def amendable(self) -> bool:
        """Whether the requester may still edit the request (the "Edit request" button)."""
        return self.allows("amend")

    @property
    def renewable(self) -> bool:
        """Whether the licence can be renewed now (the "Renew" button)."""
        return not self.renewal_refusal()

    @property
    def open_renewal(self) -> RepublicationRequest | None:
        """The renewal of this request's licence that stands (open or licensed), if any."""
        licence = Licence.objects.filter(request=self).first()
        if licence is None:
            return None
        return licence.renewals.filter(status__in=RENEWAL_HOLDING_STATUSES).first()

    def renewal_refusal(self) -> str:
        """Why this request's licence cannot be renewed now (translated), or '' if it can."""
        licence = Licence.objects.filter(request=self).first()
        if not self.allows("renew") or licence is None or licence.status == LicenceStatus.REVOKED:
            return _("Only a licensed request can be renewed; this one is “%(status)s”.") % {
                "status": self.get_status_display()
            }
        if licence.end_date is None:
            return str(_("This licence has no end date: there is nothing to renew."))
        if not self.article.republishable:
            return str(_("This article is no longer offered for republication."))
        return ""

    def renewal_start(self) -> date:
        """The first day of a renewal: the day after the licence ends, or today if it has."""
        end = self.licence.end_date
        today = timezone.localdate()
        return max(end + timedelta(days=1), today) if end else today

    def renewal_details(self) -> dict[str, Any]:
        """The form's values for a renewal: the same outlet, article and scope granted."""
        scope = self.scope()
        values: dict[str, Any] = {name: getattr(self, name) for name in RENEWED_FIELDS}
        values.update({name: getattr(scope, name) for name in SCOPE_FIELDS})
        values["start_date"] = self.renewal_start()
        return values

    @classmethod
    def renew(
        cls, licensed: RepublicationRequest, *, details: dict[str, Any], ui_language: str, by: User
    ) -> RepublicationRequest:
        """A new request renewing `licensed`'s licence, sent by its requester (`by`).

        It goes through submit() like any request (rate card, confirmation,
        auto-approval rules), linked to the licence it renews. A renewal that
        already stands for the licence is returned instead of a second one.
        """
        with transaction.atomic():
            licence = Licence.objects.select_for_update().get(request=licensed)
            existing = licensed.open_renewal
            if existing is not None:
                return existing
            if refusal := licensed.renewal_refusal():
                raise TransitionNotAllowed(refusal)
            return cls.submit(
                article=licensed.article,
                details=details,
                ui_language=ui_language,
                signed_in=by,
                renews=licence,
            )

    def decline(self, *, actor: User, reason: str) -> None:
        with transaction.atomic():
            self._lock()
            self._move(
                "decline",
                to=RequestStatus.DECLINED,
                actor=actor,
                note=reason,
                decline_reason=reason,
                decided_at=timezone.now(),
            )
            signals.request_changed_on_commit(self, signals.RequestEvent.DECLINED)

    def ask_for_information(self, *, actor: User, message: str) -> None:
        with transaction.atomic():
            self._lock()
            self._move(
                "ask_for_information", to=RequestStatus.INFO_REQUESTED, actor=actor, note=message
            )
            self.messages.create(author=actor, sender=Sender.STAFF, body=message)
            signals.request_changed_on_commit(self, signals.RequestEvent.INFORMATION_REQUESTED)

    def reply(self, *, body: str) -> None:
        """The requester writes; an answer to an information request hands it back to staff."""
        with transaction.atomic():
            self._lock()
            if not self.is_open:
                raise TransitionNotAllowed(
                    f"Request {self.reference} is closed (“{self.get_status_display()}”)."
                )
            if self.allows("answer"):
                self._move(
                    "answer", to=RequestStatus.SUBMITTED, actor=None, note="The requester replied."
                )
            self.messages.create(author=None, sender=Sender.REQUESTER, body=body)
            signals.request_changed_on_commit(self, signals.RequestEvent.REPLIED)

    def withdraw(self, *, actor: User | None = None, note: str = "") -> None:
        """The requester withdraws, or staff cancel; an unpaid invoice is voided."""
        with transaction.atomic():
            self._lock()
            self._move(
                "withdraw",
                to=RequestStatus.WITHDRAWN,
                actor=actor,
                note=note or ("Cancelled by staff." if actor else "Withdrawn by the requester."),
            )
            self._void_open_invoice(reason=f"Request {self.reference} withdrawn.")
            if actor is not None:
                # Cancelled by our desk: the requester, who may hold an unpaid
                # invoice, learns why and that it is cancelled. A requester who
                # withdrew has just seen it done on the page.
                signals.request_changed_on_commit(self, signals.RequestEvent.CANCELLED)

    def expire(self) -> None:
        """The quote's validity passed unpaid: the request expires, its invoice is voided."""
        with transaction.atomic():
            self._lock()
            if self.invoice is not None and self.invoice.status == InvoiceStatus.PAID:
                raise TransitionNotAllowed(
                    f"Request {self.reference} is paid: its quote no longer expires."
                )
            self._move(
                "expire",
                to=RequestStatus.QUOTE_EXPIRED,
                actor=None,
                note=f"Quote expired unpaid on {self.quote_valid_until}.",
            )
            self._void_open_invoice(reason=f"Quote for {self.reference} expired unpaid.")
            signals.request_changed_on_commit(self, signals.RequestEvent.QUOTE_EXPIRED)

    def mark_licensed(self, *, note: str) -> bool:
        """Payment arrived: awaiting_payment becomes licensed, once, with its licence.

        Returns False, changing nothing, when the request is already licensed,
        so repeated payment notifications are harmless.
        """
        with transaction.atomic():
            self._lock()
            if self.status == RequestStatus.LICENSED:
                return False
            self._move("mark_licensed", to=RequestStatus.LICENSED, actor=None, note=note)
            Licence.issue(self)
        return True

    def revoke(self, *, actor: User, reason: str) -> None:
        """Withdraw a granted licence; verification says so from now on."""
        with transaction.atomic():
            self._lock()
            self._move("revoke", to=RequestStatus.REVOKED, actor=actor, note=reason)
            self.licence.revoke(actor=actor, reason=reason)

    def _void_open_invoice(self, *, reason: str) -> None:
        if self.invoice is None or self.invoice.status == InvoiceStatus.VOID:
            return
        if self.invoice.status == InvoiceStatus.PAID:
            # Paid, and licensed in the payment's transaction: the payment wins.
            raise TransitionNotAllowed(
                f"Request {self.reference} has just been paid; it can no longer be cancelled."
            )
        try:
            self.invoice.void(reason=reason)
        except InvoiceStateError as error:
            raise TransitionNotAllowed(
                f"Request {self.reference} has just been paid; it can no longer be cancelled."
            ) from error

    def assign(self, *, actor: User, assignee: User | None) -> None:
        with transaction.atomic():
            self._lock()
            self.assignee = assignee
            self.save(update_fields=["assignee", "updated_at"])
            who = assignee.get_username() if assignee else "nobody"
            self.messages.create(
                author=actor, sender=Sender.STAFF, internal=True, body=f"Assigned to {who}."
            )

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

    def is_overdue(self, cutoff: datetime) -> bool:
        """Waiting on our desk since before `cutoff` (see overdue_cutoff()): the
        one test behind the desk's marker and the CSV's column, and the row-level
        twin of RequestQuerySet.overdue()."""
        return self.status in STAFF_TURN and self.waiting_since < cutoff

    fee_display = MoneyDisplay("fee_minor")
    suggested_fee_display = MoneyDisplay("suggested_fee_minor", "suggested_currency")

    @cached_property
    def cancellation(self) -> StatusChange | None:
        """The history row of our desk cancelling this request (a takedown's too);
        None while open, or when the requester withdrew it themselves."""
        if self.status != RequestStatus.WITHDRAWN:
            return None
        # .all(), not .filter(): a list of requests prefetches their history once.
        withdrawn = max(
            (c for c in self.status_changes.all() if c.to_status == RequestStatus.WITHDRAWN),
            key=lambda change: change.pk,
            default=None,
        )
        return withdrawn if withdrawn is not None and withdrawn.actor_id is not None else None

    def public_messages(self) -> models.QuerySet[Message]:
        return self.messages.filter(internal=False)


def is_staff_account(user: User) -> bool:
    """Staff and superusers sign in with a password; they are never a requester."""
    return bool(user.is_staff or user.is_superuser)


def staff_address(email: str) -> bool:
    """Whether the address belongs to a staff or superuser account."""
    return (
        get_user_model()
        .objects.filter(models.Q(is_staff=True) | models.Q(is_superuser=True))
        .filter(models.Q(email__iexact=email.strip()) | models.Q(username__iexact=email.strip()))
        .exists()
    )


def requester_account(email: str) -> User | None:
    """The requester's account for this email (created on first confirmed request).

    None for a staff address: typing a colleague's address on the public form
    never makes them a requester, and no requester link ever signs them in.
    """
    user_model = get_user_model()
    email = email.strip().lower()
    if staff_address(email):
        return None
    # Usernames hold 150 characters, emails 254: a long address gets a name
    # derived from all of it, so two long addresses never share an account.
    username = (
        email if len(email) <= 150 else f"requester-{hashlib.sha256(email.encode()).hexdigest()}"
    )
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return None if is_staff_account(user) else user


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

    fee_display = MoneyDisplay("fee_minor")

    def clean(self) -> None:
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

    @classmethod
    def best_for(cls, request: RepublicationRequest) -> Self | None:
        """The active rule that matches `request` (RULE_HELP says which wins), or None.

        Rules are few (tens), so they are read whole and matched here in Python,
        which keeps "most specific wins" in one readable place.
        """
        matching = [
            rule for rule in cls._default_manager.filter(active=True) if rule.matches(request)
        ]
        if not matching:
            return None
        return min(matching, key=lambda rule: (-rule.specificity, rule.fee_minor, rule.pk))


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

    @classmethod
    def suggest_fee(cls, request: RepublicationRequest) -> tuple[int, str] | None:
        """(fee in minor units, currency) from the rate card, or None if no rule matches."""
        rule = cls.best_for(request)
        return (rule.fee_minor, rule.currency) if rule else None


class AutoApprovalRule(RuleConditions):
    """Requests matching an active rule are approved at once at its fee, with no reviewer."""

    class Meta:
        ordering = ["name"]
        verbose_name = "auto-approval rule"


class HistoryRow(models.Model):
    """One line of an audit trail: who made a change (nobody: the requester or the system),
    why, and when."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    @property
    def actor_label(self) -> str:
        user: User | None = self.actor
        return user.get_username() if user else "requester or system"


class StatusChange(HistoryRow):
    """The audit trail of a request: every transition, who made it and why."""

    request = models.ForeignKey(
        RepublicationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=RequestStatus, blank=True)
    to_status = models.CharField(max_length=20, choices=RequestStatus)
    # An edit by the requester (from_status == to_status): [{"field", "from", "to"}, ...].
    changes = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '-'} -> {self.to_status}"

    @property
    def is_edit(self) -> bool:
        return self.from_status == self.to_status


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    # Ended by a takedown (licensing.notices): no fault of the licensee's, unlike a revocation.
    WITHDRAWN = "withdrawn", _("Withdrawn by the publisher")


class LicenceStateError(TransitionNotAllowed):
    """The licence's current status does not allow this change."""


class LicenceState(models.TextChoices):
    """What a licence allows today: its status read against its dates."""

    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn by the publisher")


def attribution_line(*, publisher: str, number: str, language: str) -> str:
    """The line the licensee prints, in the language they publish in (en, ar, fr; else en)."""
    with translation.override(attribution_language(language)):
        return gettext(
            "This article was originally published by %(publisher)s and is republished "
            "under licence %(number)s."
        ) % {"publisher": publisher, "number": number}


# The languages an attribution line is written in; any other publication gets English.
ATTRIBUTION_LANGUAGES = {"en", "ar", "fr"}


def attribution_language(language: str) -> str:
    return language if language in ATTRIBUTION_LANGUAGES else "en"


class Licence(StoredPdf):
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
    end_date = models.DateField(
        null=True, blank=True, help_text="The last day included. Empty: perpetual."
    )
    attribution = models.TextField()
    fee_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    invoice_number = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    expired_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)
    # The day a takedown's grace period ended and the licence with it.
    withdrawn_on = models.DateField(null=True, blank=True)
    # SHA-256 (hex) of the certificate that signed the stored PDF; '' when unsigned.
    signing_certificate_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["status", "end_date"], name="licence_expiry_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=LicenceStatus.values), name="licence_status_valid"
            ),
            # The date of each ending is kept with it, and only with it.
            models.CheckConstraint(
                condition=models.Q(status=LicenceStatus.REVOKED, revoked_at__isnull=False)
                | (~models.Q(status=LicenceStatus.REVOKED) & models.Q(revoked_at__isnull=True)),
                name="licence_revoked_at_when_revoked",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LicenceStatus.EXPIRED)
                | models.Q(expired_on__isnull=False),
                name="licence_expired_on_when_expired",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=LicenceStatus.WITHDRAWN)
                | models.Q(withdrawn_on__isnull=False),
                name="licence_withdrawn_on_when_withdrawn",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("licensing:verify", args=[self.number])

    @property
    def territory_words(self) -> str:
        return territory_words(self.territory, self.licensee_country)

    @property
    def verify_url(self) -> str:
        return settings.PORTAL_BASE_URL + self.get_absolute_url()

    @property
    def fee_display(self) -> str:
        return format_money(self.fee_minor, self.currency) if self.currency else ""

    @property
    def attribution_lang(self) -> str:
        """The language the attribution line is written in: the publication's, or English."""
        return attribution_language(self.language)

    @property
    def single_country(self) -> bool:
        """Granted for the licensee's own country only (ODRL names it by its ISO code)."""
        return self.territory == Territory.SINGLE_COUNTRY

    @property
    def word_limit(self) -> int | None:
        """The most words that may be republished, for an excerpt; None for the whole article."""
        return self.word_count if self.extent == Extent.EXCERPT and self.word_count else None

    @property
    def attribution_language_name(self) -> str:
        """The language the attribution line is in, by name ("French"), in the active language."""
        return str(Language(attribution_language(self.language)).label)

    @property
    def attribution_html(self) -> str:
        """The snippet the licensee pastes beside the republished article, in their language."""
        language = attribution_language(self.language)
        with translation.override(language):
            return str(
                format_html(
                    '<p class="republished-licence" lang="{}" dir="{}">{} <a href="{}">{}</a></p>',
                    language,
                    "rtl" if language == "ar" else "ltr",
                    self.attribution,
                    self.article_url,
                    _("Read the original article."),
                )
            )

    def verification_state(self, today: date | None = None) -> str:
        """What /verify/ says: not yet valid, valid, expired (before the daily job too), revoked."""
        today = today or timezone.localdate()
        if self.status == LicenceStatus.REVOKED:
            return LicenceState.REVOKED
        if self.status == LicenceStatus.WITHDRAWN:
            return LicenceState.WITHDRAWN
        if self.status == LicenceStatus.EXPIRED or (self.end_date and self.end_date < today):
            return LicenceState.EXPIRED
        if self.start_date > today:
            return LicenceState.NOT_YET_VALID
        return LicenceState.VALID

    @property
    def state(self) -> str:
        return self.verification_state()

    @property
    def validity_words(self) -> str:
        """ "From 10 December 2026 until and including 9 December 2027", or perpetual."""
        start = format_day(self.start_date)
        if self.end_date is None:
            return _("From %(start)s, perpetual") % {"start": start}
        return _("From %(start)s until and including %(end)s") % {
            "start": start,
            "end": format_day(self.end_date),
        }

    @classmethod
    def issue(cls, request: RepublicationRequest) -> Licence:
        """The licence for a request that has just become licensed; exactly one per request.

        Runs inside the transition's transaction; the PDF is rendered after commit.
        """
        if existing := cls.objects.filter(request=request).first():
            return existing
        today = timezone.localdate()
        start = max(request.start_date, today)
        # What the desk granted, which may be narrower than what was asked.
        scope = request.scope()
        months = Duration(scope.duration).months
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
            territory=scope.territory,
            extent=scope.extent,
            word_count=scope.word_count,
            include_images=scope.include_images,
            edits_allowed=scope.edits,
            start_date=start,
            # The last day included: a year from 10 December 2026 ends on 9 December 2027.
            end_date=start + relativedelta(months=months) - timedelta(days=1) if months else None,
            attribution=attribution_line(
                publisher=publisher, number=number, language=request.language
            ),
            fee_minor=request.fee_minor or 0,
            currency=request.currency,
            invoice_number=request.invoice.number if request.invoice else "",
        )
        # Field checks only: the request is the locked row itself, its country was
        # checked when it was submitted, and the unique columns and status
        # constraints are the database's to enforce.
        licence.full_clean(
            exclude=["pdf", "request", "licensee_country"],
            validate_unique=False,
            validate_constraints=False,
        )
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
        signals.licence_changed_on_commit(signals.licence_issued, licence)
        return licence

    # Which statuses each change may start from. A revoked licence stays revoked;
    # an expired or withdrawn one can still be revoked (a licence obtained by fraud).
    TRANSITIONS: ClassVar[dict[str, frozenset[str]]] = {
        "expire": frozenset({LicenceStatus.VALID}),
        "revoke": frozenset({LicenceStatus.VALID, LicenceStatus.EXPIRED, LicenceStatus.WITHDRAWN}),
        # A takedown ends what still runs (or is yet to start); an ended licence stays as it ended.
        "withdraw": frozenset({LicenceStatus.VALID}),
    }

    def _move(
        self, transition: str, *, to: str, actor: User | None, note: str, **fields: Any
    ) -> None:
        """Check and apply one change to this locked row, and record it."""
        if self.status not in self.TRANSITIONS[transition]:
            raise LicenceStateError(
                f"Cannot {transition} licence {self.number}: it is {self.get_status_display()}."
            )
        from_status = self.status
        self.status = to
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", *fields])
        self.status_changes.create(from_status=from_status, to_status=to, actor=actor, note=note)
        logger.info(
            "Licence %s: %s -> %s",
            self.number,
            from_status,
            to,
            extra=reference_fields(
                licence_number=self.number, from_status=from_status, to_status=to
            ),
        )

    def expire(self, *, on: date) -> None:
        """The licence's end date has passed; the licensee is told after the commit."""
        with transaction.atomic():
            self._lock()
            self._move(
                "expire",
                to=LicenceStatus.EXPIRED,
                actor=None,
                note=f"Ended on {self.end_date}.",
                expired_on=on,
            )
            signals.licence_changed_on_commit(signals.licence_expired, self)

    def revoke(self, *, actor: User | None, reason: str) -> None:
        """Withdrawn by the publisher (RepublicationRequest.revoke); /verify/ says so."""
        with transaction.atomic():
            self._lock()
            self._move(
                "revoke",
                to=LicenceStatus.REVOKED,
                actor=actor,
                note=reason,
                revoked_at=timezone.now(),
                revoke_reason=reason,
            )
            signals.licence_changed_on_commit(signals.licence_revoked, self)

    def withdraw(self, *, on: date, note: str) -> None:
        """A takedown's grace period is over (licensing.notices): the licence ends as
        "Withdrawn by the publisher"; the licensee is told after the commit."""
        with transaction.atomic():
            self._lock()
            self._move(
                "withdraw", to=LicenceStatus.WITHDRAWN, actor=None, note=note, withdrawn_on=on
            )
            signals.licence_changed_on_commit(signals.licence_withdrawn, self)

    def render_pdf(self) -> bytes:
        """The laid-out licence, before its policy is attached and it is signed."""
        return render_licence_pdf(self)

    PDF_FOLDER = "licences"
    SAVED_WITH_PDF = ("signing_certificate_sha256",)

    def make_pdf(self, **options: str) -> bytes:
        """The licence as stored: laid out, its ODRL policy attached, signed when configured."""
        finished = finish_licence_pdf(
            self.render_pdf(),
            policy_json=licence_policy_json(self),
            signer_name=self.publisher_name,
            verify_url=self.verify_url,
        )
        self.signing_certificate_sha256 = finished.certificate_sha256
        return finished.data

    def status_words(self) -> str:
        """'Valid', 'Expired on 1 May 2027', 'Revoked on 3 June 2026', as /verify/ shows it."""
        if self.status == LicenceStatus.REVOKED and self.revoked_at:
            return _("Revoked on %(date)s") % {
                "date": format_day(timezone.localdate(self.revoked_at))
            }
        if self.status == LicenceStatus.WITHDRAWN and self.withdrawn_on:
            return _("Withdrawn by the publisher on %(date)s") % {
                "date": date_format(self.withdrawn_on, "j F Y")
            }
        state = self.verification_state()
        day = self.expired_on or self.end_date
        if state == LicenceState.EXPIRED and day is not None:
            return _("Expired on %(date)s") % {"date": format_day(day)}
        if state == LicenceState.NOT_YET_VALID:
            return _("Not yet valid: from %(date)s") % {"date": format_day(self.start_date)}
        return str(_("Valid"))


class LicenceStatusChange(HistoryRow):
    """The audit trail of a licence: it expired, was revoked or withdrawn, when and by whom."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=LicenceStatus)
    to_status = models.CharField(max_length=10, choices=LicenceStatus)

    def __str__(self) -> str:
        return f"{self.licence_id}: {self.from_status} -> {self.to_status}"


# --- Renewal reminders (issue 16) ---------------------------------------------

# How many days before a licence ends its licensee is reminded: each once.
LICENCE_REMINDER_DAYS = (30, 7)


class LicenceReminder(models.Model):
    """A reminder sent to a licensee before the licence ends: one row per licence and
    lead time, so the daily job never sends the same reminder twice."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "days_before"], name="one_reminder_per_licence_and_lead"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_id}: {self.days_before} days before"

    @classmethod
    def due(cls, *, today: date, days_before: int) -> list[Licence]:
        """Valid licences ending within `days_before` days (but not within the next, shorter
        lead time's), not yet reminded at this or a shorter lead time, not being renewed,
        issued before the day of this reminder."""
        shorter = [d for d in LICENCE_REMINDER_DAYS if d < days_before]
        licences = Licence.objects.filter(
            status=LicenceStatus.VALID,
            end_date__gte=today,
            end_date__lte=today + timedelta(days=days_before),
        )
        if shorter:
            licences = licences.filter(end_date__gt=today + timedelta(days=max(shorter)))
        licences = (
            licences.exclude(reminders__days_before__lte=days_before)
            .exclude(renewals__status__in=RENEWAL_HOLDING_STATUSES)
            .select_related("request")
            .order_by("end_date", "pk")
        )
        # A reminder "30 days before" belongs to the licences issued before that day:
        # a licence is not followed, the day it arrives, by a reminder that it ends
        # (few rows: read, then checked here).
        return [
            licence
            for licence in licences
            if licence.end_date is not None
            and timezone.localdate(licence.issued_at)
            < licence.end_date - timedelta(days=days_before)
        ]


# Corrections and takedowns live in their own module; imported here so Django
# registers their models with this app.
from licensing.notices import ArticleNotice, LicenceNotice  # noqa: E402, F401
