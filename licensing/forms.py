"""The public republication request form and the catalogue search box."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from stdnum import get_cc_module
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumValidationError

from billing.models import ExchangeRateMissing
from licensing.models import (
    DESK_TABS,
    MAX_ADDRESS_LENGTH,
    MAX_AUDIENCE_SIZE,
    MAX_LONG_TEXT_LENGTH,
    MAX_WORD_COUNT,
    RENEWED_FIELDS,
    SCOPE_FIELDS,
    Article,
    DeskTab,
    Duration,
    Extent,
    Language,
    Medium,
    OutletType,
    RepublicationRequest,
    RequestStatus,
    Scope,
    Territory,
    territory_words,
)
from licensing.notices import TakedownReason
from portal.money import currency_choices, to_minor

if TYPE_CHECKING:
    from django_stubs_ext import (
        StrOrPromise,  # typing only: a dev dependency
        StrPromise,  # a development dependency: types only
    )

logger = logging.getLogger(__name__)

# Requests further ahead than this are almost always a mistyped year.
MAX_START_DAYS_AHEAD = 730


class ArticleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search articles by title"), required=False, max_length=200)
    language = forms.ChoiceField(
        label=_("Language of the article"),
        choices=[("", _("Any language")), *Language.choices],
        required=False,
    )


def normalise_vat_number(*, country: str, number: str) -> str:
    """Return the compact VAT number, or raise ValidationError if python-stdnum rejects it.

    Countries python-stdnum has no VAT module for are accepted as typed
    (letters and digits only), because we cannot check them offline.
    """
    module = get_cc_module(country.lower(), "vat") if country else None
    if module is None:
        compact = "".join(ch for ch in number if ch.isalnum()).upper()
        if not 4 <= len(compact) <= 20:
            raise forms.ValidationError(_("Enter the VAT number as it appears on your invoices."))
        return compact
    try:
        return str(module.validate(number))
    except StdnumValidationError as error:
        # python-stdnum's own text is English: its error class says what is wrong.
        message = next(
            (text for kind, text in VAT_NUMBER_ERRORS if isinstance(error, kind)),
            _("This is not a valid VAT number for the country you chose."),
        )
        raise forms.ValidationError(message) from error


# What each python-stdnum error means for the requester, in their language.
VAT_NUMBER_ERRORS: tuple[tuple[type[StdnumValidationError], StrPromise], ...] = (
    (
        InvalidLength,
        _(
            "This is not a valid VAT number for the country you chose: "
            "it has too many or too few characters."
        ),
    ),
    (
        InvalidChecksum,
        _(
            "This is not a valid VAT number for the country you chose: "
            "its check digits do not match, perhaps because of a typing mistake."
        ),
    ),
    (
        InvalidFormat,
        _(
            "This is not a valid VAT number for the country you chose: "
            "it is not written the way that country writes them."
        ),
    ),
    (
        InvalidComponent,
        _(
            "This is not a valid VAT number for the country you chose: "
            "part of it, such as the country prefix, does not fit."
        ),
    ),
)


@lru_cache(maxsize=64)
def _options_html(choices: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...]:
    """Each choice's value with its <option> markup, unchosen and chosen (escaped)."""
    return tuple(
        (
            value,
            format_html('<option value="{}">{}</option>', value, label),
            format_html('<option value="{}" selected>{}</option>', value, label),
        )
        for value, label in choices
    )


