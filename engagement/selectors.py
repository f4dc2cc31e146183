"""Reads shared by engagement pages and API."""

from __future__ import annotations

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
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


class _Total(Subquery):
    """The sum of a subquery's only column, 0 without rows (Django sums columns, not the
    rows of a grouped subquery)."""

    template = "(SELECT COALESCE(SUM(_rows.total), 0) FROM (%(subquery)s) AS _rows(total))"
    output_field = IntegerField()


def campaigns_with_mobilised() -> QuerySet[Campaign]:
    """Campaigns with ``mobilised`` (the rule of ``services.campaigns.mobilised_count``:
    people confirmed, each once with the largest party they bring, companions included)
    and their slots, in two queries whatever the number of campaigns."""
    parties = (Pledge.objects.filter(slot__campaign=OuterRef("pk"),
                                     status=Pledge.Status.CONFIRMED)
               .order_by().values("participant")
               .annotate(party=Max("companions") + 1).values("party"))
    return Campaign.objects.prefetch_related("slots").annotate(mobilised=_Total(parties))


def invitations_with_funnel() -> QuerySet[Invitation]:
    """Invitations with ``pledged`` (live pledges made through each) and ``attended``,
    counted like ``invitation_funnel``. A GROUP BY drops Meta.ordering, so it is spelled
    out for stable pages."""
    return (Invitation.objects.select_related("campaign", "organiser")
            .annotate(pledged=Count("pledges",
                                    filter=~Q(pledges__status=Pledge.Status.CANCELLED)),
                      attended=Count("pledges", filter=Q(
                          pledges__attendance=Pledge.Attendance.ATTENDED)))
            .order_by("-sent_at", "-id"))
