"""The reviewers' desk: the queue at /staff/ (its CSV, bulk assignment) and one request."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Self

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST, require_safe

from billing.models import ExchangeRateMissing, Payment
from licensing.dashboard import cached_dashboard_markup
from licensing.forms import (
    ApproveForm,
    ApproveUncataloguedForm,
    AskForInformationForm,
    AssignForm,
    BulkAssignForm,
    DeclineForm,
    InternalNoteForm,
    QueueFilterForm,
)
from licensing.models import (
    DESK_ORDER,
    OPEN_STATUSES,
    DeskTab,
    PriceRule,
    RepublicationRequest,
    RequestQuerySet,
    RequestStatus,
    Scope,
    TransitionNotAllowed,
    describe_scope_changes,
)
from licensing.response_target import overdue_cutoff
from licensing.views.access import REVIEW_PERMISSION
from portal.access import permission_required_or_404
from portal.money import format_money, to_major, to_minor
from portal.pagination import COUNT_CAP, CappedPaginator, capped_count
from portal.spreadsheet import csv_response

QUEUE_PAGE_SIZE = 25
# The queue shows only what a row needs, so a million requests stay cheap.
QUEUE_COLUMNS = [
    "id",
    "reference",
    "status",
    "outlet_name",
    "outlet_type",
    "email",
    "media",
    "territory",
    "country",  # a single-country territory is shown as the country
    "suggested_fee_minor",
    "suggested_currency",
    "fee_minor",
    "currency",
    "decided_at",
    "waiting_on",
    "waiting_since",
    "created_at",
    "article__title",
    "article__slug",  # the row links the article's desk page
    "assignee__username",
    "renews__number",
]
CSV_HEADER = [
    "reference",
    "status",
    "received_at",
    "waiting_on",
    "waiting_since",
    "overdue",
    "contact_name",
    "email",
    "outlet_name",
    "outlet_type",
    "country",
    "article_title",
    "medium",
    "territory",
    "fee",
    "currency",
    "suggested_fee",
    "suggested_currency",
    "invoice_number",
    "licence_number",
    "assignee",
]


def reviewers() -> QuerySet[Any]:
    """Active users who may review: via a group, a direct permission, or superuser."""
    perm = Q(groups__permissions__codename="review_request") | Q(
        user_permissions__codename="review_request"
    )
    return (
        get_user_model()
        .objects.filter(perm | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("username")
    )


def reviewer_choices() -> list[tuple[str, str]]:
    return [(str(user.pk), user.get_username()) for user in reviewers()]


def _filter_form(request: HttpRequest, choices: list[tuple[str, str]]) -> QueueFilterForm:
    form = QueueFilterForm(request.GET, reviewers=choices)
    # A bad value shows as its field's error; the other filters still apply,
    # so the list never contradicts the filters displayed above it.
    form.is_valid()
    return form


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered_queue(request: HttpRequest, form: QueueFilterForm) -> RequestQuerySet:
    """The tab's requests narrowed by the form's filters and search, in no order yet."""
    data = form.cleaned_data
    queue = RepublicationRequest.objects.in_tab(form.effective_tab())
    for name in ("status", "outlet_type", "media"):
        if data.get(name):
            queue = queue.filter(**{name: data[name]})
    assignee = data.get("assignee")
    if assignee == "me":
        queue = queue.filter(assignee=request.user.pk)
    elif assignee == "none":
        queue = queue.filter(assignee__isnull=True)
    elif assignee:
        queue = queue.filter(assignee=assignee)
    # Local days as instants, so the created_at index serves the range.
    if data.get("created_from"):
        queue = queue.filter(created_at__gte=_start_of(data["created_from"]))
    if data.get("created_to"):
        queue = queue.filter(created_at__lt=_start_of(data["created_to"] + timedelta(days=1)))
    if query := data.get("q", "").strip():
        queue = queue.search(query)
    return queue


@dataclass(frozen=True, slots=True)
class DeskRow:
    """What one row of the desk shows, worked out here so the template only prints it.

    The desk's busiest page prints 25 of them: in the template, each value
    would go through variable lookups, filters and {% url %} tags.
    """

    pk: int
    reference: str
    url: str
    status: str
    replied: bool
    edited: bool
    renews: str  # the number of the licence this request renews, or ""
    article_title: str
    article_url: str
    outlet_name: str
    outlet_type: str
    medium: str
    territory: str
    fee: str  # the approved fee, else the rate card's while undecided, else ""
    suggested: bool
    created_iso: str
    created_full: str
    age: str
    turn: str
    overdue: bool
    assignee: str

    @classmethod
    def of(cls, req: RepublicationRequest, cutoff: datetime) -> Self:
        suggested = (
            req.fee_minor is None
            and req.is_open
            and not req.decided_at
            and req.suggested_fee_minor is not None
        )
        created = timezone.localtime(req.created_at)
        marked: Any = req  # the two markers are RequestQuerySet.with_markers() annotations
        return cls(
            pk=req.pk,
            reference=req.reference,
            url=reverse("licensing:staff_request", args=[req.pk]),
            status=req.status_label,
            replied=marked.requester_replied and req.is_open,
            edited=marked.edited,
            renews=req.renews.number if req.renews else "",
            article_title=Truncator(req.article.title).chars(70),
            article_url=reverse("licensing:staff_article", args=[req.article.slug]),
            outlet_name=req.outlet_name,
            outlet_type=req.outlet_type_label,
            medium=req.media_label,
            territory=req.territory_words,
            fee=req.fee_display if not suggested else req.suggested_fee_display,
            suggested=suggested,
            created_iso=created.isoformat(),
            created_full=date_format(created, "DATETIME_FORMAT"),
            age=timesince(req.created_at),
            turn=req.waiting_on,
            overdue=req.is_overdue(cutoff),
            assignee=req.assignee.username if req.assignee else "",
        )


def _desk_rows(requests: RequestQuerySet) -> RequestQuerySet:
    """What a row of the desk reads: the request's own columns, its article, its
    assignee, the licence it renews, and the two markers."""
    return (
        requests.select_related("article", "assignee", "renews").only(*QUEUE_COLUMNS).with_markers()
    )


def _queue_context(
    request: HttpRequest, choices: list[tuple[str, str]], bulk_form: BulkAssignForm | None = None
) -> dict[str, Any]:
    form = _filter_form(request, choices)
    queue = _filtered_queue(request, form)
    cutoff = overdue_cutoff()
    # Ranked by relevance when the matches are few enough to rank; a vaguer
    # search keeps the desk's order, which an index serves at any size.
    if "relevance" in queue.query.annotations:
        # A word search: its matches' ids, read in one scan of the trigram index,
        # are both the count and, when few enough to rank, what is ranked, so
        # the index is not scanned twice.
        ids = list(queue.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
        total = len(ids)
        ranked = total <= COUNT_CAP
    else:
        total = capped_count(queue, COUNT_CAP)
        ranked = False
    if ranked:
        # The matches are ranked on their own columns, and only the page's rows
        # are then read with their article, assignee and markers, rather than
        # joining every match before the sort keeps 25 of them.
        listed: QuerySet[Any] = (
            RepublicationRequest.objects.filter(pk__in=ids)
            .ranked(form.cleaned_data.get("q", ""))
            .order_by(F("relevance").desc(), *DESK_ORDER)
            .values_list("pk", flat=True)
        )
    else:
        listed = _desk_rows(queue.in_desk_order())
    paginator = CappedPaginator(listed, QUEUE_PAGE_SIZE, cap=COUNT_CAP, count=total)
    page = paginator.get_page(request.GET.get("page"))
    requests = list(page.object_list)
    if ranked:
        read = {
            req.pk: req for req in _desk_rows(RepublicationRequest.objects.filter(pk__in=requests))
        }
        requests = [read[pk] for pk in requests if pk in read]  # one deleted meanwhile is left out
    page.object_list = [DeskRow.of(req, cutoff) for req in requests]
    query = request.GET.copy()
    query.pop("page", None)
    tab = form.effective_tab()
    kept = query.copy()
    kept.pop("tab", None)
    return {
        "form": form,
        "page": page,
        "tab": tab,
        "tabs": [(value, label, kept.urlencode()) for value, label in DeskTab.choices],
        "counts": RepublicationRequest.objects.desk_counts(),
        "ranked": ranked,
        "target_days": settings.RESPONSE_TARGET_WORKING_DAYS,
        "querystring": query.urlencode(),
        "bulk_form": bulk_form or BulkAssignForm(reviewers=choices),
        "dashboard": cached_dashboard_markup(),
    }


@permission_required_or_404(REVIEW_PERMISSION)
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    return render(
        request, "licensing/staff/queue.html", _queue_context(request, reviewer_choices())
    )


def _csv_rows(requests: Iterable[RepublicationRequest], cutoff: datetime) -> Iterator[list[object]]:
    for req in requests:
        licence = getattr(req, "licence", None)
        yield [
            req.reference,
            req.get_status_display(),
            timezone.localtime(req.created_at).isoformat(),
            req.waiting_on,
            timezone.localtime(req.waiting_since).isoformat(),
            "yes" if req.is_overdue(cutoff) else "",
            req.contact_name,
            req.email,
            req.outlet_name,
            req.outlet_type,
            str(req.country),
            req.article.title,
            req.media,
            req.territory,
            f"{to_major(req.fee_minor):.2f}" if req.fee_minor is not None else "",
            req.currency,
            f"{to_major(req.suggested_fee_minor):.2f}"
            if req.suggested_fee_minor is not None
            else "",
            req.suggested_currency,
            req.invoice.number if req.invoice else "",
            licence.number if licence else "",
            req.assignee.username if req.assignee else "",
        ]


@permission_required_or_404(REVIEW_PERMISSION)
@require_safe
def queue_csv(request: HttpRequest) -> HttpResponseBase:
    """The queue as filtered on screen, every page of it, oldest first, streamed as it is read."""
    choices = reviewer_choices()
    form = _filter_form(request, choices)
    if form.errors:
        # A spreadsheet must hold exactly the set asked for, or nothing.
        context = _queue_context(request, choices)
        return render(request, "licensing/staff/queue.html", context, status=400)
    requests = (
        _filtered_queue(request, form)
        # In the order received: an export is read by date, and a range of
        # dates is then one walk along the created_at index (make bench).
        .order_by("created_at", "id")
        .select_related("article", "assignee", "invoice", "licence", "renews")
        .only(
            *QUEUE_COLUMNS,
            "contact_name",
            "country",
            "invoice__number",
            "licence__number",
        )
        .iterator(chunk_size=500)
    )
    filename = f"requests-{timezone.localdate().isoformat()}.csv"
    # The instant of the request: rows are written later, as the download is read.
    rows = _csv_rows(requests, overdue_cutoff())
    return csv_response(CSV_HEADER, rows, filename=filename)


@permission_required_or_404(REVIEW_PERMISSION)
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the ticked requests; the query string is the queue to go back to."""
    choices = reviewer_choices()
    form = BulkAssignForm(request.POST, reviewers=choices)
    if not form.is_valid():
        context = _queue_context(request, choices, bulk_form=form)
        return render(request, "licensing/staff/queue.html", context, status=400)
    assignee = form.cleaned_data["assignee"]
    references = RepublicationRequest.assign_many(
        form.cleaned_data["requests"],
        actor=request.user,  # type: ignore[arg-type]
        assignee=assignee,
    )
    who = assignee.get_username() if assignee else "nobody"
    messages.success(
        request, f"Assigned {len(references)} requests to {who}: {', '.join(references)}."
    )
    back = reverse("licensing:staff_queue")
    return redirect(f"{back}?{request.GET.urlencode()}" if request.GET else back)


