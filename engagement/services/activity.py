"""A participant's last action, which starts their retention period again.

Joining, pledging, checking in and answering a survey count; so does opening their own
page through the signed link, recorded at most once a day. One conditional UPDATE: no
read first, and nothing written when the row is already current. Acting again also
withdraws a retention warning (``retention_warned_at`` back to empty), so the schedule
starts a new cycle from this action."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ..models import Participant

# Opening one's own page counts once a day: a reload must not write a row each time.
PAGE_VIEW_GAP = timedelta(days=1)


def participant_touch(*, participant_id: int, now: datetime | None = None,
                      gap: timedelta = timedelta(0)) -> bool:
    """Record an action of this person now, unless one was recorded less than ``gap``
    ago or they were erased; True when the row changed."""
    now = now or timezone.now()
    return bool(Participant.objects.filter(
        pk=participant_id, erased_at__isnull=True, last_active_at__lt=now - gap,
    ).update(last_active_at=now, retention_warned_at=None))


def participant_page_opened(*, participant_id: int, now: datetime | None = None) -> bool:
    """The person opened one of their own pages: an action, counted at most once a day."""
    return participant_touch(participant_id=participant_id, now=now, gap=PAGE_VIEW_GAP)
