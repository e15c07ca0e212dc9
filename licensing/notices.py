"""Corrections and takedowns: what the publisher tells every holder of a licence for an article.

A reviewer sends an ArticleNotice from the article's desk page; each licence
it reaches gets a LicenceNotice row, which carries its email, its one-click
acknowledgement and, for a takedown, the licence's end once the grace period
(TAKEDOWN_GRACE_DAYS) is over. Imported by licensing.models, so Django
registers the models with the licensing app.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from licensing import signals
from licensing.models import (
    MAX_LONG_TEXT_LENGTH,
    Article,
    Licence,
    LicenceStateError,
    LicenceStatus,
    RepublicationRequest,
    TransitionNotAllowed,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


class NoticeKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    TAKEDOWN = "takedown", _("Takedown request")


class TakedownReason(models.TextChoices):
    LEGAL = "legal", _("Legal reasons")
    SAFETY = "safety", _("The safety of people named or involved")
    ERROR = "error", _("A serious error in the article")


class NoLicenceHolders(Exception):
    """Nobody holds a valid or not-yet-valid licence for the article: a correction
    would reach nobody."""


class AlreadyTakenDown(Exception):
    """A takedown was requested for this article before; a second one would change nothing."""


def current_licences(article: Article, today: date | None = None) -> models.QuerySet[Licence]:
    """The licences a notice reaches: valid or not yet valid, and not past their end date
    (one the daily job has yet to mark expired is over all the same)."""
    today = today or timezone.localdate()
    return Licence.objects.filter(request__article=article, status=LicenceStatus.VALID).filter(
        models.Q(end_date__isnull=True) | models.Q(end_date__gte=today)
    )


class ArticleNotice(models.Model):
    """A correction or takedown request the publisher sent about one article."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=12, choices=NoticeKind)
    # A correction: what changed. A takedown: optional details for the licensees.
    message = models.TextField(blank=True, max_length=MAX_LONG_TEXT_LENGTH)
    reason = models.CharField(max_length=10, choices=TakedownReason, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    # A takedown: the last day its licences still hold; the daily job ends them after it.
    remove_by = models.DateField(null=True, blank=True)
    # Not stored: the references of the open requests request_takedown() closed,
    # on the notice it returns, for the desk's message.
    closed_requests: tuple[str, ...] = ()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            # A correction says what changed; a takedown says why and until when.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="correction", reason="", remove_by__isnull=True)
                    & ~models.Q(message="")
                )
                | (
                    models.Q(kind="takedown", remove_by__isnull=False)
                    & models.Q(reason__in=["legal", "safety", "error"])
                ),
                name="notice_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.article_id} on {self.sent_at:%Y-%m-%d}"

    @property
    def is_takedown(self) -> bool:
        return self.kind == NoticeKind.TAKEDOWN

    @property
    def sent_on(self) -> date:
        return timezone.localdate(self.sent_at)

    @classmethod
    def send_correction(cls, article: Article, *, actor: User, message: str) -> ArticleNotice:
        """Tell every current licensee what changed; raises NoLicenceHolders, saving
        nothing, when nobody holds a licence to tell."""
        with transaction.atomic():
            locked = _lock_article(article)
            licences = list(current_licences(locked))
            if not licences:
                raise NoLicenceHolders(
                    f"Nobody holds a valid or not-yet-valid licence for “{locked.title}”: "
                    "the correction was not sent."
                )
            return cls._send(
                locked, licences, actor=actor, kind=NoticeKind.CORRECTION, message=message
            )

    @classmethod
    def request_takedown(
        cls, article: Article, *, actor: User, reason: str, details: str = ""
    ) -> ArticleNotice:
        """Refuse new requests for the article, close the open ones, and ask every current
        licensee to take it down within the grace period, after which their licences end.

        Made even when nobody holds a licence: the article still stops taking
        requests, and the notice records why. Raises AlreadyTakenDown when a
        takedown was requested before.
        """
        if reason not in TakedownReason.values:
            raise ValueError(f"Unknown takedown reason {reason!r}.")
        with transaction.atomic():
            locked = _lock_article(article)
            earlier = cls.objects.filter(article=locked, kind=NoticeKind.TAKEDOWN).first()
            if earlier is not None:
                raise AlreadyTakenDown(
                    f"A takedown of “{locked.title}” was requested on "
                    f"{date_format(earlier.sent_on, 'j M Y')}: nothing was sent again."
                )
            Article.objects.filter(pk=locked.pk).update(
                republishable=False, updated_at=timezone.now()
            )
            locked.republishable = article.republishable = False
            closed = _close_open_requests(locked, actor=actor)
            remove_by = timezone.localdate() + timedelta(days=settings.TAKEDOWN_GRACE_DAYS)
            notice = cls._send(
                locked,
                list(current_licences(locked)),
                actor=actor,
                kind=NoticeKind.TAKEDOWN,
                message=details,
                reason=reason,
                remove_by=remove_by,
            )
            notice.closed_requests = closed
            return notice

    @classmethod
    def _send(
        cls,
        article: Article,
        licences: list[Licence],
        *,
        actor: User,
        kind: str,
        message: str,
        reason: str = "",
        remove_by: date | None = None,
    ) -> ArticleNotice:
        """Store the notice and one row per licence reached; emails and webhooks go on commit."""
        notice = cls(
            article=article,
            kind=kind,
            message=message.strip(),
            reason=reason,
            sent_by=actor,
            remove_by=remove_by,
        )
        notice.full_clean(exclude=["article", "sent_by"])
        notice.save()
        LicenceNotice.objects.bulk_create(
            LicenceNotice(notice=notice, licence=licence) for licence in licences
        )
        logger.info(
            "%s of article %s sent to %s licences: %s",
            notice.get_kind_display(),
            article.pk,
            len(licences),
            ", ".join(licence.number for licence in licences) or "none",
            extra={"notice": str(notice.uuid), "kind": kind},
        )
        signals.article_notice_sent_on_commit(notice)
        return notice

    def licence_numbers(self) -> list[str]:
        return list(
            self.recipients.order_by("licence__number").values_list("licence__number", flat=True)
        )

    @classmethod
    def withdraw_taken_down_licences(cls, *, today: date | None = None) -> int:
        """End, as withdrawn by the publisher, every licence a takedown reached whose
        grace period is over; returns how many. Run daily: a second run finds none."""
        today = today or timezone.localdate()
        due = (
            LicenceNotice.objects.filter(
                notice__kind=NoticeKind.TAKEDOWN,
                notice__remove_by__lt=today,
                licence__status=LicenceStatus.VALID,
            )
            .select_related("notice", "licence")
            .order_by("licence_id")
        )
        count = 0
        for reached in due:
            notice = reached.notice
            try:
                reached.licence.withdraw(
                    on=today,
                    note=(
                        f"Takedown requested on {notice.sent_on} ({notice.get_reason_display()}); "
                        f"the grace period ended on {notice.remove_by}."
                    ),
                )
            except LicenceStateError:
                continue  # revoked or expired since the query: it ended once, already
            count += 1
        return count


