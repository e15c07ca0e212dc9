"""Who gets what: every URL pattern of the project x every kind of visitor, GET and POST.

The table below has one rule per URL name, read off the URL conf; a pattern
added without a rule fails `test_every_url_pattern_has_a_rule`. The cells are
the status codes as designed: anonymous visitors are sent to the staff login
from staff pages (302) and to the requesters' sign-in from a request's pages
and documents (302; they exist only for the browser that sent it, its
signed-in requester and reviewers), but get 404 when they post to one;
staff posting as the requester (reply, withdraw) are refused (403);
another requester, and staff without the permission, get 404 (nobody learns
that the object exists); a wrong method gets 405 once access is granted.
POST bodies are empty or harmless, so an allowed POST gets its form errors
(400) or a redirect, and changes nothing another cell relies on.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from billing.models import CreditNote
from licensing.models import Article, RepublicationRequest
from tests.factories import make_request

ACTORS = ("anonymous", "requester_a", "requester_b", "reviewer", "finance", "superuser")
# The admin is one app with its own URL conf: its index (and one list) stand for it.
ADMIN = "admin"


def url_names(patterns: list[Any] | None = None, namespace: str = "") -> Iterator[str]:
    """Every named pattern of the project ("licensing:request_detail"); the admin as one."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == ADMIN:
                yield ADMIN
                continue
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from url_names(entry.url_patterns, inner)
        else:
            assert isinstance(entry, URLPattern)
            assert entry.name, f"unnamed URL pattern {entry.pattern}: name it and give it a rule"
            yield f"{namespace}:{entry.name}" if namespace else entry.name


# Per URL name: how to fill its arguments, and per method the status each
# actor gets, in the order of ACTORS:
#   anonymous, requester A (owns the objects), requester B, reviewer, finance, superuser.
Objects = dict[str, Any]
Rule = tuple[Callable[[Objects], dict[str, Any]], dict[str, tuple[int, ...]]]


def no_args(objects: Objects) -> dict[str, Any]:
    return {}


def request_uuid(objects: Objects) -> dict[str, Any]:
    return {"uuid": objects["request"].uuid}


def reached_uuid(objects: Objects) -> dict[str, Any]:
    """A correction of the article, as it reached A's licence."""
    from licensing.notices import ArticleNotice, LicenceNotice

    licence = objects["request"].licence
    if not LicenceNotice.objects.filter(licence=licence).exists():
        ArticleNotice.send_correction(
            objects["article"], actor=objects["reviewer"], message="A date was wrong."
        )
    return {"uuid": LicenceNotice.objects.get(licence=licence).uuid}


ALL = 6
REQUESTER_PAGE = (302, 200, 404, 200, 404, 200)  # A's request: A and reviewers only
REVIEWER_PAGE = (302, 404, 404, 200, 404, 200)  # the queue: reviewers (and superusers)
FINANCE_PAGE = (302, 404, 404, 404, 200, 200)  # invoices: finance (and superusers)

