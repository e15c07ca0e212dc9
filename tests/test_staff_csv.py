"""/staff/requests.csv: the queue as filtered, every page of it, streamed, spreadsheet-safe."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from licensing.views.staff import CSV_HEADER
from tests.factories import approved_request, make_request, make_request_in

LONDON = ZoneInfo("Europe/London")


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == CSV_HEADER
    return list(reader)


def test_anonymous_is_sent_to_sign_in_and_others_get_404(finance, requester) -> None:
    response = Client().get("/staff/requests.csv")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/requests.csv"
    assert requester.get("/staff/requests.csv").status_code == 404
    finance_client = Client()
    finance_client.force_login(finance)
    assert finance_client.get("/staff/requests.csv").status_code == 404


def test_a_download_of_the_opening_view(reviewer_client: Client, reviewer, article) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        late = make_request(article, contact_name="Amélie Lefèvre")
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):
        recent = make_request(article)
        make_request_in(article, "declined", actor=reviewer)
        response = reviewer_client.get("/staff/requests.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="requests-2026-03-09.csv"'
    got = rows(response)
    assert [row["reference"] for row in got] == [late.reference, recent.reference]
    first = got[0]
    assert first["status"] == "Submitted"
    assert first["overdue"] == "yes"
    assert got[1]["overdue"] == ""
    assert first["contact_name"] == "Amélie Lefèvre"
    assert first["email"] == "amira@outlet.example"
    assert first["article_title"] == article.title
    assert first["received_at"] == "2026-03-02T09:00:00+00:00"
    assert first["waiting_on"] == "staff"


def test_documents_and_fees_of_decided_requests(reviewer_client: Client, reviewer, article) -> None:
    quoted = approved_request(article, actor=reviewer, fee_minor=12345)
    licensed = make_request_in(article, "licensed", actor=reviewer)
    licensed.assign(actor=reviewer, assignee=reviewer)
    got = {
        row["reference"]: row for row in rows(reviewer_client.get("/staff/requests.csv?tab=all"))
    }
    assert got[quoted.reference]["fee"] == "123.45"
    assert got[quoted.reference]["currency"] == "GBP"
    assert got[quoted.reference]["invoice_number"] == quoted.invoice.number
    assert got[licensed.reference]["licence_number"] == licensed.licence.number
    assert got[licensed.reference]["assignee"] == "reviewer"


def test_the_filters_and_search_of_the_list_apply(
    reviewer_client: Client, reviewer, article
) -> None:
    with time_machine.travel(datetime(2026, 2, 27, 12, 0, tzinfo=LONDON), tick=False):
        february = make_request(article, outlet_name="Radio Córdoba")
    with time_machine.travel(datetime(2026, 3, 1, 0, 30, tzinfo=LONDON), tick=False):
        march = make_request(article, outlet_name="Radio Córdoba")
        other = make_request(article, outlet_name="Other Outlet")
    # Local days: 00:30 on 1 March in London is still March.
    march_only = "/staff/requests.csv?tab=all&created_from=2026-03-01&created_to=2026-03-31"
    got = {r["reference"] for r in rows(reviewer_client.get(march_only))}
    assert got == {march.reference, other.reference}
    searched = rows(reviewer_client.get("/staff/requests.csv?q=radio+cordoba"))
    assert {r["reference"] for r in searched} == {february.reference, march.reference}
    february_only = rows(reviewer_client.get("/staff/requests.csv?q=cordoba&created_to=2026-02-28"))
    assert [r["reference"] for r in february_only] == [february.reference]


def test_cells_a_spreadsheet_would_run_are_neutralised(reviewer_client: Client, article) -> None:
    make_request(
        article,
        contact_name='=HYPERLINK("http://evil.example")',
        outlet_name="+SUM(A1:A9)",
    )
    row = rows(reviewer_client.get("/staff/requests.csv"))[0]
    assert row["contact_name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["outlet_name"] == "'+SUM(A1:A9)"


def test_bad_filters_answer_400_and_no_file(reviewer_client: Client, submitted) -> None:
    response = reviewer_client.get("/staff/requests.csv", {"created_from": "not a date"})
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert "Content-Disposition" not in response


def test_query_count_does_not_grow_with_rows(reviewer_client: Client, reviewer, article) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows(reviewer_client.get("/staff/requests.csv?tab=all"))
        return len(captured)

    approved_request(article, actor=reviewer)
    make_request(article)
    reviewer_client.get("/staff/requests.csv")  # warm caches (session, content types)
    few = queries()
    for _ in range(6):
        approved_request(article, actor=reviewer)
        make_request_in(article, "licensed", actor=reviewer)
    assert queries() == few
