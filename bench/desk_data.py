"""A desk's history for the bench: articles, requests over five years, their documents.

Rows are streamed into PostgreSQL with COPY (psycopg's copy API), a
million requests in well under a minute. Each row is a function of its id
(a random generator seeded with it), so the data can be grown in steps: a
small desk first, the same desk with a million requests after. Names carry
accents ("Amélie Lefèvre") as real ones do, so the searches have work to do.
"""

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from django.utils.text import slugify

from portal.search import fold

YEARS = 5
CONTACTS = 40_000
OUTLETS = 6_000
FIRST = [
    "Amélie",
    "Zoë",
    "José",
    "François",
    "Łukasz",
    "Søren",
    "Chloé",
    "Renée",
    "Inès",
    "Hélène",
    "Jürgen",
    "Ramón",
    "Noémie",
    "Thérèse",
    "Agnès",
    "Björn",
    "Çağla",
    "Dóra",
    "Emilia",
    "Fatima",
    "Gaël",
    "Håkon",
    "Iñaki",
    "Jérôme",
    "Kateřina",
    "Léa",
    "Maëlle",
    "Niamh",
    "Óscar",
    "Pål",
    "Quentin",
    "Raphaël",
    "Siân",
    "Tomás",
    "Ugo",
    "Véronique",
    "Wiktor",
    "Xavière",
    "Yasmin",
    "Zdeněk",
    "Amira",
    "Omar",
    "Layla",
    "Youssef",
    "Sara",
    "Karim",
    "Nour",
    "Hana",
    "Malik",
    "Rania",
    "Tariq",
    "John",
    "Mary",
    "David",
    "Sarah",
    "Michael",
    "Emma",
    "Daniel",
    "Laura",
]
LAST = [
    "Lefèvre",
    "Müller",
    "García",
    "Núñez",
    "Østergaard",
    "Dupont",
    "Smith",
    "Haddad",
    "Kowalski",
    "Nováková",
    "Brontë",
    "Gómez",
    "Ibáñez",
    "Jørgensen",
    "Kühn",
    "López",
    "Martínez",
    "Nakamura",
    "O'Brien",
    "Pérez",
    "Quiñones",
    "Rossi",
    "Schäfer",
    "Tóth",
    "Ünal",
    "Vázquez",
    "Wójcik",
    "Öztürk",
    "Żukowski",
    "Benali",
    "Chaoui",
    "Darwish",
    "El-Amin",
    "Farouk",
    "Ghali",
    "Hassan",
    "Idrissi",
    "Jaber",
    "Khalil",
    "Mansour",
    "Naceur",
    "Othmani",
    "Qasim",
    "Rahman",
    "Saleh",
    "Tahir",
    "Wahbi",
    "Zidane",
    "Aubert",
    "Bernard",
    "Caron",
    "Denis",
    "Étienne",
    "Fabre",
    "Girard",
    "Hébert",
    "Jacob",
    "Lambert",
    "Mercier",
    "Noël",
    "Olivier",
    "Perrin",
    "Renaud",
    "Simon",
    "Thomas",
    "Vidal",
    "Brown",
    "Taylor",
    "Wilson",
    "Evans",
    "Walker",
    "Wright",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Jackson",
]
PLACES = [
    "Île-de-France",
    "Genève",
    "Córdoba",
    "Kraków",
    "Zürich",
    "Tunis",
    "Beyrouth",
    "Montréal",
    "Ankara",
    "Sfax",
    "Lyon",
    "Porto",
    "Aarhus",
    "Liège",
    "Bilbao",
    "Dakar",
    "Rabat",
    "Nantes",
    "Salé",
    "Québec",
    "Alger",
    "Oran",
    "Göteborg",
]
KINDS = [
    "Gazette",
    "Observer",
    "Herald",
    "Tribune",
    "Courrier",
    "Radio",
    "Post",
    "Review",
    "Presse",
    "Journal",
    "Times",
]
TOPICS = [
    "élections",
    "réfugiés",
    "economy",
    "water",
    "drought",
    "Syria",
    "Tunisie",
    "Égypte",
    "reform",
    "football",
    "cinéma",
    "climate",
    "protest",
    "budget",
    "health",
    "schools",
    "energy",
    "migration",
    "festival",
    "trade",
    "courts",
    "press",
    "freedom",
    "technology",
    "start-ups",
    "farming",
    "Nile",
    "Sahel",
    "Liban",
    "Maroc",
    "Kurdistan",
    "Yémen",
    "Gaza",
    "oil",
    "gas",
    "ports",
    "railways",
    "women",
    "youth",
    "music",
    "literature",
    "investigation",
    "corruption",
]
OUTLET_TYPES = ["newspaper", "website", "ngo", "broadcaster", "university", "book_publisher"]
MEDIA = ["online", "print", "print_online", "broadcast", "newsletter", "social"]
TERRITORIES = ["worldwide", "country", "uk_ie", "europe", "mena", "north_america"]
FEES = [5000, 15000, 25000, 40000, 75000]