def _action_forms(req: RepublicationRequest, data: Any = None, action: str = "") -> dict[str, Any]:
    """The forms the request's status allows; the one being posted is bound to the data."""
    allowed = {
        name: desk_action.form
        for name, desk_action in DESK_ACTIONS.items()
        if not desk_action.transition or req.allows(desk_action.transition)
    }
    # Cancel and decline each take a reason (never two on one page): a request
    # the desk has not yet answered is declined, a quote awaiting payment cancelled.
    if "decline" in allowed:
        allowed.pop("cancel", None)
    # An article outside the catalogue is confirmed as ours when approving.
    if "approve" in allowed and not req.article.in_catalogue:
        allowed["approve"] = ApproveUncataloguedForm
    if "approve" in allowed:
        # Prefilled with the scope asked, which the desk may narrow.
        allowed["approve"] = partial(allowed["approve"], req=req)
    initial: dict[str, dict[str, Any]] = {
        "approve": {
            "fee": to_major(req.suggested_fee_minor)
            if req.suggested_fee_minor is not None
            else None,
            "currency": req.suggested_currency or settings.DEFAULT_CURRENCY,
            "validity_days": settings.DEFAULT_QUOTE_VALIDITY_DAYS,
        },
        "assign": {"assignee": req.assignee_id},
    }
    # No form prefix: each action is its own <form>, and the field names are
    # a contract (fee, currency, validity_days, reason, message).
    return {
        name: factory(data if name == action else None, initial=initial.get(name))
        for name, factory in allowed.items()
    }


