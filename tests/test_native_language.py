"""Every public page, every email to a requester and every document summary line, in
Arabic and French, with no English left in it.

The pages come from the URLconf: each named route is a public page (PAGES says
how to reach it, in which states) or is not one (NOT_PAGES says why), and a
test fails when a route is neither, so a new page is walked from the day it
is added. The emails come from templates/emails/ the same way (EMAILS,
STAFF_EMAILS), the error pages from templates/ (ERROR_PAGES).

What counts as English: on an Arabic page, any word in Latin letters; on a
French page, a word the English pages and catalogue use and French does not.
Allowed: the brand and banking names of ALLOWED_WORDS, codes and references,
addresses, and what the fixtures typed (the article's own title and text,
names, outlets): the content, not the interface. Text marked with a `lang`
other than the page's (the article, the language switcher) is its own.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone, translation
from django_countries import countries

from billing.pdf import invoice_summary
from licensing import emails
from licensing.links import acknowledgement_link
from licensing.models import LICENCE_REMINDER_DAYS, Article, Licence, RepublicationRequest
from licensing.notices import ArticleNotice, LicenceNotice
from licensing.pdf import licence_summary
from tests.factories import (
    make_article,
    make_licence_holder,
    make_request,
    make_request_in,
    request_form_data,
)

LANGUAGES = ["ar", "fr"]
LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Names that are the same in every language: brands, standards, banking codes.
ALLOWED_WORDS = {
    "Stripe",
    "PDF",
    "HTML",
    "XML",
    "UBL",
    "Factur-X",
    "EN",
    "ODRL",
    "JSON-LD",
    "JSON",
    "PAdES",
    "SHA-256",
    "QR",
    "IBAN",
    "BIC",
    "Sort",
    "code",
    "ICO",
    "CNIL",
    "Information",
    "Commissioner\u2019s",
    "Office",
    "Commissioner's",
    "RR",
    "LIC",
    "UK£",
    "US$",
    "£GB",
    "$US",
    "GBP",
    "EUR",
    "USD",
    "TVA",
    "HT",
    "ONG",
    "UE",
    "e-mail",
    "e-mails",
    "blog",
}
# References, numbers, ISO country codes, addresses and links: codes, not words.
CODES = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|\b[A-Z]{2,3}-\d{4}-\d+\b|\b[A-Z]{2}\d[\dA-Z]{5,}\b"
    r"|\b[A-Z]{2}\b|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b(?=\w*\d)\w+\b"
)
# The publisher, the seller and its bank, as configured: names, not words.
BRANDS = [
    settings.PUBLISHER_NAME,
    settings.SELLER["name"],
    settings.BANK_DETAILS["bank_name"],
    *settings.SELLER["address"].split("\n"),
]
LATIN_WORD = re.compile(r"[A-Za-z£$][A-Za-z\u2019'£$-]*[A-Za-z£$]|[A-Za-z]")


# --- What a reader reads ---------------------------------------------------------


class _Reader(HTMLParser):
    """The text a reader sees on a page, and in its labels, titles and dialogs."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    SHOWN_ATTRIBUTES = (
        "title",
        "alt",
        "aria-label",
        "placeholder",
        "data-confirm",
        "data-confirm-yes",
    )

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []

    def _skipped(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        own_language = values.get("lang") not in (None, self.language)
        skipped = self._skipped() or own_language or tag in {"script", "style"}
        if not skipped:
            self.parts += [str(values[name]) for name in self.SHOWN_ATTRIBUTES if values.get(name)]
            if (
                tag == "input"
                and values.get("type") in {"submit", "button"}
                and values.get("value")
            ):
                self.parts.append(str(values["value"]))
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self._skipped():
            self.parts.append(data)


def visible_text(html: str, language: str) -> str:
    reader = _Reader(language)
    reader.feed(html)
    return " ".join(" ".join(reader.parts).split())


def english_left(text: str, language: str, *, content: list[str]) -> list[str]:
    """The English words in `text`, once the content and codes are taken out."""
    for value in sorted(content, key=len, reverse=True):
        text = text.replace(value, " ")
    text = CODES.sub(" ", text)
    words = [w for w in LATIN_WORD.findall(text) if w not in ALLOWED_WORDS]
    if language == "fr":
        words = [w for w in words if w.lower() in english_vocabulary()]
    return sorted(set(words))


_vocabulary: set[str] = set()


def english_vocabulary() -> set[str]:
    """Words our English interface uses that French does not (lower case)."""
    if not _vocabulary:
        po = polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))
        english: set[str] = set()
        french: set[str] = set()
        for entry in po:
            english |= {w.lower() for w in LATIN_WORD.findall(entry.msgid + entry.msgid_plural)}
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                french |= {w.lower() for w in LATIN_WORD.findall(text)}
        english |= {w.lower() for w in LATIN_WORD.findall(" ".join(ENGLISH_SEEN))}
        # Country names are django-countries' French; many are spelt as in English.
        with translation.override("fr"):
            french |= {w.lower() for _, name in countries for w in LATIN_WORD.findall(str(name))}
        _vocabulary.update(english - french - {w.lower() for w in ALLOWED_WORDS})
    return _vocabulary


