"""/staff/: the reviewers' queue, its filters, overdue highlight and query budget."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from licensing.models import RepublicationRequest
from tests.factories import make_article, make_price_rule, make_request, make_request_in

LONDON = ZoneInfo("Europe/London")
REFERENCE = re.compile(r">(RR-\d{4}-\d{5})</a>")


def listed(response) -> list[str]:
    """The references in the queue table, top to bottom."""
    return REFERENCE.findall(response.content.decode())


def row_cells(response, reference: str) -> list[str]:
    """The text of each cell in the row of `reference`."""
    html = response.content.decode()
    tbody = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    row = next(r for r in tbody.split("<tr") if f">{reference}</a>" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    # The first cell is the bulk selection's checkbox.
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells[1:]]


def status_count(response, status: str) -> int:
    match = re.search(rf'data-status="{status}">(\d+)<', response.content.decode())
    assert match, status
    return int(match.group(1))


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Access ----------------------------------------------------------------


def test_anonymous_is_sent_to_staff_login(client: Client, db) -> None:
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/"


def test_requester_session_gets_404_and_no_data(requester: Client, submitted) -> None:
    response = requester.get("/staff/")
    assert response.status_code == 404
    assert submitted.reference not in response.content.decode()


def test_finance_user_gets_404(finance, submitted) -> None:
    response = client_for(finance).get("/staff/")
    assert response.status_code == 404
    assert submitted.reference not in response.content.decode()


def test_staff_flag_without_review_permission_gets_404(submitted) -> None:
    user = User.objects.create_user("clerk", "clerk@publisher.example", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_republicationrequest"))
    response = client_for(user).get("/staff/")
    assert response.status_code == 404
    assert submitted.reference not in response.content.decode()


def test_direct_review_permission_is_enough(submitted) -> None:
    user = User.objects.create_user("direct", "direct@publisher.example", "pw")
    user.user_permissions.add(Permission.objects.get(codename="review_request"))
    assert client_for(user).get("/staff/").status_code == 200


@pytest.mark.parametrize("who", ["reviewer", "superuser"])
def test_reviewer_and_superuser_see_the_queue(request, who: str, submitted) -> None:
    user = request.getfixturevalue(who)
    response = client_for(user).get("/staff/")
    assert response.status_code == 200
    assert listed(response) == [submitted.reference]


# --- Columns and ordering --------------------------------------------------


def test_row_shows_reference_article_outlet_medium_territory_fee_and_turn(
    reviewer_client: Client, article
) -> None:
    make_price_rule(name="Newspapers", outlet_type="newspaper", fee_minor=25000)
    req = make_request(article, media="print", territory="mena")
    cells = row_cells(reviewer_client.get("/staff/"), req.reference)
    assert cells[0] == f"{req.reference} Submitted"
    assert cells[1] == article.title
    assert cells[2] == "The Daily Example Newspaper or magazine"
    assert cells[3] == "Print"
    assert cells[4] == "Middle East and North Africa"
    assert cells[5] == "250.00 GBP suggested"
    assert cells[7] == "Us"
    assert cells[8] == "—"


def test_whose_turn_and_assignee(reviewer_client: Client, reviewer, article) -> None:
    asked = make_request_in(article, "info_requested", actor=reviewer)
    asked.assign(actor=reviewer, assignee=reviewer)
    closed = make_request_in(article, "declined", actor=reviewer)
    response = reviewer_client.get("/staff/", {"tab": "all"})
    assert row_cells(response, asked.reference)[7] == "Requester"
    assert row_cells(response, asked.reference)[8] == "reviewer"
    assert row_cells(response, closed.reference)[7] == "—"


def test_oldest_waiting_first_so_the_most_overdue_is_on_top(
    reviewer_client: Client, reviewer, article
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        oldest = make_request(article)
    with time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=LONDON), tick=False):
        middle = make_request(article)
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):
        newest = make_request(article)
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=LONDON), tick=False):
        response = reviewer_client.get("/staff/")
    assert listed(response) == [oldest.reference, middle.reference, newest.reference]
    assert row_cells(response, oldest.reference)[7] == "Us Overdue"
    assert row_cells(response, newest.reference)[7] == "Us"
    # A question hands the oldest to the requester: off the desk's waiting tab.
    oldest.ask_for_information(actor=reviewer, message="Which edition?")
    assert listed(reviewer_client.get("/staff/")) == [middle.reference, newest.reference]


def test_a_reply_puts_the_request_back_by_when_it_came(
    reviewer_client: Client, reviewer, article
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        asked = make_request_in(article, "info_requested", actor=reviewer)
        waiting = make_request(article)
    with time_machine.travel(datetime(2026, 3, 4, 9, 0, tzinfo=LONDON), tick=False):
        asked.reply(body="The print edition.")
        response = reviewer_client.get("/staff/")
    assert listed(response) == [waiting.reference, asked.reference]


def test_closed_requests_stay_off_the_opening_view(
    reviewer_client: Client, reviewer, article
) -> None:
    waiting = make_request(article)
    for status in ["info_requested", "awaiting_payment", "licensed", "declined", "withdrawn"]:
        make_request_in(article, status, actor=reviewer)
    assert listed(reviewer_client.get("/staff/")) == [waiting.reference]


@pytest.fixture
def one_of_each(reviewer, article) -> dict[str, RepublicationRequest]:
    return {
        status: make_request_in(article, status, actor=reviewer)
        for status in [
            "submitted",
            "info_requested",
            "awaiting_payment",
            "licensed",
            "declined",
            "withdrawn",
            "expired",
            "revoked",
        ]
    }


@pytest.mark.parametrize(
    ("tab", "statuses"),
    [
        ("waiting", {"submitted"}),
        ("requester", {"info_requested"}),
        ("payment", {"awaiting_payment"}),
        ("closed", {"licensed", "declined", "withdrawn", "expired", "revoked"}),
        (
            "all",
            {"submitted", "info_requested", "awaiting_payment", "licensed", "declined"}
            | {"withdrawn", "expired", "revoked"},
        ),
    ],
)
def test_each_tab_lists_its_stage(
    reviewer_client: Client, one_of_each, tab: str, statuses: set[str]
) -> None:
    response = reviewer_client.get("/staff/", {"tab": tab})
    assert set(listed(response)) == {one_of_each[s].reference for s in statuses}
    assert f'aria-current="page" href="?tab={tab}"' in response.content.decode()


def test_tabs_are_links_that_keep_the_filters(reviewer_client: Client, one_of_each) -> None:
    html = reviewer_client.get("/staff/", {"media": "online", "tab": "closed"}).content.decode()
    assert 'href="?tab=requester&amp;media=online"' in html
    assert 'href="?tab=all&amp;media=online"' in html


def test_all_tab_puts_our_turn_first_then_the_requesters_then_closed_latest_first(
    reviewer_client: Client, reviewer, article
) -> None:
    def at(day: int, status: str) -> RepublicationRequest:
        with time_machine.travel(datetime(2026, 3, day, 9, 0, tzinfo=LONDON), tick=False):
            return make_request_in(article, status, actor=reviewer)

    declined_early = at(2, "declined")
    asked_late = at(3, "info_requested")
    waiting_late = at(4, "submitted")
    declined_late = at(5, "declined")
    asked_early_reply = at(6, "awaiting_payment")
    waiting_early = at(1, "submitted")
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):
        response = reviewer_client.get("/staff/", {"tab": "all"})
    assert listed(response) == [
        waiting_early.reference,
        waiting_late.reference,
        asked_late.reference,
        asked_early_reply.reference,
        declined_late.reference,
        declined_early.reference,
    ]


def test_tab_counts_and_overdue_count(reviewer_client: Client, reviewer, article) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), tick=False):
        make_request(article)
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):
        make_request(article)
        make_request_in(article, "info_requested", actor=reviewer)
        for _ in range(3):
            make_request_in(article, "awaiting_payment", actor=reviewer)
        make_request_in(article, "declined", actor=reviewer)
        html = reviewer_client.get("/staff/").content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)', html))
    assert counts == {"waiting": "2", "overdue": "1", "requester": "1", "payment": "3"}


# --- Markers and fees ------------------------------------------------------


def test_requester_replied_marker_until_the_desk_acts(
    reviewer_client: Client, reviewer, article
) -> None:
    asked = make_request_in(article, "info_requested", actor=reviewer)
    quiet = make_request(article)
    asked.reply(body="The print edition, page 3.")
    response = reviewer_client.get("/staff/")
    assert "Requester replied" in row_cells(response, asked.reference)[0]
    assert "Requester replied" not in row_cells(response, quiet.reference)[0]
    # Answered by the desk: the reply is no longer news.
    asked.ask_for_information(actor=reviewer, message="Which page exactly?")
    response = reviewer_client.get("/staff/", {"tab": "requester"})
    assert "Requester replied" not in row_cells(response, asked.reference)[0]


def test_a_message_while_submitted_also_marks_a_reply(reviewer_client: Client, article) -> None:
    req = make_request(article)
    req.reply(body="We would also like the photo.")
    assert "Requester replied" in row_cells(reviewer_client.get("/staff/"), req.reference)[0]


def test_edited_marker_follows_a_history_row_that_changes_no_status(
    reviewer_client: Client, article
) -> None:
    edited = make_request(article)
    plain = make_request(article)
    # What an edit by the requester records: the status stays what it was.
    edited.status_changes.create(
        from_status="submitted", to_status="submitted", note="Territory: Worldwide -> Europe."
    )
    response = reviewer_client.get("/staff/")
    assert "Edited" in row_cells(response, edited.reference)[0]
    assert "Edited" not in row_cells(response, plain.reference)[0]


def test_fee_column_shows_the_approved_fee_once_decided(
    reviewer_client: Client, reviewer, article
) -> None:
    make_price_rule(name="All", fee_minor=25000)
    undecided = make_request(article)
    asked = make_request_in(article, "info_requested", actor=reviewer)
    quoted = make_request_in(article, "awaiting_payment", actor=reviewer)  # at 100.00 GBP
    free = make_request_in(article, "licensed", actor=reviewer)  # at zero
    declined = make_request_in(article, "declined", actor=reviewer)
    response = reviewer_client.get("/staff/", {"tab": "all"})
    assert row_cells(response, undecided.reference)[5] == "250.00 GBP suggested"
    assert row_cells(response, asked.reference)[5] == "250.00 GBP suggested"
    assert row_cells(response, quoted.reference)[5] == "100.00 GBP"
    assert row_cells(response, free.reference)[5] == "0.00 GBP"
    assert row_cells(response, declined.reference)[5] == "—"


# --- Filters and search ----------------------------------------------------


@pytest.fixture
def mixed(reviewer, second_reviewer) -> dict[str, RepublicationRequest]:
    """Four requests that differ in status, outlet type, medium and assignee."""
    first = make_article(title="Floods in the delta")
    second = make_article(title="Elections in Tunisia")
    requests = {
        "newspaper": make_request(first, outlet_name="Daily Bugle", email="desk@bugle.example"),
        "ngo": make_request(
            second, outlet_type="ngo", outlet_name="Aid Watch", email="press@aidwatch.example"
        ),
        "print": make_request(
            first, media="print", outlet_name="Paper Post", email="ed@paperpost.example"
        ),
        "asked": make_request_in(
            second, "info_requested", actor=reviewer, outlet_name="Radio Sahel"
        ),
    }
    requests["ngo"].assign(actor=reviewer, assignee=reviewer)
    requests["print"].assign(actor=reviewer, assignee=second_reviewer)
    return requests


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "info_requested"}, {"asked"}),
        ({"status": "submitted"}, {"newspaper", "ngo", "print"}),
        ({"outlet_type": "ngo"}, {"ngo"}),
        ({"media": "print"}, {"print"}),
        ({"assignee": "me"}, {"ngo"}),
        ({"assignee": "none"}, {"newspaper"}),
        ({"assignee": "none", "tab": "all"}, {"newspaper", "asked"}),
        ({"q": "aid watch"}, {"ngo"}),
        ({"q": "ED@PAPERPOST.EXAMPLE"}, {"print"}),
        ({"q": "tunisia"}, {"ngo", "asked"}),
        ({"status": "submitted", "q": "tunisia"}, {"ngo"}),
        ({"status": "declined"}, set()),
    ],
)
def test_filters_and_search(
    reviewer_client: Client, mixed, params: dict[str, str], expected: set[str]
) -> None:
    response = reviewer_client.get("/staff/", params)
    assert response.status_code == 200
    assert set(listed(response)) == {mixed[name].reference for name in expected}


def test_filter_by_another_reviewer(reviewer_client: Client, second_reviewer, mixed) -> None:
    response = reviewer_client.get("/staff/", {"assignee": str(second_reviewer.pk)})
    assert listed(response) == [mixed["print"].reference]


def test_search_by_reference(reviewer_client: Client, mixed) -> None:
    reference = mixed["newspaper"].reference
    assert listed(reviewer_client.get("/staff/", {"q": reference.lower()})) == [reference]


def test_no_match_says_so(reviewer_client: Client, mixed) -> None:
    response = reviewer_client.get("/staff/", {"q": "nothing like this"})
    assert listed(response) == []
    assert "No requests match these filters." in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"status": "bogus"},
        {"page": "abc"},
        {"page": "9999"},
        {"page": "-1"},
        {"assignee": "123456"},
        {"assignee": "x' OR 1=1"},
        {"media": "<script>"},
        {"outlet_type": ""},
        {"q": "x" * 300},
    ],
)
def test_bad_filter_values_still_show_the_page(
    reviewer_client: Client, submitted, params: dict[str, str]
) -> None:
    response = reviewer_client.get("/staff/", params)
    assert response.status_code == 200
    assert listed(response) == [submitted.reference]


def test_one_bad_filter_does_not_drop_the_others(
    reviewer_client: Client, reviewer, submitted, article
) -> None:
    declined = make_request_in(article, "declined", actor=reviewer)
    response = reviewer_client.get("/staff/", {"status": "declined", "media": "bogus"})
    assert response.status_code == 200
    assert listed(response) == [declined.reference]
    assert "Select a valid choice. bogus is not one of the available choices." in (
        response.content.decode()
    )


def test_pagination_25_per_page_keeps_filters(reviewer_client: Client, reviewer, article) -> None:
    requests = [make_request(article) for _ in range(27)]
    make_request_in(article, "declined", actor=reviewer)
    first = reviewer_client.get("/staff/", {"status": "submitted"})
    html = first.content.decode()
    assert len(listed(first)) == 25
    assert "Page 1 of 2" in html
    assert 'href="?status=submitted&amp;page=2"' in html
    second = reviewer_client.get("/staff/", {"status": "submitted", "page": "2"})
    assert len(listed(second)) == 2
    assert 'href="?status=submitted&amp;page=1"' in second.content.decode()
    shown = set(listed(first)) | set(listed(second))
    assert shown == {req.reference for req in requests}


def test_an_unconfirmed_request_is_not_on_the_desk(
    reviewer_client: Client, reviewer, article
) -> None:
    confirmed = make_request_in(article, "submitted", actor=reviewer)
    unconfirmed = make_request(article, confirmed=False, email="someone@else.example")
    for tab in ("waiting", "requester", "payment", "closed", "all"):
        html = reviewer_client.get("/staff/", {"tab": tab}).content.decode()
        assert unconfirmed.reference not in html, tab
    assert confirmed.reference in reviewer_client.get("/staff/").content.decode()
    # Not the desk's until confirmed: its page is not there either.
    assert reviewer_client.get(f"/staff/requests/{unconfirmed.pk}/").status_code == 404


def test_long_lists_count_up_to_a_cap(
    reviewer_client: Client, reviewer, article, monkeypatch
) -> None:
    monkeypatch.setattr("licensing.views.staff.COUNT_CAP", 3)
    monkeypatch.setattr("licensing.views.staff.QUEUE_PAGE_SIZE", 2)
    for _ in range(5):
        make_request_in(article, "declined", actor=reviewer)
    html = reviewer_client.get("/staff/", {"tab": "closed"}).content.decode()
    assert "More than 3 requests." in html
    assert "Page 1</span>" in html
    assert 'href="?tab=closed&amp;page=2"' in html
    few = reviewer_client.get("/staff/", {"tab": "waiting"}).content.decode()
    assert "0 requests." in few


# --- Overdue ---------------------------------------------------------------


def test_waiting_on_staff_past_two_working_days_is_overdue(
    reviewer_client: Client, article
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):  # Monday
        late = make_request(article)
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=LONDON), tick=False):  # Tuesday
        recent = make_request(article)
    with time_machine.travel(datetime(2026, 3, 4, 11, 0, tzinfo=LONDON), tick=False):  # Wednesday
        response = reviewer_client.get("/staff/")
    assert row_cells(response, late.reference)[7] == "Us Overdue"
    assert row_cells(response, recent.reference)[7] == "Us"
    assert response.content.decode().count("table-warning") == 1


def test_friday_afternoon_request_is_not_overdue_on_monday_morning(
    reviewer_client: Client, article
) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 16, 0, tzinfo=LONDON), tick=False):  # Friday
        req = make_request(article)
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):  # Monday
        assert row_cells(reviewer_client.get("/staff/"), req.reference)[7] == "Us"
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=LONDON), tick=False):  # Tuesday
        assert row_cells(reviewer_client.get("/staff/"), req.reference)[7] == "Us"
    with time_machine.travel(datetime(2026, 3, 10, 17, 0, tzinfo=LONDON), tick=False):
        assert row_cells(reviewer_client.get("/staff/"), req.reference)[7] == "Us Overdue"


def test_bank_holiday_does_not_count(reviewer_client: Client, article) -> None:
    # Good Friday (3 April 2026) and Easter Monday (6 April, an England-only
    # bank holiday, counted through WORKING_DAYS_COUNTRY="GB-ENG") are off.
    with time_machine.travel(datetime(2026, 4, 2, 10, 0, tzinfo=LONDON), tick=False):  # Thursday
        req = make_request(article)
    with time_machine.travel(datetime(2026, 4, 7, 11, 0, tzinfo=LONDON), tick=False):  # Tuesday
        assert row_cells(reviewer_client.get("/staff/"), req.reference)[7] == "Us"
    with time_machine.travel(datetime(2026, 4, 8, 11, 0, tzinfo=LONDON), tick=False):  # Wednesday
        assert row_cells(reviewer_client.get("/staff/"), req.reference)[7] == "Us Overdue"


def test_waiting_on_requester_is_never_overdue(reviewer_client: Client, reviewer, article) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=LONDON), tick=False):
        asked = make_request_in(article, "info_requested", actor=reviewer)
    with time_machine.travel(datetime(2026, 3, 20, 10, 0, tzinfo=LONDON), tick=False):
        response = reviewer_client.get("/staff/", {"tab": "requester"})
    assert row_cells(response, asked.reference)[7] == "Requester"
    assert "table-warning" not in response.content.decode()


# --- Performance -----------------------------------------------------------


def _queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/")
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_requests(
    reviewer_client: Client, reviewer, second_reviewer, django_assert_max_num_queries
) -> None:
    articles = [make_article() for _ in range(4)]
    make_price_rule(name="Everything", fee_minor=5000)

    def add(n: int) -> None:
        for i in range(n):
            req = make_request(articles[i % 4], email=f"outlet{i}@example.org")
            if i % 3 == 0:
                req.assign(actor=reviewer, assignee=[reviewer, second_reviewer][i % 2])

    add(3)
    reviewer_client.get("/staff/")  # warm caches (content types, session)
    with_three = _queue_queries(reviewer_client)
    add(37)
    assert RepublicationRequest.objects.count() == 40
    with django_assert_max_num_queries(with_three):
        response = reviewer_client.get("/staff/")
    assert len(listed(response)) == 25
    assert _queue_queries(reviewer_client) == with_three


def test_rows_show_the_labels_get_display_would(reviewer_client: Client, reviewer, article) -> None:
    from licensing.models import Medium, OutletType, RequestStatus, choice_label

    req = make_request_in(article, "declined", actor=reviewer)
    html = reviewer_client.get("/staff/", {"tab": "closed"}).content.decode()
    for shown in (req.get_status_display(), req.get_outlet_type_display(), req.get_media_display()):
        assert f">{shown}</span>" in html or f"<td>{shown}</td>" in html, shown
    for choices in (RequestStatus, OutletType, Medium):
        for value, label in choices.choices:
            assert choice_label(choices, value) == str(label)
    assert choice_label(Medium, "not-a-medium") == "not-a-medium"  # as get_FOO_display


def test_the_filters_keep_their_chosen_options(reviewer_client: Client, second_reviewer) -> None:
    html = reviewer_client.get(
        "/staff/",
        {"status": "declined", "outlet_type": "newspaper", "media": "online", "assignee": "none"},
    ).content.decode()
    assert '<option value="declined" selected>' in html
    assert '<option value="newspaper" selected>' in html
    assert '<option value="online" selected>' in html
    assert '<option value="none" selected>Unassigned</option>' in html
    assert f'<option value="{second_reviewer.pk}">{second_reviewer.username}</option>' in html