RULES: dict[str, Rule] = {
    "home": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "healthz": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "contact": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "privacy": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "terms": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    # Staff sign-in: a POST without credentials shows the form again with its errors.
    "login": (no_args, {"GET": (200,) * ALL, "POST": (200,) * ALL}),
    # Django's LogoutView: POST only, answered with the signed-out page.
    "logout": (no_args, {"GET": (405,) * ALL, "POST": (200,) * ALL}),
    # The admin's sign-in sends staff already signed in on to the admin; a
    # POST is a sign-in attempt, whoever makes it.
    "admin_login": (
        no_args,
        {"GET": (200, 200, 200, 302, 302, 302), "POST": (200,) * ALL},
    ),
    "set_language": (no_args, {"GET": (302,) * ALL, "POST": (302,) * ALL}),
    "licensing:article_list": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "licensing:article_detail": (
        lambda o: {"slug": o["article"].slug},
        {"GET": (200,) * ALL, "POST": (405,) * ALL},
    ),
    # The public form: an empty POST is refused field by field.
    "licensing:request_form": (
        lambda o: {"slug": o["article"].slug},
        {"GET": (200,) * ALL, "POST": (400,) * ALL},
    ),
    "licensing:estimate": (
        lambda o: {"slug": o["article"].slug},
        {"GET": (200,) * ALL, "POST": (405,) * ALL},
    ),
    # No address: the friendly 404 with a search box, whatever the method.
    "licensing:republish_redirect": (no_args, {"GET": (404,) * ALL, "POST": (404,) * ALL}),
    "licensing:request_detail": (request_uuid, {"GET": REQUESTER_PAGE, "POST": (405,) * ALL}),
    # An empty reply is a form error (400) for those who may reply.
    "licensing:request_reply": (
        request_uuid,
        {"GET": (405,) * ALL, "POST": (404, 400, 404, 403, 403, 403)},
    ),
    # The request is licensed: withdrawing is refused with a message and a redirect.
    "licensing:request_withdraw": (
        request_uuid,
        {"GET": (405,) * ALL, "POST": (404, 302, 404, 403, 403, 403)},
    ),
    # Only the requester edits or renews. Licensed: editing is refused with a message
    # and a redirect; the renewal form is shown, and an empty one refused field by field.
    "licensing:request_edit": (
        request_uuid,
        {"GET": (302, 302, 404, 403, 403, 403), "POST": (404, 302, 404, 403, 403, 403)},
    ),
    "licensing:request_renew": (
        request_uuid,
        {"GET": (302, 200, 404, 403, 403, 403), "POST": (404, 400, 404, 403, 403, 403)},
    ),
    # Confirmed long ago: nothing to send again, back to the request page.
    "licensing:request_resend": (
        request_uuid,
        {"GET": (405,) * ALL, "POST": (404, 302, 404, 302, 404, 302)},
    ),
    # Paid already: "nothing to pay" and back to the request page.
    "licensing:pay_by_card": (
        request_uuid,
        {"GET": (405,) * ALL, "POST": (404, 302, 404, 302, 404, 302)},
    ),
    # Invoices and credit notes: the requester, reviewers, and finance (any invoice).
    "licensing:invoice_pdf": (
        lambda o: {"uuid": o["request"].invoice.uuid},
        {"GET": (302, 200, 404, 200, 200, 200), "POST": (405,) * ALL},
    ),
    "licensing:invoice_ubl": (
        lambda o: {"uuid": o["request"].invoice.uuid},
        {"GET": (302, 200, 404, 200, 200, 200), "POST": (405,) * ALL},
    ),
    "licensing:credit_note_pdf": (
        lambda o: {"uuid": o["credit_note"].uuid},
        {"GET": (302, 200, 404, 200, 200, 200), "POST": (405,) * ALL},
    ),
    # The licence: its requester and reviewers; finance deals in invoices only.
    "licensing:licence_pdf": (
        lambda o: {"uuid": o["request"].licence.uuid},
        {"GET": REQUESTER_PAGE, "POST": (405,) * ALL},
    ),
    # A correction's "Done" page without its emailed link: A (signed in) only; staff
    # never acknowledge for a licensee. A acknowledges, and is sent back to the page.
    "licensing:notice_acknowledge": (
        reached_uuid,
        {"GET": (302, 200, 404, 404, 404, 404), "POST": (404, 302, 404, 404, 404, 404)},
    ),
    "licensing:verify_form": (no_args, {"GET": (200,) * ALL, "POST": (405,) * ALL}),
    "licensing:verify": (
        lambda o: {"number": o["request"].licence.number},
        {"GET": (200,) * ALL, "POST": (405,) * ALL},
    ),
    "licensing:verify_json": (
        lambda o: {"number": o["request"].licence.number},
        {"GET": (200,) * ALL, "POST": (405,) * ALL},
    ),
    # The list of one's own requests: sign in first.
    "licensing:account": (
        no_args,
        {"GET": (302, 200, 200, 200, 200, 200), "POST": (405,) * ALL},
    ),
    # An empty POST is a field error on the same page.
    "licensing:account_login": (no_args, {"GET": (200,) * ALL, "POST": (200,) * ALL}),
    # Without a valid token the link is refused.
    "licensing:account_magic": (no_args, {"GET": (400,) * ALL, "POST": (405,) * ALL}),
    "licensing:account_logout": (no_args, {"GET": (405,) * ALL, "POST": (302,) * ALL}),
    "licensing:staff_queue": (
        no_args,
        {"GET": REVIEWER_PAGE, "POST": (302, 404, 404, 405, 404, 405)},
    ),
    # The queue as a spreadsheet: the queue's own access.
    "licensing:staff_queue_csv": (
        no_args,
        {"GET": REVIEWER_PAGE, "POST": (302, 404, 404, 405, 404, 405)},
    ),
    # Bulk assignment: POST only; nothing ticked is a field error on the queue.
    "licensing:staff_bulk_assign": (
        no_args,
        {"GET": (302, 404, 404, 405, 404, 405), "POST": (302, 404, 404, 400, 404, 400)},
    ),
    "licensing:staff_request": (
        lambda o: {"pk": o["request"].pk},
        {"GET": REVIEWER_PAGE, "POST": (302, 404, 404, 405, 404, 405)},
    ),
    # An internal note without text: a form error for reviewers.
    "licensing:staff_request_action": (
        lambda o: {"pk": o["request"].pk, "action": "note"},
        {"GET": (302, 404, 404, 405, 404, 405), "POST": (302, 404, 404, 400, 404, 400)},
    ),
    # An article's desk page, and its two actions (an empty POST is a field error).
    "licensing:staff_article": (
        lambda o: {"slug": o["article"].slug},
        {"GET": REVIEWER_PAGE, "POST": (302, 404, 404, 405, 404, 405)},
    ),
    "licensing:staff_article_correction": (
        lambda o: {"slug": o["article"].slug},
        {"GET": (302, 404, 404, 405, 404, 405), "POST": (302, 404, 404, 400, 404, 400)},
    ),
    "licensing:staff_article_takedown": (
        lambda o: {"slug": o["article"].slug},
        {"GET": (302, 404, 404, 405, 404, 405), "POST": (302, 404, 404, 400, 404, 400)},
    ),
    # Stripe's events: anyone may post, only a valid signature is acted on.
    "billing:stripe_webhook": (no_args, {"GET": (405,) * ALL, "POST": (400,) * ALL}),
    "billing:invoice_list": (
        no_args,
        {"GET": FINANCE_PAGE, "POST": (302, 404, 404, 404, 405, 405)},
    ),
    "billing:invoice_csv": (no_args, {"GET": FINANCE_PAGE, "POST": (302, 404, 404, 404, 405, 405)}),
    "billing:invoice_detail": (
        lambda o: {"number": o["request"].invoice.number},
        {"GET": FINANCE_PAGE, "POST": (302, 404, 404, 404, 405, 405)},
    ),
    # GET (after signing in from a timed-out POST) shows the invoice; an empty
    # POST is a form error.
    "billing:record_transfer": (
        lambda o: {"number": o["request"].invoice.number},
        {"GET": (302, 404, 404, 404, 302, 302), "POST": (302, 404, 404, 404, 400, 400)},
    ),
    # Bearer tokens only: a browser session, even a superuser's, is not enough.
    "integrations:api_requests": (no_args, {"GET": (401,) * ALL, "POST": (405,) * ALL}),
    # Served with DEBUG on only.
    "integrations:demo_article": (no_args, {"GET": (404,) * ALL, "POST": (405,) * ALL}),
}
# The admin, for staff accounts: requesters are sent to its sign-in page.
ADMIN_PAGES = {
    "admin:index": {"GET": (302, 302, 302, 200, 200, 200)},
    # Reviewers and finance may view requests; changing them is the admin's job.
    "admin:licensing_republicationrequest_changelist": {"GET": (302, 302, 302, 200, 200, 200)},
    "admin:billing_invoice_changelist": {"GET": (302, 302, 302, 403, 200, 200)},
}