# The English pages' own words, gathered as the walk renders each page in English
# too: English written straight into a template is in no catalogue.
ENGLISH_SEEN: list[str] = []


# --- The data every page shows ---------------------------------------------------


CANCEL_REASON = "A duplicate of an earlier request."


@dataclass
class World:
    article: Article
    closed_article: Article
    requests: dict[str, RepublicationRequest]
    licences: dict[str, Licence]
    content: list[str]
    # One licensee's correction and takedown notices (licensing.notices).
    notices: dict[str, LicenceNotice]


@pytest.fixture
def world(db, settings) -> World:
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # the page offers card payment
    reviewer = User.objects.create_user("desk", "desk@publisher.example", is_staff=True)
    article = make_article(
        title="Central Asian fighters in Syria join al-Nusra Front",
        slug="central-asian-fighters",
        standfirst="Hundreds of fighters have crossed the border this year.",
        author="Jane Doe",
        word_count=1272,
    )
    closed_article = make_article(title="Opinion: the long road home", republishable=False)
    requests = {
        status: make_request_in(
            article,
            status,
            actor=reviewer,
            country="DE",
            vat_number="DE136695976",
            word_count="400",
            extent="excerpt",
            audience_size="1250000",
        )
        for status in [
            "submitted",
            "info_requested",
            "awaiting_payment",
            "licensed",
            "declined",
            "withdrawn",
            "revoked",
            "expired",
        ]
    }
    with_credit_note = make_request_in(article, "awaiting_payment", actor=reviewer)
    with_credit_note.withdraw()
    requests["withdrawn_invoiced"] = with_credit_note
    cancelled = make_request_in(article, "awaiting_payment", actor=reviewer)
    assert cancelled.invoice is not None
    # Part-paid by transfer: its cancellation email announces the refund too.
    cancelled.invoice.record_payment(
        method="bank_transfer",
        amount_minor=5000,
        currency=cancelled.invoice.currency,
        received_on=timezone.localdate(),
    )
    cancelled.withdraw(actor=reviewer, note=CANCEL_REASON)
    requests["cancelled"] = cancelled
    requests["unconfirmed"] = make_request(article, confirmed=False)
    with time_machine.travel(timezone.now() - timedelta(days=400)):
        old = make_request(article, start_date=timezone.localdate().isoformat(), duration="1m")
        old.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    old.refresh_from_db()
    assert old.licence is not None
    old.licence.expire(on=timezone.localdate())
    future = make_request(
        article, start_date=(timezone.localdate() + timedelta(days=60)).isoformat()
    )
    future.approve(actor=reviewer, fee_minor=0, currency="GBP", validity_days=30)
    future.refresh_from_db()
    # A second article, corrected and then taken down, its licence withdrawn at the end.
    taken_down = make_article(title="Border towns after the floods", slug="border-towns")
    holder = make_licence_holder(taken_down, actor=reviewer)
    correction = ArticleNotice.send_correction(
        taken_down, actor=reviewer, message="The death toll was 41, not 14."
    )
    takedown = ArticleNotice.request_takedown(taken_down, actor=reviewer, reason="legal")
    notices = {
        "correction": correction.recipients.get(),
        "takedown": takedown.recipients.get(),
    }
    notices["correction"].acknowledge()
    withdrawn = Licence.objects.get(pk=holder.licence.pk)
    withdrawn.withdraw(on=timezone.localdate(), note="Withdrawn by the publisher.")
    licences = {
        "valid": requests["licensed"].licence,
        "revoked": requests["revoked"].licence,
        "expired": Licence.objects.get(pk=old.licence.pk),
        "not_yet_valid": future.licence,
        "withdrawn": withdrawn,
    }
    content = [
        *BRANDS,
        *(licence.attribution for licence in licences.values()),
        *(
            value
            for a in (article, closed_article, taken_down)
            for value in (a.title, a.standfirst, a.author)
        ),
        "The death toll was 41, not 14.",
        article.section,
        *SEARCHES,
        REPLY,
        "Amira Haddad",
        "The Daily Example",
        "1 Example Road",
        "Manchester M1 1AA",
        "Which edition?",
        "Not for this outlet.",
        "Published against the terms.",
        CANCEL_REASON,
    ]
    return World(article, closed_article, requests, licences, content, notices)


