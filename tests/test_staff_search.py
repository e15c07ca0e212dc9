"""/staff/?q=: any fragment a reviewer remembers finds the request, best matches first.

Runs on whichever database the suite runs on: SQLite scans the folded
column, PostgreSQL answers through its trigram index; both rank by the same
expression, so the results must be the same.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from licensing.models import Article, RepublicationRequest
from portal.search import fold, search_terms
from tests.factories import approved_request, make_article, make_request, make_request_in

REFERENCE = re.compile(r">(RR-\d{4}-\d{5})</a>")


def found(client: Client, query: str, **params: str) -> list[str]:
    response = client.get("/staff/", {"q": query, **params})
    assert response.status_code == 200
    return REFERENCE.findall(response.content.decode())


@pytest.fixture
def desk(reviewer, article) -> dict[str, RepublicationRequest]:
    """Requests from people and outlets whose names carry accents, in several stages."""
    egypt = make_article(title="Égypte : la réforme du port d'Alexandrie")
    requests = {
        "amelie": make_request(
            article,
            contact_name="Amélie Lefèvre",
            email="amelie.lefevre@courrier-geneve.example",
            outlet_name="Le Courrier de Genève",
        ),
        "zoe": make_request(
            egypt,
            contact_name="Zoë Núñez",
            email="zoe@radio-cordoba.example",
            outlet_name="Radio Córdoba",
        ),
        "arabic": make_request(
            article,
            contact_name="مُحَمَّد الكاتب",
            email="m.katib@sahafa.example",
            outlet_name="الصحافة الحرة",
        ),
        "licensed": make_request_in(
            article,
            "licensed",
            actor=reviewer,
            contact_name="Søren Østergaard",
            email="soren@aarhus-tidende.example",
            outlet_name="Aarhus Tidende",
        ),
    }
    return requests


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amelie lefevre", "amelie"),  # no accents
        ("AMÉLIE LEFÈVRE", "amelie"),  # capitals
        ("Lefevre", "amelie"),
        ("lefèv", "amelie"),  # part of a word
        ("elie.lef", "amelie"),  # the middle of an email
        ("@courrier-geneve", "amelie"),  # a domain
        ("COURRIER-GENEVE.EXAMPLE", "amelie"),
        ("courrier de geneve", "amelie"),  # an outlet without accents
        ("zoe nunez", "zoe"),
        ("cordoba", "zoe"),
        ("egypte reforme", "zoe"),  # the article's title without accents
        ("alexandrie", "zoe"),
        ("محمد", "arabic"),  # typed without the vowel marks
        ("الصحافة", "arabic"),
        ("soren ostergaard", "licensed"),  # closed requests are found too
        ("aarhus", "licensed"),
    ],
)
def test_any_fragment_finds_the_request(
    reviewer_client: Client, desk, query: str, expected: str
) -> None:
    assert found(reviewer_client, query) == [desk[expected].reference]


def test_every_word_must_match(reviewer_client: Client, desk) -> None:
    assert found(reviewer_client, "amelie cordoba") == []
    assert found(reviewer_client, "nothing like this") == []


def test_a_short_word_matches_the_start_of_a_word(reviewer_client: Client, desk) -> None:
    assert found(reviewer_client, "zoe n") == [desk["zoe"].reference]
    # "n" inside a word ("Amélie Lefèvre de Genève") is not a word start.
    assert desk["amelie"].reference not in found(reviewer_client, "n")


def test_reference_in_any_case_and_in_part(reviewer_client: Client, desk) -> None:
    reference = desk["zoe"].reference
    assert found(reviewer_client, reference.lower()) == [reference]
    assert found(reviewer_client, f"  {reference}  ") == [reference]
    # Part of a reference is a word of the search text like any other.
    assert reference in found(reviewer_client, reference[-5:])


def test_invoice_credit_note_and_licence_numbers(
    reviewer_client: Client, reviewer, article
) -> None:
    invoiced = approved_request(article, actor=reviewer)
    cancelled = approved_request(article, actor=reviewer)
    cancelled.withdraw(actor=reviewer, note="Duplicate request.")
    licensed = make_request_in(article, "licensed", actor=reviewer)
    make_request(article)  # a bystander that must not match
    credit_note = cancelled.invoice.credit_notes.get()
    assert invoiced.invoice is not None
    assert found(reviewer_client, invoiced.invoice.number) == [invoiced.reference]
    assert found(reviewer_client, invoiced.invoice.number.lower()) == [invoiced.reference]
    assert found(reviewer_client, credit_note.number) == [cancelled.reference]
    assert found(reviewer_client, licensed.licence.number.lower()) == [licensed.reference]
    assert found(reviewer_client, "INV-2020-000999") == []


def test_best_match_first(reviewer_client: Client, article) -> None:
    loose = make_request(
        article,
        contact_name="Amélie Martin",
        email="desk@lefevre-presse.example",
        outlet_name="Lefèvre Presse",
    )
    exact = make_request(
        article,
        contact_name="Amélie Lefèvre",
        email="al@courrier.example",
        outlet_name="Le Courrier",
    )
    assert found(reviewer_client, "amelie lefevre") == [exact.reference, loose.reference]


def test_search_spans_every_stage_unless_a_tab_is_chosen(reviewer_client: Client, desk) -> None:
    assert found(reviewer_client, "aarhus") == [desk["licensed"].reference]
    assert found(reviewer_client, "aarhus", tab="waiting") == []
    assert found(reviewer_client, "aarhus", tab="closed") == [desk["licensed"].reference]


def test_the_search_form_keeps_a_chosen_tab(reviewer_client: Client, desk) -> None:
    html = reviewer_client.get("/staff/", {"tab": "closed"}).content.decode()
    assert '<input type="hidden" name="tab" value="closed"' in html
    opening = reviewer_client.get("/staff/").content.decode()
    assert 'name="tab"' not in opening


def test_renaming_an_article_updates_its_requests(reviewer_client: Client, desk) -> None:
    article = Article.objects.get(pk=desk["zoe"].article_id)
    article.title = "Le Caire, capitale du cinéma"
    article.save()
    assert found(reviewer_client, "cinema caire") == [desk["zoe"].reference]
    assert found(reviewer_client, "alexandrie") == []


def test_the_stored_text_is_folded(desk) -> None:
    stored = RepublicationRequest.objects.get(pk=desk["amelie"].pk).search_text
    assert "amelie lefevre" in stored
    assert "le courrier de geneve" in stored
    assert stored == fold(stored)
    assert search_terms("  Amélie   AMELIE lefèvre ") == ["amelie", "lefevre"]


@pytest.mark.django_db
def test_on_postgresql_the_trigram_index_serves_the_search() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'request_search_trgm_idx'"
        )
        (definition,) = cursor.fetchone()
        assert "gin_trgm_ops" in definition
        # Few rows make a sequential scan cheaper: ask the planner for the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        matches = RepublicationRequest.objects.search("lefevre").order_by().values("pk")
        sql, params = matches.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "request_search_trgm_idx" in plan


def test_query_count_does_not_grow_with_matches(reviewer_client: Client, article) -> None:
    def queries(query: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reviewer_client.get("/staff/", {"q": query}).status_code == 200
        return len(captured)

    make_request(article, contact_name="Amélie Lefèvre", email="one@x.example")
    reviewer_client.get("/staff/", {"q": "lefevre"})  # warm caches (session, content types)
    few = queries("lefevre")
    for n in range(30):
        make_request(article, contact_name="Amélie Lefèvre", email=f"a{n}@x.example")
    assert queries("lefevre") == few


def test_ranked_matches_keep_the_filters_and_tab(
    reviewer_client: Client, reviewer, article
) -> None:
    # The page's rows are the ids the count read: the filters must have chosen them.
    waiting = make_request(article, contact_name="Amélie Lefèvre", email="w@x.example")
    closed = make_request_in(
        article, "declined", actor=reviewer, contact_name="Amélie Lefèvre", email="c@x.example"
    )
    assert set(found(reviewer_client, "amelie lefevre")) == {waiting.reference, closed.reference}
    assert found(reviewer_client, "amelie lefevre", tab="closed") == [closed.reference]
    assert found(reviewer_client, "amelie lefevre", status="submitted") == [waiting.reference]
    html = reviewer_client.get("/staff/", {"q": "amelie lefevre"}).content.decode()
    assert "Best matches first." in html
    assert "2 requests." in html


def test_a_search_past_the_cap_keeps_the_desk_order(
    reviewer_client: Client, article, monkeypatch
) -> None:
    monkeypatch.setattr("licensing.views.staff.COUNT_CAP", 2)
    made = [
        make_request(article, contact_name="Zoë Núñez", email=f"z{n}@x.example") for n in range(3)
    ]
    html = reviewer_client.get("/staff/", {"q": "zoe"}).content.decode()
    assert "More than 2 requests: add words to narrow the search" in html
    assert "Best matches first." not in html
    # Waiting on us, the longest waiting first.
    assert REFERENCE.findall(html) == [req.reference for req in made]