def unruled(names: set[str]) -> list[str]:
    return sorted(names - {ADMIN} - RULES.keys())


def test_every_url_pattern_has_a_rule() -> None:
    names = set(url_names())
    assert ADMIN in names
    assert unruled(names) == [], f"URL patterns without an access rule in RULES: {unruled(names)}"
    stale = sorted(RULES.keys() - names)
    assert stale == [], f"rules for URL names that no longer exist: {stale}"


def test_a_new_pattern_without_a_rule_is_caught() -> None:
    extra = [
        path("new/", lambda request: HttpResponse(), name="new_page"),
        path("more/", include(([path("x/", lambda request: HttpResponse(), name="x")], "more"))),
        *get_resolver().url_patterns,
    ]
    assert unruled(set(url_names(extra))) == ["more:x", "new_page"]


def test_walker_reads_root_nested_and_namespaced_patterns() -> None:
    names = set(url_names())
    assert {"home", "set_language", "login", "admin_login"} <= names
    assert {
        "licensing:request_detail",
        "billing:invoice_list",
        "integrations:api_requests",
    } <= names
    assert not any(name.startswith("admin:") for name in names)


@pytest.fixture
def objects(
    licensed_request: RepublicationRequest, article: Article, reviewer: User,
    django_capture_on_commit_callbacks,
) -> Objects:  # fmt: skip
    """A's licensed request (invoice paid, licence stored) and a credit note of A's."""
    req = licensed_request
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = make_request(article)
        withdrawn.approve(actor=reviewer, fee_minor=5000, currency="GBP", validity_days=30)
        withdrawn.withdraw()
    req.refresh_from_db()
    assert req.status == "licensed" and req.licence.pdf.name
    note = CreditNote.objects.get(invoice__uuid=withdrawn.invoice.uuid)
    assert withdrawn.requester_id == req.requester_id
    return {"article": article, "request": req, "credit_note": note, "reviewer": reviewer}