# Irreversible, and each sends an email or issues a numbered document: asked
# "are you sure?" first (a <dialog>, or without JavaScript a confirmation page).
CONFIRMED_ACTIONS = {"approve", "decline", "cancel", "revoke"}
YES_LABELS = {
    "approve": "Yes, approve",
    "decline": "Yes, decline",
    "cancel": "Yes, cancel the request",
    "revoke": "Yes, revoke the licence",
}


def _statements(req: RepublicationRequest, fee: str = "{fee}") -> dict[str, str]:
    """What each irreversible action will do, in words; `fee` as typed ({fee} for the dialog)."""
    to = f"{req.outlet_name} <{req.email}>"
    catalogue = (
        "" if req.article.in_catalogue else " It also adds the article to the public catalogue."
    )
    invoice = req.invoice.number if req.invoice else ""
    licence = getattr(req, "licence", None)
    return {
        "approve": (
            f"This issues a numbered invoice for {fee} (net; VAT is added where due) to "
            f"{to} and emails it to them. An invoice is never deleted: a mistake is "
            f"corrected by a credit note.{catalogue}"
        ),
        "decline": (
            f"This declines {req.reference} and emails your reason to {to}. The request "
            "closes; to ask again they must send a new one."
        ),
        "cancel": (
            f"This cancels {req.reference}, voids invoice {invoice} with a numbered credit "
            f"note and emails {to}."
        ),
        "revoke": (
            f"This revokes licence {licence.number if licence else ''}: its public "
            f"verification page says Revoked from now on, and {to} is emailed your reason. "
            "Any refund is made separately, from the invoice page."
        ),
    }