def _ascii(text: str) -> str:
    return "".join(ch for ch in fold(text) if ch.isalnum())


@cache
def outlet_details(k: int) -> tuple[Any, ...]:
    """Requester `k`'s outlet as a request and an outlet row both give it: contact name,
    email, outlet name, website, type, country, audience and (no) VAT number."""
    who = contact(k)
    return (
        *(who[key] for key in ("contact_name", "email", "outlet_name", "website", "outlet_type")),
        "GB",
        1000 + k,
        "",
    )


def contact(k: int) -> dict[str, str]:
    """Requester k: a person at one outlet, always the same for the same k."""
    rng = random.Random(k * 7919 + 1)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    org = k % OUTLETS
    org_rng = random.Random(org * 104729 + 3)
    outlet = f"{org_rng.choice(['The', 'Le', 'La', 'Al', 'Radio'])} {org_rng.choice(PLACES)} "
    outlet += org_rng.choice(KINDS)
    domain = f"{slugify(outlet)}-{org}.example"
    email = f"{_ascii(first)}.{_ascii(last)}{k}@{domain}"
    return {
        "contact_name": f"{first} {last}",
        "email": email,
        "outlet_name": outlet,
        "outlet_type": OUTLET_TYPES[org % len(OUTLET_TYPES)],
        "website": f"https://{domain}",
        "folded": fold(f"{first} {last} {email} {outlet}"),
    }


@cache
def article_title(i: int) -> str:
    rng = random.Random(i * 31 + 7)
    words = rng.sample(TOPICS, 3)
    return f"{words[0].capitalize()} and {words[1]}: {words[2]} in {rng.choice(PLACES)}"


@cache
def folded_title(i: int) -> str:
    return fold(article_title(i))


def article_row(i: int, now: datetime) -> tuple[Any, ...]:
    title = article_title(i)
    slug = f"{slugify(title)[:90]}-{i}"
    published = now - timedelta(days=random.Random(i).random() * 365 * (YEARS + 1))
    return (
        ID_BASE + i,
        title,
        slug,
        "A standfirst for the bench.",
        "Bench correspondent",
        published,
        f"https://www.middleeasteye.net/bench/{slug}",
        "News",
        "en",
        800,
        False,
        True,
        now,
        now,
        fold(title),
        True,
    )


ARTICLE_COLUMNS = (
    "id, title, slug, standfirst, author, published_at, canonical_url, section, language, "
    "word_count, has_images, republishable, created_at, updated_at, search_text, in_catalogue"
)


# Statuses by age in days, with weights: the last days wait on someone,
# the last month has a backlog, older requests are closed.
STATUS_MIX: list[tuple[float, dict[str, int]]] = [
    (
        3,
        {
            "submitted": 60,
            "info_requested": 10,
            "awaiting_payment": 20,
            "licensed": 5,
            "declined": 5,
        },
    ),
    (
        30,
        {"submitted": 3, "info_requested": 8, "awaiting_payment": 15, "licensed": 50}
        | {"declined": 12, "withdrawn": 7, "expired": 5},
    ),
    (
        float("inf"),
        {"licensed": 60, "declined": 15, "withdrawn": 8, "expired": 13, "revoked": 2},
    ),
]