@pytest.fixture
def clients(
    objects: Objects, article: Article, reviewer: User, finance: User, superuser: User
) -> dict[str, Client]:
    other = make_request(article, email="bea@other-outlet.example")
    signed_in = {
        "requester_a": objects["request"].requester,
        "requester_b": other.requester,
        "reviewer": reviewer,
        "finance": finance,
        "superuser": superuser,
    }
    assert signed_in["requester_a"] != signed_in["requester_b"]
    result = {"anonymous": Client()}
    for actor, user in signed_in.items():
        result[actor] = Client()
        result[actor].force_login(user)
    return result


def statuses(clients: dict[str, Client], method: str, url: str) -> tuple[int, ...]:
    return tuple(getattr(clients[actor], method.lower())(url).status_code for actor in ACTORS)


@pytest.mark.parametrize("name", sorted(RULES))
def test_access(clients: dict[str, Client], objects: Objects, name: str) -> None:
    args, expected = RULES[name]
    url = reverse(name, kwargs=args(objects))
    # GET before POST: a POST may sign the visitor out (logout).
    got = {method: statuses(clients, method, url) for method in ("GET", "POST")}
    assert got == expected, f"{url}: actors {ACTORS}"


@pytest.mark.parametrize("name", sorted(ADMIN_PAGES))
def test_admin_access(clients: dict[str, Client], name: str) -> None:
    url = reverse(name)
    got = {method: statuses(clients, method, url) for method in ADMIN_PAGES[name]}
    assert got == ADMIN_PAGES[name], f"{url}: actors {ACTORS}"


def test_anonymous_staff_pages_go_to_the_staff_login(clients: dict[str, Client]) -> None:
    response = clients["anonymous"].get("/staff/")
    assert response["Location"] == "/accounts/login/?next=/staff/"


def test_the_browser_that_sent_a_request_sees_it_and_another_does_not(
    objects: Objects, article: Article
) -> None:
    from tests.factories import request_form_data

    sender, stranger = Client(), Client()
    response = sender.post(article.get_republish_url(), request_form_data(email="c@c.example"))
    assert response.status_code == 302
    page = response["Location"]
    assert sender.get(page).status_code == 200
    assert stranger.get(page)["Location"] == f"/account/login/?next={page}"
    req = RepublicationRequest.objects.get(email="c@c.example")
    assert stranger.post(f"/requests/{req.uuid}/resend/").status_code == 404
    req.refresh_from_db()
    assert req.status == "unconfirmed"


def test_api_answers_a_bearer_token(objects: Objects, db) -> None:
    from integrations.models import ApiToken

    _, raw = ApiToken.create(name="matrix")
    response = Client().get("/api/requests/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