def _confirmation_page(
    request: HttpRequest, req: RepublicationRequest, action: str, data: dict[str, Any]
) -> HttpResponse:
    """The no-JavaScript "are you sure?": what will happen, and the same post again to go on."""
    statements = _statements(req, fee=format_money(to_minor(data["fee"]), data["currency"]))
    action_statement = statements[action]
    if action == "approve" and (narrowed := _narrowing(req, data.get("granted_scope"))):
        action_statement = f"{action_statement} The licence grants less than asked: {narrowed}."
    return confirmation_page(
        request,
        statement=action_statement,
        back_url=reverse("licensing:staff_request", args=[req.pk]),
        yes_label=YES_LABELS[action],
    )


def confirmation_page(
    request: HttpRequest, *, statement: str, back_url: str, yes_label: str
) -> HttpResponse:
    """A desk action's "are you sure?" without JavaScript: `statement`, and a button that
    sends the same post again, without its `step=review`, to go on."""
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", "step"}
        for value in values
    ]
    context = {
        "statement": statement,
        "carried": carried,
        "action_url": request.path,
        "back_url": back_url,
        "yes_label": yes_label,
    }
    return render(request, "licensing/confirm_action.html", context)


def _narrowing(req: RepublicationRequest, scope: Scope | None) -> str:
    """How `scope` narrows what `req` asked, in the desk's words; '' when it does not."""
    if scope is None:
        return ""
    changes = describe_scope_changes(req.asked_scope, scope, country=req.country, language="en")
    return "; ".join(f"{c.label} {c.asked} → {c.granted}" for c in changes)