def _status(rng: random.Random, age_days: float) -> str:
    mix = next(weights for limit, weights in STATUS_MIX if age_days < limit)
    return rng.choices(list(mix), weights=list(mix.values()))[0]


class Desk:
    """Builds rows for requests first..last and the documents they imply."""

    def __init__(self, now: datetime, articles: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.articles = articles
        self.requests: list[tuple[Any, ...]] = []
        self.invoices: list[tuple[Any, ...]] = []
        self.credit_notes: list[tuple[Any, ...]] = []
        self.licences: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.outlets: set[int] = set()

    def request(self, n: int) -> None:
        rng = self.rng
        age = rng.random() * 365 * YEARS
        created = self.now - timedelta(days=age)
        status = _status(rng, age)
        k = int(CONTACTS * rng.random() ** 2)  # a few requesters ask far more often
        who = contact(k)
        self.outlets.add(k)
        article_id = int(self.articles * rng.random() ** 1.5)
        title = article_title(article_id)
        suggested = rng.choice(FEES)
        decided = created + timedelta(hours=rng.uniform(2, 60))
        closed_at = min(decided + timedelta(days=rng.uniform(0, 20)), self.now)
        open_statuses = {"submitted", "info_requested", "awaiting_payment"}
        waiting_since = (
            created
            if status == "submitted"
            else (min(decided, self.now) if status in open_statuses else closed_at)
        )
        approved = status in {"awaiting_payment", "licensed", "expired", "revoked"} or (
            status == "withdrawn" and rng.random() < 0.5
        )
        free = approved and status == "licensed" and rng.random() < 0.1
        fee = (0 if free else suggested) if approved else None
        invoice_id = None
        if approved and not free:
            invoice_id = n
            paid = status in {"licensed", "revoked"}
            void = status in {"expired", "withdrawn"}
            self.invoices.append(
                (
                    n,
                    uuid.UUID(int=rng.getrandbits(128)),
                    f"INV-{decided.year}-{n:06d}",
                    f"RR-{created.year}-{n:06d}",
                    f"Licence to republish article {article_id}",
                    "paid" if paid else "void" if void else "open",
                    "GBP",
                    decided.date(),
                    (decided + timedelta(days=30)).date(),
                    "{}",
                    "{}",
                    who["outlet_name"],
                    who["contact_name"],
                    who["email"],
                    "GB",
                    "",
                    "standard",
                    "",
                    suggested,
                    suggested // 5,
                    suggested + suggested // 5,
                    closed_at if paid else None,
                    closed_at if void else None,
                    decided,
                )
            )
            if void:
                self.credit_notes.append(
                    (
                        n,
                        uuid.UUID(int=rng.getrandbits(128)),
                        f"CN-{closed_at.year}-{n:06d}",
                        n,
                        "void",
                        "Quote expired unpaid." if status == "expired" else "Withdrawn.",
                        closed_at.date(),
                        suggested,
                        suggested // 5,
                        suggested + suggested // 5,
                        "",
                        closed_at,
                    )
                )
        if status in {"licensed", "revoked"}:
            self.licences.append(
                (
                    n,
                    uuid.UUID(int=rng.getrandbits(128)),
                    f"LIC-{closed_at.year}-{n:06d}",
                    n,
                    "revoked" if status == "revoked" else "valid",
                    "Middle East Eye",
                    who["outlet_name"],
                    who["contact_name"],
                    who["email"],
                    who["website"],
                    "GB",
                    title,
                    "",
                    f"https://www.middleeasteye.net/bench/{article_id}",
                    "en",
                    "online",
                    "en",
                    "worldwide",
                    "full",
                    False,
                    "",
                    closed_at.date(),
                    "Republished under licence.",
                    fee or 0,
                    "GBP",
                    f"INV-{decided.year}-{n:06d}" if invoice_id else "",
                    closed_at,
                    "",
                    "",
                    "",
                    closed_at if status == "revoked" else None,
                    "",
                )
            )
        self.history.append((n, "", "submitted", created, "Submitted by the requester."))
        if status != "submitted":
            self.history.append((n, "submitted", status, closed_at, ""))
        reference = f"RR-{created.year}-{n:06d}"
        self.requests.append(
            (
                n,
                uuid.UUID(int=rng.getrandbits(128)),
                reference,
                article_id,
                k + 1,
                status,
                *outlet_details(k),
                rng.choice(MEDIA),
                "en",
                rng.choice(TERRITORIES),
                created.date(),
                "1y",
                "full",
                False,
                "",
                "",
                created,
                "en",
                {"submitted": "staff", "info_requested": "requester"}.get(
                    status, "requester" if status == "awaiting_payment" else "nobody"
                ),
                waiting_since,
                None if status == "submitted" else decided,
                suggested,
                "GBP",
                fee,
                "GBP" if fee is not None else "",
                (decided + timedelta(days=30)).date() if invoice_id else None,
                decided if status != "submitted" and status != "info_requested" else None,
                "Out of scope." if status == "declined" else "",
                invoice_id,
                # RepublicationRequest.searchable_text(), from parts folded once.
                f"{reference.lower()} {who['folded']} {folded_title(article_id)}",
                created,
                closed_at,
            )
        )


REQUEST_COLUMNS = (
    "id, uuid, reference, article_id, outlet_id, status, contact_name, email, outlet_name, "
    "outlet_website, outlet_type, country, audience_size, vat_number, media, language, "
    "territory, start_date, duration, extent, include_images, edits, notes, "
    "terms_accepted_at, ui_language, waiting_on, waiting_since, first_response_at, "
    "suggested_fee_minor, suggested_currency, fee_minor, currency, quote_valid_until, "
    "decided_at, decline_reason, invoice_id, search_text, created_at, updated_at, "
    "outlet_address, purchase_order, granted_territory, granted_duration, granted_extent, "
    "granted_edits"
)
INVOICE_COLUMNS = (
    "id, uuid, number, reference, description, status, currency, issued_on, due_on, seller, "
    "bank_details, buyer_name, buyer_contact, buyer_email, buyer_country, buyer_vat_number, "
    "vat_treatment, vat_note, net_minor, vat_minor, total_minor, paid_at, voided_at, created_at, "
    "buyer_address, buyer_language, purchase_order, einvoice_xml, einvoice_sha256, pdf, "
    "pdf_sha256, exchange_rate_source"
)
CREDIT_NOTE_COLUMNS = (
    "id, uuid, number, invoice_id, kind, reason, issued_on, net_minor, vat_minor, "
    "total_minor, provider_reference, created_at, einvoice_xml, einvoice_sha256, pdf, "
    "pdf_sha256"
)
LICENCE_COLUMNS = (
    "id, uuid, number, request_id, status, publisher_name, licensee_name, licensee_contact, "
    "licensee_email, licensee_website, licensee_country, article_title, article_author, "
    "article_url, article_language, media, language, territory, extent, include_images, "
    "edits_allowed, "
    "start_date, attribution, fee_minor, currency, invoice_number, issued_at, "
    "revoke_reason, pdf, pdf_sha256, revoked_at, signing_certificate_sha256"
)
HISTORY_COLUMNS = "request_id, from_status, to_status, created_at, note, changes"


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: str, rows: Any) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _outlet_rows(ks: set[int], now: datetime) -> Iterator[tuple[Any, ...]]:
    for k in sorted(ks):
        yield (ID_BASE + k + 1, *outlet_details(k), now, now)