class PrintedOptionsSelect(forms.Select):
    """A <select> whose options are written in Python, once per set of choices.

    Django renders every <option> through two template includes: with ~250
    countries that was half of the request form page's time. The markup of
    the options depends only on the choices, whose labels are already
    translated (so each language has its own entry); the chosen value is
    marked at each render. Same HTML as Django's select template.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        if self.allow_multiple_selected or any(
            isinstance(label, (list, tuple)) for _value, label in self.choices
        ):
            return super().render(name, value, attrs, renderer)  # groups: Django's own way
        final_attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        options = []
        for option_value, plain, selected in _options_html(
            tuple((str(v), str(label)) for v, label in self.choices)
        ):
            if option_value in chosen:
                chosen = set()  # only the first match, as Django's Select does
                options.append(selected)
            else:
                options.append(plain)
        opening = format_html(
            '<select name="{}"{}>',
            name,
            mark_safe(  # noqa: S308 (every name and value is escaped by format_html)
                "".join(
                    format_html(" {}", key) if val is True else format_html(' {}="{}"', key, val)
                    for key, val in final_attrs.items()
                    if val is not False
                )
            ),
        )
        return mark_safe(  # noqa: S308 (escaped above, option by option)
            opening + "".join(f"\n  {option}" for option in options) + "\n</select>"
        )


def long_text(
    label: StrOrPromise, *, rows: int, required: bool = True, help_text: StrOrPromise = ""
) -> forms.CharField:
    """A text box for up to MAX_LONG_TEXT_LENGTH characters, the limit also told to the browser."""
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=MAX_LONG_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": MAX_LONG_TEXT_LENGTH}),
    )


def web_address(label: StrOrPromise, *, help_text: StrOrPromise = "") -> forms.URLField:
    """An http(s) address; one typed without its scheme is taken as https."""
    return forms.URLField(
        label=label,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=help_text,
    )


class NeverFilledInput(forms.TextInput):
    """A text input that never shows a value back, so a re-shown form arrives empty."""

    def format_value(self, value: Any) -> None:
        return None


# The honeypot: a field people never see (.form-extra in portal.css hides it;
# screen readers read its label, which asks to leave it empty) but form-filling
# bots do. Its name is no contract field and sounds worth filling in.
HONEYPOT_FIELD = "homepage"


class RepublicationRequestForm(forms.ModelForm):
    outlet_website = web_address(
        _("Outlet website"),
        help_text=_("The address where readers will find the republished article."),
    )
    audience_size = forms.IntegerField(
        label=_("Audience size (readers, viewers or listeners per month)"),
        min_value=1,
        max_value=MAX_AUDIENCE_SIZE,
        error_messages={
            "min_value": _("Enter an audience of at least 1."),
            "max_value": _(
                "That is more than the world's population: enter readers per month, "
                "less than or equal to %(limit_value)s."
            ),
        },
    )
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=500,
        widget=NeverFilledInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    accept_terms = forms.BooleanField(
        label=_(
            "I accept the republishing terms: credit the original publisher, link back to the "
            "original, make no edits beyond those approved, and take the article down on request."
        ),
        error_messages={"required": _("You must accept the terms to send a request.")},
    )

    class Meta:
        model = RepublicationRequest
        fields = [
            *RENEWED_FIELDS,
            "territory",
            "start_date",
            "duration",
            "extent",
            "word_count",
            "include_images",
            "edits",
            "notes",
        ]
        labels = {
            "contact_name": _("Your name"),
            "email": _("Email address"),
            "outlet_name": _("Outlet name"),
            "outlet_type": _("Type of outlet"),
            "country": _("Country of the outlet"),
            "vat_number": _("VAT number (optional)"),
            "outlet_address": _("Postal address for the invoice"),
            "purchase_order": _("Purchase order or reference (optional)"),
            "media": _("Medium"),
            "language": _("Language of publication"),
            "territory": _("Territory"),
            "start_date": _("First publication date"),
            "duration": _("Duration"),
            "extent": _("Full text or excerpt"),
            "word_count": _("Number of words (excerpts only)"),
            "include_images": _("I also want to use the article's images"),
            "edits": _("Planned edits or translation"),
            "notes": _("Anything else we should know"),
        }
        help_texts = {
            "email": _("We send the answer and the documents here."),
            "vat_number": _("EU businesses: give it to have VAT reverse-charged."),
            "purchase_order": _("Printed on the invoice, for your accounts team."),
            "word_count": _("Leave empty for a full-text request."),
            "edits": _("For example: headline change, cuts for length, translation into French."),
        }
        widgets = {
            "outlet_type": PrintedOptionsSelect,
            "country": PrintedOptionsSelect,
            "media": PrintedOptionsSelect,
            "language": PrintedOptionsSelect,
            "territory": PrintedOptionsSelect,
            "duration": PrintedOptionsSelect,
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "extent": forms.RadioSelect,
            "edits": forms.Textarea(attrs={"rows": 3}),
            "outlet_address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, article: Article, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.article = article
        # Values given to show (a requester's outlet, a form re-shown as typed).
        self.initial_given = bool(kwargs.get("initial"))
        self.fields["country"].choices = [  # type: ignore[attr-defined]
            ("", _("- Select a country -")),
            *list(self.fields["country"].choices)[1:],  # type: ignore[attr-defined]
        ]
        # Django's own Arabic catalogue lacks its new empty-choice label: ours has it.
        for name in ("outlet_type", "media", "language", "territory", "duration"):
            self.fields[name].choices = [  # type: ignore[attr-defined]
                ("", _("- Select an option -")),
                *list(self.fields[name].choices)[1:],  # type: ignore[attr-defined]
            ]
        self.fields["start_date"].initial = timezone.localdate()
        self.fields["extent"].initial = Extent.FULL_TEXT
        # A radio group needs no empty "---------" option.
        self.fields["extent"].choices = Extent.choices  # type: ignore[attr-defined]
        self.fields["word_count"].widget.attrs.update({"min": 1})
        # The limit grouped as the reader writes numbers ("8 500 000 000"):
        # Django would print the validator's bare integer.
        self.fields["audience_size"].error_messages["max_value"] = gettext(
            "That is more than the world's population: enter readers per month, "
            "less than or equal to %(limit_value)s."
        ) % {"limit_value": number_format(MAX_AUDIENCE_SIZE, force_grouping=True)}
        for name in ("edits", "notes"):
            self.fields[name].widget.attrs["maxlength"] = MAX_LONG_TEXT_LENGTH
        self.fields["accept_terms"].help_text = format_html(
            '<a href="{}">{}</a>', reverse("terms"), _("Read the full republishing terms")
        )
        self.fields["outlet_address"].widget.attrs["maxlength"] = MAX_ADDRESS_LENGTH
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["outlet_name"].widget.attrs["autocomplete"] = "organization"
        self.fields["outlet_website"].widget.attrs["autocomplete"] = "url"
        self.helper = FormHelper()
        # The <form> tag and its CSRF token are in the page template, so the
        # fields' markup is the same for every visitor and can be cached
        # (render_cache_key).
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # Our field is named "media", which crispy would otherwise print as
        # form media (a second, unlabelled Medium select).
        self.helper.include_media = False
        self.helper.layout = Layout(
            Fieldset(
                _("Who is asking"),
                _side_by_side("contact_name", "email"),
                _side_by_side("outlet_name", "outlet_website"),
                _side_by_side("outlet_type", "country"),
                _side_by_side("audience_size", "vat_number"),
                _side_by_side("outlet_address", "purchase_order"),
            ),
            Fieldset(
                _("How you want to republish"),
                _side_by_side("media", "language"),
                _side_by_side("territory", "duration"),
                _side_by_side("start_date"),
                _side_by_side("extent", "word_count"),
                "include_images",
                "edits",
                "notes",
            ),
            Fieldset(_("Terms"), Field("accept_terms")),
            Div(HONEYPOT_FIELD, css_class="form-extra"),
            HTML('{% include "licensing/_form_promise.html" %}'),
            Submit("submit", _("Send request"), css_class="btn-lg"),
        )

    @property
    def render_cache_key(self) -> str:
        """For the empty form nobody has typed in: its markup varies only with the
        language and the day (the start date's default). '' when it must be rendered."""
        if self.is_bound or self.initial_given:
            return ""
        return f"{get_language()}:{self.fields['start_date'].initial:%Y-%m-%d}"

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()

    def clean_outlet_address(self) -> str:
        """One address line a line, as printed on the invoice (browsers send CRLF)."""
        lines = str(self.cleaned_data["outlet_address"]).splitlines()
        return "\n".join(line.strip() for line in lines if line.strip())

    # The latest start date allowed, beyond MAX_START_DAYS_AHEAD (a renewal's own start).
    latest_start: date | None = None
    # A start date kept as it was may be in the past (an edit of an older request).
    kept_start: date | None = None

    def clean_start_date(self) -> date:
        start: date = self.cleaned_data["start_date"]
        today = timezone.localdate()
        if start == self.kept_start:
            return start
        if start < today:
            raise forms.ValidationError(_("The start date cannot be in the past."))
        latest = max(today + timedelta(days=MAX_START_DAYS_AHEAD), self.latest_start or today)
        if start > latest:
            raise forms.ValidationError(_("The start date must be within the next two years."))
        return start

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get(HONEYPOT_FIELD):
            # Refused like any invalid form (400, nothing saved, no email), not
            # faked as a success: a person whose browser autofilled the hidden
            # field sees why and sends again (it comes back empty), rather
            # than losing the request without a word.
            logger.info("Request form: the hidden field was filled in; not sent")
            self.add_error(
                None,
                _(
                    "Your browser filled in a field meant to stay empty. "
                    "Please check your details and send the request again."
                ),
            )
        extent, words = cleaned.get("extent"), cleaned.get("word_count")
        if extent == Extent.EXCERPT and words is None and "word_count" not in self.errors:
            self.add_error("word_count", _("Say how many words the excerpt will have."))
        elif extent == Extent.FULL_TEXT and words is not None:
            self.add_error(
                "word_count",
                _("Leave the word count empty for a full-text request, or choose excerpt."),
            )
        elif (
            extent == Extent.EXCERPT
            and words
            and self.article.word_count
            and words >= self.article.word_count
        ):
            self.add_error(
                "word_count",
                ngettext(
                    "An excerpt must be shorter than the article (%(count)s word).",
                    "An excerpt must be shorter than the article (%(count)s words).",
                    self.article.word_count,
                )
                % {"count": number_format(self.article.word_count, force_grouping=True)},
            )
        vat, country = cleaned.get("vat_number", "").strip(), cleaned.get("country")
        if vat and country:
            try:
                cleaned["vat_number"] = normalise_vat_number(country=str(country), number=vat)
            except forms.ValidationError as error:
                self.add_error("vat_number", error)
        return cleaned

    def request_details(self) -> dict[str, Any]:
        """The cleaned values as RepublicationRequest.submit() takes them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def _replace_submit(form: RepublicationRequestForm, label: Any) -> None:
    """The form's button says what sending does here (save the changes, ask to renew)."""
    layout = form.helper.layout
    for index, item in enumerate(layout.fields):
        if isinstance(item, Submit):
            layout.fields[index] = Submit("submit", label, css_class="btn-lg")


class AmendRequestForm(RepublicationRequestForm):
    """The request form again, prefilled, for its requester to change a request already sent.

    The address stays: it is who the request belongs to.
    """

    def __init__(self, *args: Any, req: RepublicationRequest, **kwargs: Any) -> None:
        # A form shown again as typed ("Update estimate") brings its own values.
        initial = kwargs.pop("initial", None) or {
            name: getattr(req, name) for name in self.Meta.fields
        }
        initial["email"] = req.email
        super().__init__(*args, article=req.article, initial=initial, **kwargs)
        self.fields["email"].disabled = True
        self.kept_start = req.start_date
        _replace_submit(self, _("Save changes"))

    def request_details(self) -> dict[str, Any]:
        details = super().request_details()
        details.pop("email")
        return details


class RenewRequestForm(RepublicationRequestForm):
    """The request form prefilled from a licensed request: the same article, outlet and
    scope granted, starting the day after the licence ends (all editable but the address)."""

    def __init__(self, *args: Any, req: RepublicationRequest, **kwargs: Any) -> None:
        initial = kwargs.pop("initial", None) or req.renewal_details()
        initial["email"] = req.email
        super().__init__(*args, article=req.article, initial=initial, **kwargs)
        self.fields["email"].disabled = True
        self.latest_start = req.renewal_start()
        _replace_submit(self, _("Send renewal request"))


class EstimateForm(forms.Form):
    """The fields the rate card looks at, all optional: the estimate sharpens as they fill."""

    outlet_type = forms.ChoiceField(choices=OutletType.choices, required=False)
    media = forms.ChoiceField(choices=Medium.choices, required=False)  # type: ignore[assignment]
    extent = forms.ChoiceField(choices=Extent.choices, required=False)
    territory = forms.ChoiceField(choices=Territory.choices, required=False)
    audience_size = forms.IntegerField(min_value=1, max_value=MAX_AUDIENCE_SIZE, required=False)

    def as_request(self) -> RepublicationRequest:
        """An unsaved request carrying what was chosen, for the pricing rules to match."""
        values = {
            name: (self.cleaned_data.get(name) if name not in self.errors else None)
            for name in self.fields
        }
        return RepublicationRequest(
            outlet_type=values["outlet_type"] or "",
            media=values["media"] or "",
            extent=values["extent"] or "",
            territory=values["territory"] or "",
            audience_size=values["audience_size"] or 0,
        )


# --- Staff ---------------------------------------------------------------


def _bootstrap(form: forms.Form) -> None:
    """Bootstrap's classes on each widget: the queue prints its fields without crispy."""
    for field in form.fields.values():
        widget = field.widget
        if not widget.is_hidden:
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = css


class QueueFilterForm(forms.Form):
    """The queue's tab, search and filters, read from the query string (GET)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="A reference, invoice, credit note or licence number, or any words "
        "of a name, email, outlet or title.",
    )
    # Empty: the waiting tab, or every request when searching or picking a status.
    tab = forms.ChoiceField(choices=DeskTab.choices, required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Status",
        choices=[
            ("", "Any status"),
            *(
                (value, label)
                for value, label in RequestStatus.choices
                if value in DESK_TABS["all"]
            ),
        ],
        required=False,
        widget=PrintedOptionsSelect,
    )
    # The desk's selects print their options in Python: through Django's
    # option templates the filters cost the queue page more than its 25 rows.
    outlet_type = forms.ChoiceField(
        label="Outlet type",
        choices=[("", "Any type"), *OutletType.choices],
        required=False,
        widget=PrintedOptionsSelect,
    )
    media = forms.ChoiceField(  # type: ignore[assignment]
        label="Medium",
        choices=[("", "Any medium"), *Medium.choices],
        required=False,
        widget=PrintedOptionsSelect,
    )
    assignee = forms.ChoiceField(label="Assignee", required=False, widget=PrintedOptionsSelect)
    created_from = forms.DateField(
        label="Received from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Received to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, reviewers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            ("me", "Assigned to me"),
            ("none", "Unassigned"),
            *reviewers,
        ]
        _bootstrap(self)

    def effective_tab(self) -> str:
        """The tab asked for; else all requests for a search or a status, else the waiting."""
        data = getattr(self, "cleaned_data", {})
        if data.get("tab"):
            return str(data["tab"])
        return DeskTab.ALL if data.get("q", "").strip() or data.get("status") else DeskTab.WAITING


# The largest id a database integer holds: a bigger one is a wrong choice, not a query.
MAX_ID = 2**63 - 1


def _out_of_range(values: Any) -> str | None:
    for value in values if isinstance(values, list | tuple) else [values]:
        text = str(value).strip()
        if text.isdigit() and int(text) > MAX_ID:
            return text
    return None


class IdsMultipleChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value: Any) -> Any:
        if (wrong := _out_of_range(value or [])) is not None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": wrong},
            )
        return super().clean(value)


class BulkAssignForm(forms.Form):
    """Requests ticked on the queue, and the reviewer (or nobody) to give them to.

    The reviewers are the queue's own list (one query for both forms); the
    chosen one is read again when the form is valid.
    """

    requests = IdsMultipleChoiceField(
        label="Requests",
        queryset=RepublicationRequest.objects.on_desk(),
        error_messages={"required": "Tick at least one request."},
    )
    assignee = forms.ChoiceField(
        label="Assign selected to", required=False, widget=PrintedOptionsSelect
    )

    def __init__(self, *args: Any, reviewers: list[tuple[str, str]], **kwargs: Any) -> None:
        # Its own ids: the queue's filter form above it has an "assignee" too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody"), *reviewers]  # type: ignore[attr-defined]
        _bootstrap(self)

    def clean_assignee(self) -> Any:
        chosen = self.cleaned_data["assignee"]
        return get_user_model().objects.get(pk=chosen) if chosen else None


class ApproveForm(forms.Form):
    fee = forms.DecimalField(
        label="Fee",
        min_value=Decimal(0),
        max_value=Decimal("1000000"),
        max_digits=9,
        decimal_places=2,
        help_text="Net of VAT. 0 approves free of charge (recorded as deliberate).",
    )
    currency = forms.ChoiceField(label="Currency")
    validity_days = forms.IntegerField(
        label="Quote valid for (days)", min_value=1, max_value=365, initial=30
    )
    # The scope granted (issue 16): prefilled with what was asked, never wider.
    # A field left out of the post grants what was asked for it.
    territory = forms.ChoiceField(label="Territory granted", choices=Territory.choices)
    duration = forms.ChoiceField(label="Duration granted", choices=Duration.choices)
    extent = forms.ChoiceField(label="Extent granted", choices=Extent.choices)
    word_count = forms.IntegerField(
        label="Words granted (excerpts only)",
        min_value=1,
        max_value=MAX_WORD_COUNT,
        required=False,
    )
    include_images = forms.NullBooleanField(
        label="Images granted",
        widget=forms.RadioSelect(choices=[("true", "Yes"), ("false", "No")]),
    )
    edits = long_text(
        "Edits or translation allowed",
        rows=2,
        required=False,
        help_text="As asked, shortened, or empty for none.",
    )

    def __init__(self, *args: Any, req: RepublicationRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()  # type: ignore[attr-defined]
        self.req = req
        for name in SCOPE_FIELDS:
            # Optional: a post that leaves one out grants what was asked.
            self.fields[name].required = False
        if req is None:
            return
        asked = req.asked_scope
        self.initial.update(
            {
                "territory": asked.territory,
                "duration": asked.duration,
                "extent": asked.extent,
                "word_count": asked.word_count,
                "include_images": "true" if asked.include_images else "false",
                "edits": asked.edits,
            }
        )
        # Offer only what is not wider than asked; a wider value posted anyway gets
        # a field error that says why (Scope.wider_than), not "not a valid choice".
        for name, choices in (
            ("territory", Territory.choices),
            ("duration", Duration.choices),
            ("extent", Extent.choices),
        ):
            self.fields[name].widget.choices = [
                (value, label)
                for value, label in choices
                if name not in _with(asked, name, value).wider_than(asked)
            ]
        self.fields["territory"].widget.choices = [
            (value, territory_words(value, req.country) if value == "country" else label)
            for value, label in self.fields["territory"].widget.choices
        ]
        if not asked.include_images:
            self.fields["include_images"].widget.choices = [("false", "No")]

    def granted_scope(self) -> Scope | None:
        """The scope to grant, from the valid form: each field left out as asked."""
        if self.req is None:
            return None
        asked, data = self.req.asked_scope, self.cleaned_data
        given = {name for name in SCOPE_FIELDS if name in self.data}

        def pick(name: str) -> Any:
            value = data.get(name)
            if name not in given or (value in (None, "") and name not in {"edits", "word_count"}):
                return getattr(asked, name)
            return value

        extent = pick("extent")
        words = data.get("word_count") if "word_count" in given else asked.word_count
        if extent == Extent.EXCERPT and words is None and asked.extent == Extent.EXCERPT:
            words = asked.word_count
        return Scope(
            territory=pick("territory"),
            duration=pick("duration"),
            extent=extent,
            word_count=words,
            include_images=bool(pick("include_images")),
            edits=str(pick("edits") or ""),
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.req is not None and cleaned.get("fee") and cleaned.get("currency"):
            # Said before "are you sure?": the invoice could not be issued without it.
            try:
                self.req.check_exchange_rate(
                    fee_minor=to_minor(cleaned["fee"]), currency=cleaned["currency"]
                )
            except ExchangeRateMissing as missing:
                self.add_error(None, missing)
        if self.req is None or any(name in self.errors for name in SCOPE_FIELDS):
            return cleaned
        scope = self.granted_scope()
        if scope is None:
            return cleaned
        for name, why in scope.wider_than(
            self.req.asked_scope, article_words=self.req.article.word_count
        ).items():
            self.add_error(name, why)
        return cleaned


def _with(scope: Scope, name: str, value: Any) -> Scope:
    """`scope` with one field changed (and an excerpt's length kept sensible)."""
    changed = replace(scope, **{name: value})
    if name == "extent" and value == Extent.FULL_TEXT:
        changed = replace(changed, word_count=None)
    if name == "extent" and value == Extent.EXCERPT and changed.word_count is None:
        changed = replace(changed, word_count=1)
    return changed


class ApproveUncataloguedForm(ApproveForm):
    """Approving a request for an article the catalogue lacked also adds the article."""

    confirm_article = forms.BooleanField(
        label="This is our article, at this address: add it to the catalogue",
        help_text="Check the address and the title the requester gave before approving.",
    )


class ArticleAddressForm(forms.Form):
    """An article of the publisher's own sites, named by its address, not yet in the catalogue."""

    url = web_address(_("Address of the article"))
    article_title = forms.CharField(
        label=_("Title of the article"),
        max_length=300,
        help_text=_("As it appears on our site; our desk checks it before approving."),
    )

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        if not on_publisher_site(url):
            raise forms.ValidationError(_("Give the address of an article on our own site."))
        return url


def _side_by_side(*fields: str) -> Row:
    """Fields in half-width columns, two to a row on a wide screen, stacked on a narrow one."""
    return Row(*(Column(name, css_class="col-md-6") for name in fields))


def on_publisher_site(url: str) -> bool:
    """Whether `url` is an http(s) address on one of PUBLISHER_DOMAINS (www. or not)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    return parts.scheme in {"http", "https"} and bool(host) and host in settings.PUBLISHER_DOMAINS


class DeclineForm(forms.Form):
    reason = long_text("Reason (sent to the requester)", rows=3)


class AskForInformationForm(forms.Form):
    message = long_text("Question for the requester", rows=3)


class InternalNoteForm(forms.Form):
    body = long_text("Internal note (never shown to the requester)", rows=2)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(  # type: ignore[var-annotated]
        label="Assign to", queryset=None, required=False, empty_label="Nobody"
    )

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = reviewers  # type: ignore[attr-defined]


# --- Requesters ----------------------------------------------------------


class ReplyForm(forms.Form):
    body = long_text(_("Your message"), rows=4)


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class VerifyForm(forms.Form):
    number = forms.RegexField(
        label=_("Licence number"),
        regex=r"^\s*[Ll][Ii][Cc]-\d{4}-\d{6}\s*$",
        max_length=30,
        help_text=_("As printed on the licence, for example LIC-2026-000042."),
        error_messages={"invalid": _("A licence number looks like LIC-2026-000042.")},
    )

    def clean_number(self) -> str:
        return str(self.cleaned_data["number"]).strip().upper()


# --- Corrections and takedowns (licensing.notices), on the desk's article page --------


class CorrectionForm(forms.Form):
    message = long_text("What changed (sent to every licensee, to reflect in their copy)", rows=4)


class TakedownForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason", choices=[("", "Choose a reason"), *TakedownReason.choices]
    )
    details = long_text("Details for the licensees (optional)", rows=3, required=False)