# --- The pages -------------------------------------------------------------------

Visit = Callable[[Client, World], Any]  # a response, or the HTML of one


def _as_requester(req_key: str, path: Callable[[RepublicationRequest], str]) -> Visit:
    def visit(client: Client, world: World) -> Any:
        req = world.requests[req_key]
        assert req.requester is not None
        client.force_login(req.requester)
        return client.get(path(req), follow=True)  # a refusal shows its message on the next page

    return visit


def _request_page(key: str) -> Visit:
    return _as_requester(key, lambda req: req.get_absolute_url())


def _unconfirmed_page(client: Client, world: World) -> Any:
    # Shown in the browser that sent it, before the address is confirmed.
    response = client.post(world.article.get_republish_url(), request_form_data(), follow=True)
    assert RepublicationRequest.objects.latest("id").status == "unconfirmed"
    return response


def _posted(key: str, action: str, data: dict[str, str]) -> Visit:
    def visit(client: Client, world: World) -> Any:
        req = world.requests[key]
        assert req.requester is not None
        client.force_login(req.requester)
        return client.post(f"/requests/{req.uuid}/{action}/", data, follow=True)

    return visit


def _resend(client: Client, world: World) -> Any:
    _unconfirmed_page(client, world)
    sent = RepublicationRequest.objects.latest("id")
    return client.post(f"/requests/{sent.uuid}/resend/", follow=True)


def _estimate(client: Client, world: World) -> Any:
    data = {k: v for k, v in request_form_data().items() if k != "accept_terms"}
    return client.get(f"/articles/{world.article.slug}/estimate/", data)


REPLY = "Merci / شكرًا"  # the requester's own words
SEARCHES = ["fighters", "zzzz"]  # one finds the article, one finds nothing


def _search(words: str) -> Visit:
    return lambda client, world: client.get("/articles/", {"q": words})


def _notice(key: str) -> Visit:
    """The "Done" page, as its email's signed link opens it."""
    return lambda client, world: client.get(
        acknowledgement_link(world.notices[key]).removeprefix(settings.PORTAL_BASE_URL)
    )


def _acknowledged(key: str) -> Visit:
    def visit(client: Client, world: World) -> Any:
        link = acknowledgement_link(world.notices[key]).removeprefix(settings.PORTAL_BASE_URL)
        return client.post(link, follow=True)

    return visit


def _verify(state: str) -> Visit:
    return lambda client, world: client.get(world.licences[state].get_absolute_url())


def _signed_in(client: Client, world: World) -> Any:
    req = world.requests["licensed"]
    assert req.requester is not None
    client.force_login(req.requester)
    return client.get("/account/")


def _signed_out(client: Client, world: World) -> Any:
    req = world.requests["licensed"]
    assert req.requester is not None
    client.force_login(req.requester)
    return client.post("/account/logout/", follow=True)


