"""The safety net for sign-up notices: a pledge whose notice task never reached the broker
(down when the pledge was committed) is told by the schedule once the broker is back."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..models import Campaign, EmailKind, Pledge
from .message_schedule import pledge_notify
from .outbox import already_queued

# A notice task normally runs within seconds; one still missing after GRACE was lost.
GRACE = timedelta(minutes=2)
# Older pledges are left alone: a notice a day late would confuse more than it helps.
CATCH_UP = timedelta(days=1)
NOTICE_KINDS = (EmailKind.PLEDGE_CONFIRMED, EmailKind.PLEDGE_WAITLISTED,
                EmailKind.PLEDGE_AWAITING, EmailKind.PLEDGE_PROMOTED)
LIVE = (Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED, Pledge.Status.AWAITING_APPROVAL)
# Campaigns still ahead of their action: open, or open and past its target.
OPEN_CAMPAIGN = (Campaign.Status.OPEN, Campaign.Status.SUCCEEDED)


def missing_pledge_notices_queue(*, now: datetime) -> int:
    """Compose (and queue) the sign-up notice of each recent live pledge that has none,
    when its slot is still ahead and its campaign open (or past its target).
    Idempotent: the notices' dedupe keys (``<kind>:pledge:<id>``) make a second run, or a
    task that was only slow, add nothing. Returns how many pledges were caught up."""
    # Only what is still true and still ahead: a "you're in" for an action already begun,
    # or for a campaign that failed or took place, would be wrong news.
    pledges = Pledge.objects.filter(status__in=LIVE, created_at__gte=now - CATCH_UP,
                                    created_at__lt=now - GRACE, slot__starts_at__gt=now,
                                    slot__campaign__status__in=OPEN_CAMPAIGN)
    for kind in NOTICE_KINDS:
        pledges = pledges.exclude(already_queued(kind, pledge="pk"))
    pending = list(pledges.values_list("pk", flat=True))
    for pledge_id in pending:
        pledge_notify(pledge_id=pledge_id)
    return len(pending)
