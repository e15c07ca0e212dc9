"""The reviewers' desk: the queue at /staff/ and one request at /staff/requests/<id>/."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from billing.models import Payment
from licensing.dashboard import staff_dashboard
from licensing.forms import (
    ApproveForm,
    ApproveUncataloguedForm,
    AskForInformationForm,
    AssignForm,
    DeclineForm,
    InternalNoteForm,
    QueueFilterForm,
)
from licensing.models import (
    OPEN_STATUSES,
    RepublicationRequest,
    RequestStatus,
    TransitionNotAllowed,
)
from licensing.response_target import overdue_cutoff
from licensing.views.access import REVIEW_PERMISSION
from portal.access import permission_required_or_404
from portal.money import format_money, to_major, to_minor

QUEUE_PAGE_SIZE = 25
# The queue shows only what a row needs, so 100,000 requests stay cheap.
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
    "waiting_on",
    "waiting_since",
    "created_at",
    "article__title",
    "assignee__username",
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


def _filtered_queue(request: HttpRequest, form: QueueFilterForm) -> QuerySet[RepublicationRequest]:
    queue = (
        RepublicationRequest.objects.exclude(status=RequestStatus.UNCONFIRMED)
        .select_related("article", "assignee")
        .only(*QUEUE_COLUMNS)
    )
    # A bad value shows as its field's error; the other filters still apply,
    # so the list never contradicts the filters displayed above it.
    form.is_valid()
    data = form.cleaned_data
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
    if query := data.get("q", "").strip():
        queue = queue.filter(
            Q(reference__iexact=query)
            | Q(outlet_name__icontains=query)
            | Q(email__iexact=query)
            | Q(article__title__icontains=query)
        )
    return queue.order_by("-waiting_since", "-id")


@permission_required_or_404(REVIEW_PERMISSION)
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    choices = [(str(user.pk), user.get_username()) for user in reviewers()]
    form = QueueFilterForm(request.GET, reviewers=choices)
    paginator = Paginator(_filtered_queue(request, form), QUEUE_PAGE_SIZE)
    counts = dict(
        RepublicationRequest.objects.exclude(status=RequestStatus.UNCONFIRMED)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    if not any(form.cleaned_data.values()):
        # Unfiltered, the queue is every request: the counts by status add up
        # to its length, which spares a COUNT over the whole table (make bench).
        paginator.count = sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    status_counts = [
        (value, label, counts.get(value, 0))
        for value, label in RequestStatus.choices
        if value != RequestStatus.UNCONFIRMED
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "status_counts": status_counts,
        "cutoff": overdue_cutoff(),
        "target_days": settings.RESPONSE_TARGET_WORKING_DAYS,
        "querystring": query.urlencode(),
        "dashboard": staff_dashboard(),
    }
    return render(request, "licensing/staff/queue.html", context)


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
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in {"csrfmiddlewaretoken", "step"}
        for value in values
    ]
    context = {
        "statement": action_statement,
        "carried": carried,
        "action_url": request.path,
        "back_url": reverse("licensing:staff_request", args=[req.pk]),
        "yes_label": YES_LABELS[action],
    }
    return render(request, "licensing/confirm_action.html", context)


def _render_detail(
    request: HttpRequest, req: RepublicationRequest, action_forms: dict[str, Any], status: int = 200
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
    )
    return f"Approved {req.reference}."


def _decline(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.decline(actor=user, reason=data["reason"])
    return f"Declined {req.reference}; the requester has been told why."


def _ask(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.ask_for_information(actor=user, message=data["message"])
    return f"Question sent; {req.reference} now waits on the requester."


def _assign(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.assign(actor=user, assignee=data["assignee"])
    return f"Assigned {req.reference} to {data['assignee'] or 'nobody'}."


def _note(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.add_internal_note(actor=user, body=data["body"])
    return "Internal note added."


def _cancel(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.withdraw(actor=user, note=data["reason"])
    return f"Cancelled {req.reference}; its invoice is voided by a credit note."


def _revoke(req: RepublicationRequest, user: User, data: dict[str, Any]) -> str:
    req.revoke(actor=user, reason=data["reason"])
    return f"Revoked the licence for {req.reference}; the requester has been told why."


@dataclass(frozen=True)
class DeskAction:
    """One button on the desk's request page: its form, what it does, and the
    model transition it makes (none: every status allows it)."""

    form: Callable[..., forms.Form]
    run: Callable[[RepublicationRequest, User, dict[str, Any]], str]
    transition: str = ""


DESK_ACTIONS: dict[str, DeskAction] = {
    "approve": DeskAction(ApproveForm, _approve, "approve"),
    "ask": DeskAction(AskForInformationForm, _ask, "ask_for_information"),
    "decline": DeskAction(DeclineForm, _decline, "decline"),
    "cancel": DeskAction(DeclineForm, _cancel, "withdraw"),
    "revoke": DeskAction(DeclineForm, _revoke, "revoke"),
    "assign": DeskAction(
        lambda *args, **kwargs: AssignForm(*args, reviewers=reviewers(), **kwargs), _assign
    ),
    "note": DeskAction(InternalNoteForm, _note),
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
    # A zero fee needs no extra confirmation: it issues no invoice and asks for no money.
    free_approval = action == "approve" and form.cleaned_data.get("fee") == 0
    if action in CONFIRMED_ACTIONS and request.POST.get("step") == "review" and not free_approval:
        data = {"fee": Decimal(0), "currency": "", **form.cleaned_data}
        return _confirmation_page(request, req, action, data)
    try:
        done = DESK_ACTIONS[action].run(req, request.user, form.cleaned_data)  # type: ignore[arg-type]
    except TransitionNotAllowed as error:
        # Someone else acted first: say what happened instead of failing.
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("licensing:staff_request", pk=pk)
