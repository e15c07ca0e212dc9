"""Corrections and takedowns: the desk's page per article, and the licensee's "Done" page."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from licensing.forms import CorrectionForm, TakedownForm
from licensing.links import LINK_PARAMETER, LinkState, read_acknowledgement_link
from licensing.models import Article, RepublicationRequest, RequestStatus, is_staff_account
from licensing.notices import (
    AlreadyTakenDown,
    ArticleNotice,
    LicenceNotice,
    NoLicenceHolders,
    NoticeKind,
    current_licences,
)
from licensing.views.access import REVIEW_PERMISSION, is_reviewer, may_see, sign_in_to_see
from licensing.views.staff import confirmation_page
from portal.access import permission_required_or_404

# An article's page lists this many of its latest requests; the queue's search finds the rest.
ARTICLE_REQUESTS_SHOWN = 200


def _article_context(
    article: Article, correction_form: CorrectionForm, takedown_form: TakedownForm
) -> dict[str, Any]:
    requests = (
        article.requests.exclude(status=RequestStatus.UNCONFIRMED)
        .select_related("licence")
        .order_by("-created_at", "-id")
    )
    reached = LicenceNotice.objects.select_related("licence__request").order_by("licence__number")
    notices = (
        article.notices.select_related("sent_by")
        .annotate(
            reached=Count("recipients"),
            acknowledged=Count("recipients", filter=Q(recipients__acknowledged_at__isnull=False)),
            waiting=Count("recipients", filter=Q(recipients__acknowledged_at__isnull=True)),
        )
        .prefetch_related(Prefetch("recipients", queryset=reached))
    )
    holders = list(current_licences(article).select_related("request").order_by("number"))
    takedown = next((n for n in notices if n.kind == NoticeKind.TAKEDOWN), None)
    open_requests = list(requests.open())
    return {
        "article": article,
        "requests": requests[:ARTICLE_REQUESTS_SHOWN],
        "request_count": requests.count(),
        "shown": ARTICLE_REQUESTS_SHOWN,
        "open_requests": open_requests,
        "holders": holders,
        "notices": notices,
        "takedown": takedown,
        "correction_form": correction_form,
        "takedown_form": takedown_form,
        "statements": _statements(article, holders, open_requests),
        "grace_days": settings.TAKEDOWN_GRACE_DAYS,
    }


def _statements(
    article: Article, holders: list[Any], open_requests: list[RepublicationRequest]
) -> dict[str, str]:
    """What each action will do, in words, for the "are you sure?" dialog and page."""
    names = ", ".join(f"{licence.licensee_name} ({licence.number})" for licence in holders)
    if holders:
        reach = f"emails the {_holders(len(holders))} ({names})"
    else:
        reach = "emails nobody: no one holds a valid or not-yet-valid licence for it"
    # What _close_open_requests() will do to them (a quote paid meanwhile is kept).
    closes = (
        f" It also closes the open request{'s' if len(open_requests) != 1 else ''} "
        f"{', '.join(r.reference for r in open_requests)}: one not yet answered is "
        "declined, an unpaid quote cancelled with a credit note, and each requester is "
        "emailed why."
        if open_requests
        else ""
    )
    return {
        "correction": (
            f"This {reach}, each in their language, with what changed, and tells the "
            "webhook endpoints. A correction sent cannot be recalled."
        ),
        "takedown": (
            f"This stops new requests for “{article.title}” and {reach}, asking them to "
            "take the article down; when the grace period is over their licences end as "
            f"“Withdrawn by the publisher”.{closes} It cannot be undone."
        ),
    }


def _render(
    request: HttpRequest,
    article: Article,
    form: CorrectionForm | TakedownForm | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The article's desk page; `form`, when given, shown in place of its empty one."""
    context = _article_context(
        article,
        form if isinstance(form, CorrectionForm) else CorrectionForm(),
        form if isinstance(form, TakedownForm) else TakedownForm(),
    )
    return render(request, "licensing/staff/article.html", context, status=status)


@permission_required_or_404(REVIEW_PERMISSION)
@require_safe
def staff_article(request: HttpRequest, slug: str) -> HttpResponse:
    return _render(request, get_object_or_404(Article, slug=slug))


def _holders(count: int) -> str:
    return f"{count} licence holder{'s' if count != 1 else ''}"


def _correction_sent(notice: ArticleNotice) -> str:
    numbers = notice.licence_numbers()
    return f"Correction sent to {_holders(len(numbers))}: {', '.join(numbers)}."


def _takedown_requested(notice: ArticleNotice) -> str:
    closed = notice.closed_requests
    also = (
        f" {len(closed)} open request{'s were' if len(closed) != 1 else ' was'} closed: "
        f"{', '.join(closed)}."
        if closed
        else ""
    )
    numbers = notice.licence_numbers()
    if not numbers:
        return (
            "Takedown recorded: new requests are refused. Nobody held a valid licence, "
            f"so nobody was emailed.{also}"
        )
    # A takedown always has its date: the notice_kind_fields constraint says so.
    remove_by = date_format(cast(date, notice.remove_by), "j M Y")
    return (
        f"Takedown requested: new requests are refused, and {_holders(len(numbers))} "
        f"({', '.join(numbers)}) must take the article down by {remove_by}; their licences "
        f"end after that day.{also}"
    )


