"""POST /requests/<uuid>/reply/: the requester writes to the desk."""

from django.core import mail
from django.test import Client

from licensing.models import Message, StatusChange


def test_reply_to_information_request_hands_it_back_to_staff(
    requester: Client, submitted, reviewer, settings, django_capture_on_commit_callbacks
) -> None:
    submitted.ask_for_information(actor=reviewer, message="Which edition will carry it?")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Which edition will carry it?" in html
    assert ">Information requested<" in html
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = requester.post(
            f"/requests/{submitted.uuid}/reply/", {"body": "The weekend edition."}, follow=True
        )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert submitted.waiting_on == "staff"
    assert "The weekend edition." in response.content.decode()
    assert "Your message was sent to our desk." in response.content.decode()
    last = StatusChange.objects.filter(request=submitted).last()
    assert (last.from_status, last.to_status) == ("info_requested", "submitted")
    assert mail.outbox[-1].to == [settings.REVIEWERS_EMAIL]
    assert "The weekend edition." in mail.outbox[-1].body


def test_reply_goes_to_the_assigned_reviewer(
    requester: Client, submitted, reviewer, django_capture_on_commit_callbacks
) -> None:
    submitted.assign(actor=reviewer, assignee=reviewer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        requester.post(f"/requests/{submitted.uuid}/reply/", {"body": "A question."})
    assert mail.outbox[-1].to == [reviewer.email]


def test_message_while_submitted_keeps_the_status(requester: Client, submitted) -> None:
    requester.post(f"/requests/{submitted.uuid}/reply/", {"body": "Any news?"})
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert Message.objects.get(request=submitted).sender == "requester"


def test_internal_notes_are_never_shown_to_the_requester(
    requester: Client, submitted, reviewer
) -> None:
    submitted.add_internal_note(actor=reviewer, body="Check their audience figures")
    html = requester.get(f"/requests/{submitted.uuid}/").content.decode()
    assert "Check their audience figures" not in html


def test_empty_or_overlong_reply_is_refused(requester: Client, submitted) -> None:
    for body in ["", "x" * 100_000]:
        response = requester.post(f"/requests/{submitted.uuid}/reply/", {"body": body})
        assert response.status_code == 400
        assert 'id="error_1_id_body"' in response.content.decode()
    assert Message.objects.count() == 0


def test_closed_request_refuses_replies(requester: Client, submitted, reviewer) -> None:
    submitted.decline(actor=reviewer, reason="Rights not held")
    response = requester.post(
        f"/requests/{submitted.uuid}/reply/", {"body": "Please?"}, follow=True
    )
    assert "is closed" in response.content.decode()
    assert Message.objects.filter(sender="requester").count() == 0


def test_stranger_cannot_reply(other_requester: Client, submitted) -> None:
    response = other_requester.post(f"/requests/{submitted.uuid}/reply/", {"body": "Hi"})
    assert response.status_code == 404
    assert Message.objects.count() == 0
