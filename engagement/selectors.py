"""Reads shared by engagement pages and API."""

from __future__ import annotations

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import Campaign, Invitation, Pledge, Team

# An invitation counts as sent when someone actually sent it: an organiser recorded it
# (a manager's e-mail, a poster), a participant e-mailed it to someone, or a participant's
# personal link was opened or brought a pledge (it was shared). The personal link every
# participant is given on joining is not an invitation until then (docs/decisions.md).
# The one rule for every funnel: campaign pages, the levers page, metrics, API, CSV, PDF.
INVITATION_SENT = (Q(organiser__isnull=False) | ~Q(invitee_email="")
                   | Q(first_opened_at__isnull=False) | Q(pledges__isnull=False))


def campaigns_with_progress() -> QuerySet[Campaign]:
    """Campaigns with their confirmed seats and waiting list size, in one query."""
    return Campaign.objects.select_related("programme").annotate(
        confirmed_seats=Coalesce(Sum("slots__confirmed_seats"), 0),
        capacity=Coalesce(Sum("slots__capacity"), 0),
    )


def invitation_funnel(campaign: Campaign | None = None) -> list[dict]:
    """Per lever and channel: invitations sent, opened, pledged, attended (for one
    campaign, or across all of them)."""
    invitations = Invitation.objects.all() if campaign is None else \
        Invitation.objects.filter(campaign=campaign)
    rows = (invitations
            .values("lever_code", "channel")
            .annotate(sent=Count("id", filter=INVITATION_SENT, distinct=True),
                      opened=Count("id", filter=Q(open_count__gt=0), distinct=True),
                      pledged=Count("pledges", filter=~Q(pledges__status="cancelled"),
                                    distinct=True),
                      attended=Count("pledges", filter=Q(pledges__attendance="attended"),
                                     distinct=True))
            .filter(sent__gt=0)
            .order_by("lever_code", "channel"))
    return list(rows)


def team_leaderboard() -> list[Team]:
    """Teams by hours given (attended pledges), then by people mobilised."""
    return list(Team.objects.annotate(
        people=Count("participants", filter=Q(
            participants__pledges__status=Pledge.Status.CONFIRMED), distinct=True),
        hours=Coalesce(Sum("participants__pledges__hours_given",
                           filter=Q(participants__pledges__attendance="attended")),
                       Value(0), output_field=DecimalField()),
    ).filter(people__gt=0).order_by("-hours", "-people", "name"))
