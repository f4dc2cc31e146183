"""Retention of participants' personal data: the organisation keeps it for
``participant_retention_months`` after the person's last action (``last_active_at``, see
``activity``), then anonymises it.

Thirty days before, the person gets one warning e-mail, in their language, with the link
to their own page: opening it (or joining, pledging, answering) is an action, which
withdraws the warning and starts a new period. Someone still inactive, warned at least
thirty days ago, is anonymised by ``privacy.participant_erase`` (figures unchanged).

Both steps are idempotent and safe when two runs overlap: a warning is claimed by a
conditional UPDATE on the person's row (one run wins, the other updates nothing) and its
e-mail carries a dedupe key per person and cycle (the outbox's unique index decides);
an erasure locks the row and checks the conditions again. The privacy log gets counts,
never names."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from core.i18n import language
from core.tenancy import current_organisation

from .. import links
from ..models import EmailKind, Participant, PrivacyLog
from .outbox import dedupe_key, email_queue
from .privacy import participant_erase

# The warning goes out this long before the anonymisation, which waits at least as long
# after the warning.
NOTICE = timedelta(days=30)


def months_added(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar months (negative: back), the day clamped to the
    month's last (31 March − 1 month = 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_between(start: datetime, end: datetime) -> int:
    """Whole calendar months from ``start`` to ``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if months_added(start, months) > end else months


def retention_cutoff(*, now: datetime, months: int | None = None) -> datetime:
    """People whose last action is older than this are past the retention period."""
    if months is None:
        months = current_organisation().participant_retention_months
    return months_added(now, -months)


def erasure_date(*, participant: Participant, months: int) -> datetime:
    """When a warned person will be anonymised if they do nothing: the end of their
    period, and never less than ``NOTICE`` after the warning."""
    end = months_added(participant.last_active_at, months)
    warned = participant.retention_warned_at or timezone.now()
    return max(end, warned + NOTICE)


def retention_warnings_send(*, now: datetime | None = None) -> int:
    """Warn, once per cycle, the people whose period ends within ``NOTICE``; returns how
    many were warned (and logs that count)."""
    now = now or timezone.now()
    months = current_organisation().participant_retention_months
    due = Participant.objects.filter(
        erased_at__isnull=True, retention_warned_at__isnull=True,
        last_active_at__lt=retention_cutoff(now=now, months=months) + NOTICE)
    warned = 0
    for participant in due.iterator():
        with transaction.atomic():
            # The claim: a concurrent run, or an action since the read, makes it a no-op.
            claimed = Participant.objects.filter(
                pk=participant.pk, erased_at__isnull=True, retention_warned_at__isnull=True,
                last_active_at=participant.last_active_at).update(retention_warned_at=now)
            if not claimed:
                continue
            participant.retention_warned_at = now
            _warning_queue(participant=participant, months=months)
            warned += 1
    if warned:
        PrivacyLog.objects.create(kind=PrivacyLog.Kind.RETENTION_WARNING,
                                  actor=PrivacyLog.Actor.SCHEDULE, count=warned, at=now)
    return warned


def _warning_queue(*, participant: Participant, months: int) -> None:
    organisation = current_organisation()
    with translation.override(language(participant.language)), \
            timezone.override(organisation.time_zone):
        when = timezone.localtime(erasure_date(participant=participant, months=months))
        text = render_to_string(f"engagement/email/{EmailKind.RETENTION_WARNING}.txt", {
            "organisation_name": " ".join(organisation.name.split()),
            "date": formats.date_format(when, "DATE_FORMAT"),
            "months": months,
            "link": (link := links.manage_url(participant)),
        })
    subject, _newline, body = text.strip().partition("\n")
    # One warning per person and cycle: the cycle is named by the action it follows.
    key = dedupe_key(EmailKind.RETENTION_WARNING, participant=participant.pk,
                     since=int(participant.last_active_at.timestamp()))
    email_queue(kind=EmailKind.RETENTION_WARNING, dedupe_key=key,
                to_email=participant.email, subject=" ".join(subject.split())[:300],
                body=body.strip() + "\n", participant=participant,
                language=language(participant.language), action_url=link)


def retention_erase_due(*, now: datetime | None = None) -> int:
    """Anonymise the people past the retention period who were warned at least ``NOTICE``
    ago and have not acted since; returns how many. ``participant_erase`` logs each."""
    now = now or timezone.now()
    erased = 0
    for participant in _erasable(now=now).iterator():
        with transaction.atomic():
            # Locked and checked again: an action or another run may have come first.
            person = _erasable(now=now).select_for_update().filter(
                pk=participant.pk).first()
            if person is None:
                continue
            participant_erase(participant=person, actor=PrivacyLog.Actor.SCHEDULE, now=now)
            erased += 1
    return erased


def _erasable(*, now: datetime) -> QuerySet[Participant]:
    return Participant.objects.filter(
        erased_at__isnull=True, last_active_at__lt=retention_cutoff(now=now),
        retention_warned_at__lte=now - NOTICE,
        # The warning belongs to this period (an action since withdraws it anyway).
        retention_warned_at__gt=F("last_active_at"))


def participants_retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """One organisation's daily pass: anonymise those due, then warn the next ones."""
    now = now or timezone.now()
    return {"anonymised": retention_erase_due(now=now),
            "warned": retention_warnings_send(now=now)}