LOADED_TABLES = [
    "licensing_article",
    "licensing_outlet",
    "billing_invoice",
    "licensing_republicationrequest",
    "billing_creditnote",
    "licensing_licence",
    "licensing_statuschange",
]


def _secondary_indexes(cursor: psycopg.Cursor[Any]) -> list[tuple[str, str]]:
    """(name, definition) of the loaded tables' indexes that back no constraint."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
        [LOADED_TABLES],
    )
    return [(name, definition) for name, definition in cursor.fetchall()]


def grow(url: str, *, requests: int, articles: int, now: datetime) -> None:
    """Add articles and requests (with invoices, credit notes, licences, history) up to the sizes.

    Bench ids start at ID_BASE, above whatever the demo data holds. As a
    restore does: no per-row foreign key triggers (the rows are consistent
    by construction; a superuser's setting), and the indexes that back no
    constraint are dropped for the load and built again once at the end.
    """
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM licensing_article WHERE id >= %s", [ID_BASE])
        have_articles = cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute(
            "SELECT count(*) FROM licensing_republicationrequest WHERE id >= %s", [ID_BASE]
        )
        have = cursor.fetchone()[0]  # type: ignore[index]
        if have >= requests and have_articles >= articles:
            return
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        indexes = _secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        _copy(
            cursor,
            "licensing_article",
            ARTICLE_COLUMNS,
            (article_row(i, now) for i in range(have_articles, articles)),
        )
        step = 100_000
        for start in range(have, requests, step):
            desk = Desk(now, articles, seed=start)
            for n in range(start, min(start + step, requests)):
                desk.request(n)
            cursor.execute(
                "SELECT id - %s FROM licensing_outlet WHERE id > %s", [ID_BASE + 1, ID_BASE]
            )
            known = {row[0] for row in cursor.fetchall()}
            new_outlets = _outlet_rows(desk.outlets - known, now)
            _copy(cursor, "licensing_outlet", OUTLET_COLUMNS, _extended(new_outlets, BENCH_ADDRESS))
            _copy(
                cursor,
                "billing_invoice",
                INVOICE_COLUMNS,
                # No e-invoice XML nor stored PDF: the bench reads lists, never a document.
                # Every bench invoice is in sterling: no exchange rate (those columns NULL).
                _extended(_offset(desk.invoices, 0), BENCH_ADDRESS, "en", "", "", "", "", "", ""),
            )
            _copy(
                cursor,
                "licensing_republicationrequest",
                REQUEST_COLUMNS,
                # Granted as asked: no narrowed scope (the granted_* columns empty).
                _extended(_requests(desk), BENCH_ADDRESS, "", "", "", "", ""),
            )
            _copy(
                cursor,
                "billing_creditnote",
                CREDIT_NOTE_COLUMNS,
                _extended(_offset(desk.credit_notes, 0, 3), "", "", "", ""),
            )
            _copy(cursor, "licensing_licence", LICENCE_COLUMNS, _offset(desk.licences, 0, 3))
            _copy(
                cursor,
                "licensing_statuschange",
                HISTORY_COLUMNS,
                _extended(_offset(desk.history, 0), "[]"),  # no edits: no changes listed
            )
            conn.commit()
        for _name, definition in indexes:
            cursor.execute(definition)
        for table in LOADED_TABLES[:-1]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        # This year's new documents are numbered above every bench number.
        for prefix in ("RR", "INV", "CN", "LIC"):
            cursor.execute(
                "INSERT INTO portal_documentsequence (prefix, year, last_value) "
                "VALUES (%s, %s, %s) ON CONFLICT (prefix, year) "
                "DO UPDATE SET last_value = EXCLUDED.last_value",
                [prefix, now.year, requests],
            )
        conn.commit()


# Bench rows start here: the demo data keeps its own small ids.
ID_BASE = 100_000_000
OUTLET_COLUMNS = (
    "id, contact_name, email, name, website, outlet_type, country, audience_size, vat_number, "
    "created_at, updated_at, address"
)
# The postal address every bench outlet, request and invoice gives.
BENCH_ADDRESS = "1 Bench Street\nLondon EC1A 1AA"


def _extended(rows: Iterator[tuple[Any, ...]], *extra: Any) -> Iterator[tuple[Any, ...]]:
    """The rows with the same trailing values, for columns the bench leaves alike."""
    for row in rows:
        yield (*row, *extra)


def _offset(rows: list[tuple[Any, ...]], *positions: int) -> Iterator[tuple[Any, ...]]:
    """The rows with their ids (at `positions`) moved up to the bench's range."""
    for row in rows:
        yield tuple(
            ID_BASE + v if i in positions and v is not None else v for i, v in enumerate(row)
        )


def _requests(desk: Desk) -> Iterator[tuple[Any, ...]]:
    # id, article_id, outlet_id and invoice_id point at bench rows.
    for row in desk.requests:
        values = list(row)
        for i in (0, 3, 4, 35):
            if values[i] is not None:
                values[i] += ID_BASE
        yield tuple(values)
