"""A starting worker loads what its first tasks need before it takes one, and polls often.

portal.task_workers.warm_up() (run by `db_worker` before its first task) loads
the URL conf and sends `worker_starting`; licensing answers by loading the
licence's PDF stack, fonts, signer and email templates. A warm-up that fails
is logged and the worker goes on: it is a head start, not a precondition.
"""

import logging

import pytest
from django.template import engines
from reportlab.pdfbase import pdfmetrics

from licensing.receivers import warm_up_licence_delivery
from portal.management.commands.db_worker import POLL_INTERVAL, Command
from portal.pdf_text import BOLD, FONT
from portal.task_workers import warm_up, worker_starting


def test_licensing_answers_the_worker_starting_signal(settings) -> None:
    settings.LICENCE_SIGNING_P12 = ""
    answers = dict(worker_starting.send_robust(sender=None))
    assert warm_up_licence_delivery in answers
    assert answers[warm_up_licence_delivery] is None  # no error


def test_warm_up_loads_the_fonts_and_the_licence_email_templates(settings) -> None:
    settings.LICENCE_SIGNING_P12 = ""  # no signer configured: nothing to load, no error
    warm_up()
    assert {FONT, BOLD} <= set(pdfmetrics.getRegisteredFontNames())
    engine = engines["django"].engine
    for name in ("licence_issued_subject.txt", "licence_issued.txt", "licence_issued.html"):
        assert engine.get_template(f"emails/{name}").origin.template_name == f"emails/{name}"


def test_a_failing_warm_up_is_logged_and_the_worker_goes_on(caplog) -> None:
    def broken(sender: object, **kwargs: object) -> None:
        raise RuntimeError("no fonts here")

    worker_starting.connect(broken, dispatch_uid="test.broken_warm_up")
    try:
        with caplog.at_level(logging.ERROR, logger="portal.task_workers"):
            warm_up()  # does not raise
    finally:
        worker_starting.disconnect(dispatch_uid="test.broken_warm_up")
    assert "Task worker warm-up" in caplog.text
    assert "no fonts here" in caplog.text


@pytest.mark.parametrize(("argv", "interval"), [([], POLL_INTERVAL), (["--interval", "2"], 2.0)])
def test_an_idle_worker_polls_every_quarter_second_unless_told(argv, interval, settings) -> None:
    # The command's arguments name a database task backend, as production runs.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    parser = Command().create_parser("manage.py", "db_worker")
    assert parser.parse_args(argv).interval == interval
    assert POLL_INTERVAL == 0.25