# What the requester reads on the request (and, for an undecided one, in its email).
# Stored in English like every note; in the catalogue (gettext_noop), so the
# requester's page and emails show it in their language ({% translate %} on the reason).
TAKEDOWN_CLOSING_NOTE = gettext_noop("The publisher has withdrawn this article from republication.")


def _close_open_requests(article: Article, *, actor: User) -> tuple[str, ...]:
    """No licence may follow a takedown: undecided requests are declined (the requester
    is told why), and an unpaid quote is withdrawn, its invoice voided, so it cannot be
    paid. A quote paid a moment ago keeps its payment, and its licence gets this
    takedown's notice like the others."""
    closed = []
    for request in RepublicationRequest.objects.filter(article=article).open().order_by("pk"):
        try:
            if request.allows("decline"):
                request.decline(actor=actor, reason=TAKEDOWN_CLOSING_NOTE)
            else:
                request.withdraw(actor=actor, note=TAKEDOWN_CLOSING_NOTE)
        except TransitionNotAllowed:
            logger.info("Request %s was paid as the takedown came: kept", request.reference)
        else:
            closed.append(request.reference)
    return tuple(closed)


def _lock_article(article: Article) -> Article:
    """The article's row, locked: two notices for one article are sent one after the other."""
    return Article.objects.select_for_update().get(pk=article.pk)


class LicenceNotice(models.Model):
    """One notice as it reaches one licence: its email and the licensee's acknowledgement."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    notice = models.ForeignKey(ArticleNotice, on_delete=models.CASCADE, related_name="recipients")
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="notices")
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-notice__sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "licence"], name="one_notice_per_licence")
        ]

    def __str__(self) -> str:
        return f"{self.notice} to {self.licence_id}"

    def acknowledge(self) -> bool:
        """The licensee says it is done. Returns False, changing nothing, when they said so
        before: the first date stands, so following the link twice is harmless."""
        with transaction.atomic():
            self.refresh_from_db(from_queryset=LicenceNotice.objects.select_for_update())
            if self.acknowledged_at is not None:
                return False
            self.acknowledged_at = timezone.now()
            self.save(update_fields=["acknowledged_at"])
        logger.info(
            "Notice %s acknowledged for licence %s",
            self.notice_id,
            self.licence_id,
            extra={"notice": str(self.uuid)},
        )
        return True

    def mark_emailed(self) -> None:
        LicenceNotice.objects.filter(pk=self.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
