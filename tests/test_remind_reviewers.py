"""manage.py remind_reviewers: a daily email of requests waiting on staff past the target."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command

from tests.factories import make_request, make_request_in

LONDON = ZoneInfo("Europe/London")
FRIDAY = datetime(2026, 3, 6, 10, 0, tzinfo=LONDON)
TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=LONDON)
WEDNESDAY_MORNING = datetime(2026, 3, 11, 9, 0, tzinfo=LONDON)


def remind() -> str:
    out = StringIO()
    mail.outbox.clear()
    call_command("remind_reviewers", stdout=out)
    return out.getvalue().strip()


def test_overdue_requests_go_to_their_assignee_or_the_shared_address(
    settings, article, reviewer, second_reviewer
) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    with time_machine.travel(FRIDAY, tick=False):
        unassigned = make_request(article, outlet_name="Unassigned Daily")
        mine = make_request(article, outlet_name="Assigned Weekly")
        mine.assign(actor=reviewer, assignee=reviewer)
        theirs = make_request(article, outlet_name="Second Monthly")
        theirs.assign(actor=reviewer, assignee=second_reviewer)
        asked = make_request_in(article, "info_requested", actor=reviewer)
        closed = make_request_in(article, "declined", actor=reviewer)
    with time_machine.travel(TUESDAY, tick=False):
        recent = make_request(article, outlet_name="Recent Gazette")
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        output = remind()
    assert output == "3 overdue requests; 3 reminders sent."
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {
        ("desk@publisher.example",),
        ("reviewer@publisher.example",),
        ("second-reviewer@publisher.example",),
    }
    shared = by_recipient[("desk@publisher.example",)].body
    assert unassigned.reference in shared
    assert f"/staff/requests/{unassigned.pk}/" in shared
    assert mine.reference in by_recipient[("reviewer@publisher.example",)].body
    assert theirs.reference in by_recipient[("second-reviewer@publisher.example",)].body
    everything = "".join(message.body for message in mail.outbox)
    for not_due in [asked, closed, recent]:
        assert not_due.reference not in everything
    assert mine.reference not in shared


def test_several_overdue_requests_share_one_email(settings, article) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    with time_machine.travel(FRIDAY, tick=False):
        first, second = make_request(article), make_request(article)
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        assert remind() == "2 overdue requests; 1 reminder sent."
    [message] = mail.outbox
    assert message.to == ["desk@publisher.example"]
    assert first.reference in message.body
    assert second.reference in message.body


def test_assignee_without_email_falls_back_to_the_shared_address(settings, article) -> None:
    settings.REVIEWERS_EMAIL = "desk@publisher.example"
    quiet = User.objects.create_superuser("quiet", "", "pw")
    with time_machine.travel(FRIDAY, tick=False):
        req = make_request(article)
        req.assign(actor=quiet, assignee=quiet)
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        assert remind() == "1 overdue request; 1 reminder sent."
    assert [m.to for m in mail.outbox] == [["desk@publisher.example"]]


def test_within_target_nothing_is_sent(article) -> None:
    with time_machine.travel(datetime(2026, 3, 6, 16, 0, tzinfo=LONDON), tick=False):  # Friday
        make_request(article)
    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=LONDON), tick=False):  # Monday
        assert remind() == "0 overdue requests; 0 reminders sent."
    assert mail.outbox == []


def test_a_reply_restarts_the_clock(article, reviewer) -> None:
    with time_machine.travel(FRIDAY, tick=False):
        req = make_request_in(article, "info_requested", actor=reviewer)
    with time_machine.travel(TUESDAY, tick=False):
        req.reply(body="Here is the answer.")
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        assert remind() == "0 overdue requests; 0 reminders sent."
    assert mail.outbox == []