@dataclass(frozen=True)
class NoticeAction:
    """What sending one kind of notice takes: its form, the "are you sure?" button,
    the ArticleNotice method that sends it (called with the form's fields), and
    what the desk is told once it is sent."""

    form: type[CorrectionForm] | type[TakedownForm]
    yes_label: str
    send: Callable[..., ArticleNotice]
    done: Callable[[ArticleNotice], str]


NOTICE_ACTIONS = {
    NoticeKind.CORRECTION: NoticeAction(
        CorrectionForm, "Yes, send the correction", ArticleNotice.send_correction, _correction_sent
    ),
    NoticeKind.TAKEDOWN: NoticeAction(
        TakedownForm,
        "Yes, take the article down",
        ArticleNotice.request_takedown,
        _takedown_requested,
    ),
}


def _send_notice(request: HttpRequest, slug: str, kind: NoticeKind) -> HttpResponse:
    """Check the form, ask "are you sure?" (step=review, without JavaScript), then send."""
    action = NOTICE_ACTIONS[kind]
    article = get_object_or_404(Article, slug=slug)
    form = action.form(request.POST)
    if not form.is_valid():
        return _render(request, article, form, status=400)
    if request.POST.get("step") == "review":
        return confirmation_page(
            request,
            statement=_statements(
                article,
                list(current_licences(article)),
                list(article.requests.open().order_by("-created_at", "-id")),
            )[kind],
            back_url=reverse("licensing:staff_article", args=[article.slug]),
            yes_label=action.yes_label,
        )
    try:
        notice = action.send(article, actor=request.user, **form.cleaned_data)
    except NoLicenceHolders as error:
        # The correction is shown again as typed, with why it was not sent.
        form.add_error(None, str(error))
        return _render(request, article, form, status=400)
    except AlreadyTakenDown as error:
        messages.error(request, str(error))
    else:
        messages.success(request, action.done(notice))
    return redirect("licensing:staff_article", slug=article.slug)


@permission_required_or_404(REVIEW_PERMISSION)
@require_POST
def send_correction(request: HttpRequest, slug: str) -> HttpResponse:
    return _send_notice(request, slug, NoticeKind.CORRECTION)


@permission_required_or_404(REVIEW_PERMISSION)
@require_POST
def request_takedown(request: HttpRequest, slug: str) -> HttpResponse:
    return _send_notice(request, slug, NoticeKind.TAKEDOWN)


# --- The licensee's side ----------------------------------------------------


def _reached(uuid: UUID) -> LicenceNotice | None:
    return (
        LicenceNotice.objects.select_related("notice__article", "licence__request")
        .filter(uuid=uuid)
        .first()
    )


def _page(
    request: HttpRequest, reached: LicenceNotice, *, token: str, status: int = 200
) -> HttpResponse:
    action = request.path + (f"?{urlencode({LINK_PARAMETER: token})}" if token else "")
    context = {
        "reached": reached,
        "notice": reached.notice,
        "licence": reached.licence,
        "action_url": action,
    }
    return render(request, "licensing/notice_acknowledge.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def acknowledge(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The "Done" page an email links to: GET shows the notice and a button, POST records it.

    Only the POST acknowledges, so mail scanners and link previews that open
    every link in a message acknowledge nothing. The signed link proves the
    licensee's mailbox; without it, the requester signed in to the request
    (its page has the same button) may acknowledge too.
    """
    reached = _reached(uuid)
    token = request.GET.get(LINK_PARAMETER, "")
    if token:
        state = read_acknowledgement_link(token, reached=reached)
        if reached is None or state == LinkState.INVALID:
            return render(request, "licensing/notice_link_invalid.html", status=400)
        if state == LinkState.EXPIRED and not _owner(request, reached):
            request_page = reached.licence.request.get_absolute_url()
            login = (
                reverse("licensing:account_login")
                + "?"
                + urlencode({"email": reached.licence.licensee_email, "next": request_page})
            )
            return render(request, "licensing/notice_link_expired.html", {"login_url": login})
        if state == LinkState.EXPIRED:
            token = ""  # signed in: the session, not the old link, is the proof from here on
    elif reached is None or not _owner(request, reached):
        # As for a request's own pages: a signed-out visitor is asked to sign in
        # (and sent back here), a post from one, or anyone else, gets 404.
        if not request.user.is_authenticated and request.method != "POST":
            return sign_in_to_see(request)
        raise Http404("No such notice")
    if request.method == "POST":
        if reached.acknowledge():
            messages.success(request, _("Thank you: we have recorded that it is done."))
        else:
            messages.info(request, _("You had already told us this was done; nothing changed."))
        return redirect(request.get_full_path())
    return _page(request, reached, token=token)


def _owner(request: HttpRequest, reached: LicenceNotice) -> bool:
    """The requester of the licensed request, signed in or in the browser that sent it;
    staff never acknowledge on a licensee's behalf."""
    if is_reviewer(request) or (request.user.is_authenticated and is_staff_account(request.user)):
        return False
    return may_see(request, reached.licence.request)