def _render_detail(
    request: HttpRequest,
    req: RepublicationRequest,
    action_forms: dict[str, Any],
    status: int = 200,
    repriced: str = "",
) -> HttpResponse:
    earlier = (
        # Earlier only: ids grow with submission time.
        RepublicationRequest.objects.filter(email=req.email, pk__lt=req.pk)
        .exclude(status=RequestStatus.UNCONFIRMED)
        .select_related("article")
        .order_by("-created_at")[:20]
    )
    invoice, invoice_due = req.invoice, ""
    if invoice is not None:
        # Three queries whatever the number of payments and credit notes.
        prefetch_related_objects(
            [invoice],
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
            "credit_notes",
        )
        paid = sum(payment.amount_minor for payment in invoice.payments.all())
        invoice_due = format_money(max(invoice.total_minor - paid, 0), invoice.currency)
    context = {
        "req": req,
        "invoice": invoice,
        "invoice_due": invoice_due,
        "licence": getattr(req, "licence", None),
        "forms": action_forms,
        "earlier": earlier,
        "thread": req.messages.select_related("author"),
        "history": req.status_changes.select_related("actor"),
        "is_open": req.status in OPEN_STATUSES,
        "statements": _statements(req),
        "yes_labels": YES_LABELS,
        "repriced": repriced,
        "scope_changes": req.scope_changes(language="en"),
    }
    return render(request, "licensing/staff/request.html", context, status=status)


def _get(pk: int) -> RepublicationRequest:
    # An unconfirmed request is not the desk's yet: nobody may have sent it.
    return get_object_or_404(
        RepublicationRequest.objects.exclude(status=RequestStatus.UNCONFIRMED).select_related(
            "article", "outlet", "assignee"
        ),
        pk=pk,
    )