# Every public route, with the visits that show each of its states.
PAGES: dict[str, list[Visit]] = {
    "home": [lambda c, w: c.get("/")],
    "contact": [lambda c, w: c.get("/contact/")],
    "privacy": [lambda c, w: c.get("/privacy/")],
    "terms": [lambda c, w: c.get("/terms/")],
    "licensing:article_list": [
        lambda c, w: c.get("/articles/"),
        *[_search(words) for words in SEARCHES],
    ],
    "licensing:article_detail": [
        lambda c, w: c.get(w.article.get_absolute_url()),
        lambda c, w: c.get(w.closed_article.get_absolute_url()),
    ],
    "licensing:request_form": [
        lambda c, w: c.get(w.article.get_republish_url()),
        lambda c, w: c.post(
            w.article.get_republish_url(),
            request_form_data(
                accept_terms=None,
                audience_size="0",
                country="FR",
                vat_number="FR123",
                extent="excerpt",
                word_count="5000",
            ),
        ),
        lambda c, w: c.get(w.closed_article.get_republish_url()),
        _unconfirmed_page,
    ],
    "licensing:estimate": [_estimate],
    "licensing:republish_redirect": [
        lambda c, w: c.get("/republish/", {"url": "https://elsewhere.example/story"}),
        lambda c, w: c.get("/republish/", {"url": "https://www.middleeasteye.net/news/new-one"}),
    ],
    "licensing:request_detail": [
        *[
            _request_page(key)
            for key in [
                "submitted",
                "info_requested",
                "awaiting_payment",
                "licensed",
                "declined",
                "withdrawn",
                "withdrawn_invoiced",
                "revoked",
                "expired",
            ]
        ],
        lambda c, w: c.get(f"{w.requests['submitted'].get_absolute_url()}?link=forged"),
    ],
    "licensing:request_reply": [_posted("submitted", "reply", {"body": REPLY})],
    "licensing:request_withdraw": [
        _posted("submitted", "withdraw", {"step": "review"}),
        _posted("info_requested", "withdraw", {}),
    ],
    "licensing:request_resend": [_resend],
    "licensing:request_edit": [
        _as_requester("submitted", lambda req: f"/requests/{req.uuid}/edit/"),
        _posted("submitted", "edit", {**request_form_data(), "word_count": "0"}),
        _as_requester("licensed", lambda req: f"/requests/{req.uuid}/edit/"),
    ],
    "licensing:request_renew": [
        _as_requester("licensed", lambda req: f"/requests/{req.uuid}/renew/"),
        _as_requester("expired", lambda req: f"/requests/{req.uuid}/renew/"),
        _as_requester("submitted", lambda req: f"/requests/{req.uuid}/renew/"),
    ],
    "licensing:notice_acknowledge": [
        _notice("correction"),
        _notice("takedown"),
        _acknowledged("takedown"),
        lambda c, w: c.get(
            f"{acknowledgement_link(w.notices['takedown'])}x".removeprefix(settings.PORTAL_BASE_URL)
        ),
    ],
    "licensing:verify_form": [lambda c, w: c.get("/verify/")],
    "licensing:verify": [
        *[
            _verify(state)
            for state in ["valid", "revoked", "expired", "not_yet_valid", "withdrawn"]
        ],
        lambda c, w: c.get("/verify/LIC-2026-999999/"),
    ],
    "licensing:account": [_signed_in, lambda c, w: c.get("/account/", follow=True)],
    "licensing:account_login": [
        lambda c, w: c.get("/account/login/"),
        lambda c, w: c.post("/account/login/", {"email": "amira@outlet.example"}),
    ],
    "licensing:account_magic": [lambda c, w: c.get("/account/magic/", {"sesame": "forged"})],
    "licensing:account_logout": [_signed_out],
}