@permission_required_or_404(REVIEW_PERMISSION)
@require_safe
def request_page(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get(pk)
    return _render_detail(request, req, _action_forms(req))


def _approve(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.approve(
        actor=user,
        fee_minor=to_minor(data["fee"]),
        currency=data["currency"],
        validity_days=data["validity_days"],
        scope=data["granted_scope"],
    )
    narrowed = " with a narrower scope" if req.scope_changes(language="en") else ""
    return f"Approved {req.reference}{narrowed}."


def _reprice(req: RepublicationRequest, form: forms.Form) -> tuple[forms.Form, str]:
    """The approve form again with the rate card's fee for the scope it grants.

    The rate card prices outlet type, medium, extent, territory and audience:
    a narrower territory or an excerpt may cost less. The reviewer decides
    the fee; this button only fills in what the rate card says for it.
    """
    scope = form.granted_scope()  # type: ignore[attr-defined]
    priced = RepublicationRequest(
        outlet_type=req.outlet_type,
        media=req.media,
        audience_size=req.audience_size,
        territory=scope.territory,
        extent=scope.extent,
    )
    suggestion = PriceRule.suggest_fee(priced)
    data = form.data.copy()  # type: ignore[attr-defined]
    if suggestion is None:
        return form, "No rate card rule matches the scope granted: the fee is as typed."
    data["fee"], data["currency"] = f"{to_major(suggestion[0]):.2f}", suggestion[1]
    repriced = type(form)(data, req=req)  # type: ignore[call-arg]
    repriced.is_valid()
    return repriced, f"Rate card for the scope granted: {format_money(*suggestion)}."


def _assign(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.assign(actor=user, assignee=data["assignee"])
    return f"Assigned {req.reference} to {data['assignee'] or 'nobody'}."


Handler = Callable[[RepublicationRequest, User, dict[str, Any]], str]


def _calling(method: Callable[..., None], done: str, **arguments: str) -> Handler:
    """A handler that calls `method` on the request with the reviewer as actor and each
    argument from its form field (argument=field), and then says `done` ({reference})."""

    def run(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
        method(req, actor=user, **{name: data[field] for name, field in arguments.items()})
        return done.format(reference=req.reference)

    return run


@dataclass(frozen=True)
class DeskAction:
    """One button on the desk's request page: its form, what it does, and the
    model transition it makes (none: every status allows it)."""

    form: Callable[..., forms.Form]
    run: Handler
    transition: str = ""


DESK_ACTIONS: dict[str, DeskAction] = {
    "approve": DeskAction(ApproveForm, _approve, "approve"),
    "ask": DeskAction(
        AskForInformationForm,
        _calling(
            RepublicationRequest.ask_for_information,
            "Question sent; {reference} now waits on the requester.",
            message="message",
        ),
        "ask_for_information",
    ),
    "decline": DeskAction(
        DeclineForm,
        _calling(
            RepublicationRequest.decline,
            "Declined {reference}; the requester has been told why.",
            reason="reason",
        ),
        "decline",
    ),
    "cancel": DeskAction(
        DeclineForm,
        _calling(
            RepublicationRequest.withdraw,
            "Cancelled {reference}: its invoice is voided by a credit note, and the "
            "requester told why.",
            note="reason",
        ),
        "withdraw",
    ),
    "revoke": DeskAction(
        DeclineForm,
        _calling(
            RepublicationRequest.revoke,
            "Revoked the licence for {reference}; the requester has been told why.",
            reason="reason",
        ),
        "revoke",
    ),
    "assign": DeskAction(
        lambda *args, **kwargs: AssignForm(*args, reviewers=reviewers(), **kwargs), _assign
    ),
    "note": DeskAction(
        InternalNoteForm,
        _calling(RepublicationRequest.add_internal_note, "Internal note added.", body="body"),
    ),
}


@permission_required_or_404(REVIEW_PERMISSION)
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in DESK_ACTIONS:
        raise Http404("No such action")
    req = _get(pk)
    if action == "assign" and "me" in request.POST:
        req.assign(actor=request.user, assignee=request.user)  # type: ignore[arg-type]
        messages.success(request, f"{req.reference} is assigned to you.")
        return redirect("licensing:staff_request", pk=pk)
    action_forms = _action_forms(req, request.POST, action)
    form = action_forms.get(action)
    if form is None:
        messages.error(
            request,
            f"This action is not possible: {req.reference} is now “{req.get_status_display()}”.",
        )
        return redirect("licensing:staff_request", pk=pk)
    if not form.is_valid():
        return _render_detail(request, req, action_forms, status=400)
    if action == "approve":
        form.cleaned_data["granted_scope"] = form.granted_scope()
        if "reprice" in request.POST:
            action_forms["approve"], priced = _reprice(req, form)
            return _render_detail(request, req, action_forms, repriced=priced)
    # A zero fee needs no extra confirmation: it issues no invoice and asks for no money.
    free_approval = action == "approve" and form.cleaned_data.get("fee") == 0
    if action in CONFIRMED_ACTIONS and request.POST.get("step") == "review" and not free_approval:
        data = {"fee": Decimal(0), "currency": "", **form.cleaned_data}
        return _confirmation_page(request, req, action, data)
    try:
        done = DESK_ACTIONS[action].run(req, request.user, form.cleaned_data)  # type: ignore[arg-type]
    except ExchangeRateMissing as missing:
        # The rate went between the form's check and the approval: the same field error.
        form.add_error(None, missing)
        return _render_detail(request, req, action_forms, status=400)
    except TransitionNotAllowed as error:
        # Someone else acted first: say what happened instead of failing.
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("licensing:staff_request", pk=pk)