NOT_PAGES = {
    "healthz": "a probe for the load balancer, not read by people",
    "login": "staff sign-in: staff pages are English",
    "logout": "staff sign-out: staff pages are English",
    "admin_login": "the Django admin, for staff",
    "set_language": "the language switcher's form target: answers a redirect",
    "licensing:pay_by_card": "redirects to Stripe's own checkout page",
    "licensing:invoice_pdf": "a document: English, its summary line is walked below",
    "licensing:invoice_ubl": "an e-invoice (UBL XML) for accounting software",
    "licensing:credit_note_pdf": "a document: English legal text",
    "licensing:licence_pdf": "a document: English, its summary line is walked below",
    "licensing:verify_json": "the licence as ODRL JSON-LD, for machines",
    "licensing:staff_queue": "staff",
    "licensing:staff_queue_csv": "staff",
    "licensing:staff_bulk_assign": "staff",
    "licensing:staff_request": "staff",
    "licensing:staff_request_action": "staff",
    "licensing:staff_article": "staff",
    "licensing:staff_article_correction": "staff",
    "licensing:staff_article_takedown": "staff",
    "billing:stripe_webhook": "Stripe's webhook",
    "billing:invoice_list": "staff",
    "billing:invoice_csv": "staff",
    "billing:invoice_detail": "staff",
    "billing:record_transfer": "staff",
    "integrations:api_requests": "the JSON API",
    "integrations:demo_article": "a stand-in for the publisher's own site, DEBUG only",
}
NOT_PAGE_NAMESPACES = {"admin"}  # the Django admin's own pages, for staff

# Pages no URL leads to on purpose: error pages and a document store outage.
ERROR_PAGES = {
    "400.html": {},
    "403_csrf.html": {},
    "404.html": {},
    "429.html": {"minutes": 3},
    "500.html": {},
    "503.html": {},
    "licensing/document_unavailable.html": {"number": "LIC-2026-000001"},
}


def route_names() -> set[str]:
    def walk(patterns: list[Any], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or ""
                if inner in NOT_PAGE_NAMESPACES:
                    continue
                yield from walk(
                    pattern.url_patterns, f"{namespace}{inner}:" if inner else namespace
                )
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns, ""))


def test_every_route_is_walked_or_said_not_to_be_a_page() -> None:
    routes = route_names()
    unknown = routes - set(PAGES) - set(NOT_PAGES)
    assert unknown == set(), f"add these routes to PAGES (or NOT_PAGES, saying why): {unknown}"
    assert set(PAGES) | set(NOT_PAGES) <= routes, "a listed route no longer exists"
    assert not set(PAGES) & set(NOT_PAGES)


def test_every_top_level_page_template_is_walked() -> None:
    """A page template of templates/ that no route renders is an error page: walked too."""
    top = {path.name for path in TEMPLATES.glob("*.html")} - {"base.html"}
    assert top <= set(ERROR_PAGES)


def _html(response: Any) -> str:
    assert response is not None
    assert response.status_code < 500
    return response.content.decode()


def _walk(world: World, language: str) -> Iterator[tuple[str, str]]:
    for name, visits in PAGES.items():
        for n, visit in enumerate(visits):
            client = Client()
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            yield f"{name}[{n}]", _html(visit(client, world))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_on_any_public_page(world: World, language: str) -> None:
    ENGLISH_SEEN.extend(visible_text(html, "en") for _, html in _walk(world, "en"))
    _vocabulary.clear()
    left = {}
    for page, html in _walk(world, language):
        assert "<html" not in html or f'<html lang="{language}"' in html, page
        if words := english_left(visible_text(html, language), language, content=world.content):
            left[page] = words
    assert left == {}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(ERROR_PAGES))
def test_no_english_on_the_error_pages(db, language: str, template: str) -> None:
    request = RequestFactory().get("/")
    with translation.override(language):
        request.LANGUAGE_CODE = language
        html = render_to_string(template, ERROR_PAGES[template], request=request)
    assert f'<html lang="{language}"' in html
    assert english_left(visible_text(html, language), language, content=BRANDS) == []


# --- The emails ------------------------------------------------------------------


def _each(send: Callable[[RepublicationRequest], None], *requests: RepublicationRequest) -> None:
    for req in requests:
        send(req)


def _each_lead(licence: Licence) -> None:
    for days_before in LICENCE_REMINDER_DAYS:
        emails.send_licence_renewal_reminder(licence, days_before=days_before)


def _send_licence_issued(world: World) -> None:
    emails.send_licence_issued(world.licences["valid"], pdf=b"%PDF-1.7")


# Every email a requester receives, with what sends it.
EMAILS: dict[str, Callable[[World], None]] = {
    "request_received": lambda w: _each(
        emails.send_request_received, w.requests["unconfirmed"], w.requests["submitted"]
    ),
    "information_requested": lambda w: emails.send_information_requested(
        w.requests["info_requested"]
    ),
    "request_approved": lambda w: _each(
        emails.send_request_approved, w.requests["awaiting_payment"], w.requests["licensed"]
    ),
    "request_declined": lambda w: emails.send_request_declined(w.requests["declined"]),
    "quote_reminder": lambda w: emails.send_quote_reminder(w.requests["awaiting_payment"]),
    "quote_expired": lambda w: emails.send_quote_expired(w.requests["expired"]),
    "request_cancelled": lambda w: emails.send_request_cancelled(w.requests["cancelled"]),
    "licence_issued": _send_licence_issued,
    "licence_revoked": lambda w: emails.send_licence_revoked(w.licences["revoked"]),
    "licence_expired": lambda w: emails.send_licence_expired(w.licences["expired"]),
    "licence_renewal_reminder": lambda w: _each_lead(w.licences["valid"]),
    "article_correction": lambda w: emails.send_article_notice(w.notices["correction"]),
    "article_takedown": lambda w: emails.send_article_notice(w.notices["takedown"]),
    "licence_withdrawn": lambda w: emails.send_licence_withdrawn(w.licences["withdrawn"]),
    "magic_link": lambda w: emails.send_magic_link(
        email="amira@outlet.example",
        link="https://portal.example/account/magic/?sesame=x",
        language=translation.get_language(),
    ),
}
# Sent to the desk or to finance: English.
STAFF_EMAILS = {
    "new_request_reviewers",
    "reply_received",
    "overdue_reminder",
    "paid_requests_licensed",
    "payment_problem",
    "request_edited",
}


def test_every_email_is_walked_or_sent_to_staff() -> None:
    templates = {
        path.name.removesuffix("_subject.txt")
        for path in (TEMPLATES / "emails").glob("*_subject.txt")
    }
    assert templates == set(EMAILS) | STAFF_EMAILS
    assert not set(EMAILS) & STAFF_EMAILS


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(EMAILS))
def test_no_english_in_any_email_to_a_requester(world: World, language: str, template) -> None:
    RepublicationRequest.objects.update(ui_language=language)
    for req in world.requests.values():
        req.refresh_from_db()
    for licence in world.licences.values():
        licence.refresh_from_db()
    mail.outbox.clear()
    with translation.override(language):
        EMAILS[template](world)
    assert mail.outbox
    for message in mail.outbox:
        html = str(message.alternatives[0][0])
        assert f'<html lang="{language}"' in html
        for part, text in [
            ("subject", message.subject),
            ("text", str(message.body)),
            ("html", visible_text(html, language)),
        ]:
            assert english_left(text, language, content=world.content) == [], (template, part)


# --- The documents' summary lines ------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_in_the_documents_summary_lines(world: World, language: str) -> None:
    invoice = world.requests["awaiting_payment"].invoice
    assert invoice is not None
    lines = [invoice_summary(invoice, language)] + [
        licence_summary(licence, language) for licence in world.licences.values()
    ]
    for line in lines:
        assert english_left(line, language, content=world.content) == [], line


# --- The walker itself -------------------------------------------------------------


def test_the_walker_finds_english_where_it_is_left(world: World) -> None:
    """It sees an untranslated label in French and any Latin word in Arabic, not content."""
    page = '<html lang="fr"><p>Numéro de TVA</p><dt>Reason</dt><p>Payer par carte</p></html>'
    assert english_left(visible_text(page, "fr"), "fr", content=[]) == ["Reason"]
    page = '<html lang="ar"><p title="Due">المبلغ</p><p lang="en">Jane Doe wrote</p></html>'
    assert english_left(visible_text(page, "ar"), "ar", content=[]) == ["Due"]
    assert english_left("حضرة Amira Haddad", "ar", content=world.content) == []
    assert english_left("الرقم RR-2026-00001 و GB00EXAM00000000000000", "ar", content=[]) == []
