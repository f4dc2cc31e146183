"""Reads shared by engagement pages and API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Lower
from django.utils.translation import gettext as _

from core.i18n import in_language
from core.roles import Role
from tenants.access import Access, sees_every_identity
from tenants.models import ConsultantAssignment, Membership, Organisation
from tenants.services import organisation_legal_bases

from .models import (
    Campaign,
    ConsentRecord,
    EmailDeliverability,
    Invitation,
    Participant,
    Pledge,
    PrivacyLog,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class InvitationCounts(TypedDict):
    counts_as_sent: bool
    pledged: int
    attended: int

# An invitation counts as sent when someone actually sent it: an organiser recorded it
# (a manager's e-mail, a poster), a participant e-mailed it to someone, or a participant's
# personal link was opened or brought a pledge (it was shared). The personal link every
# participant is given on joining is not an invitation until then (docs/decisions.md).
# The one rule for every funnel: campaign pages, the levers page, metrics, API, CSV, PDF.
INVITATION_SENT = (Q(organiser__isnull=False) | ~Q(invitee_email="")
                   | Q(first_opened_at__isnull=False) | Q(pledges__isnull=False))
# The same rule in raw SQL, for the analytic queries that name the invitation table ``i``.
INVITATION_SENT_SQL = f"""(i.organiser_id IS NOT NULL OR i.invitee_email <> ''
            OR i.first_opened_at IS NOT NULL
            OR EXISTS (SELECT 1 FROM {Pledge._meta.db_table} sent_pl
                       WHERE sent_pl.invitation_id = i.id))"""  # noqa: S608 - a table name only
# The lever a relaunch's invitations are recorded under (not in the catalogue, never
# offered in a form): they tell people about a pledge of their own, so the lever analysis
# leaves them out of its comparison (docs/decisions.md). In raw SQL for that query.
RELAUNCH_LEVER = "relaunch"
NOT_RELAUNCH_SQL = f"i.lever_code <> '{RELAUNCH_LEVER}'"


def relaunch_lever_name() -> str:
    """How a relaunch's invitations are named wherever levers are listed."""
    return _("Relaunch of a missed campaign")


# A pledge made through an invitation that still counts (confirmed or waiting).
_LIVE_PLEDGE = Q(pledges__isnull=False) & ~Q(pledges__status=Pledge.Status.CANCELLED)
_BY_PARTICIPANT = Q(inviter__isnull=False)
# The funnel of a set of invitations, all of them and the participants' own.
_FUNNEL = {
    "sent": Count("pk", filter=INVITATION_SENT, distinct=True),
    "opened": Count("pk", filter=Q(open_count__gt=0), distinct=True),
    "pledged": Count("pledges", filter=INVITATION_SENT & _LIVE_PLEDGE, distinct=True),
    "attended": Count("pledges", filter=Q(pledges__attendance=Pledge.Attendance.ATTENDED),
                      distinct=True),
    "sent_by_participants": Count("pk", filter=INVITATION_SENT & _BY_PARTICIPANT,
                                  distinct=True),
    "pledged_by_participants": Count(
        "pledges", filter=INVITATION_SENT & _LIVE_PLEDGE & _BY_PARTICIPANT, distinct=True),
}
FUNNEL_BY_LEVER_AND_CHANNEL = ("lever_code", "channel")


def campaigns_with_progress() -> QuerySet[Campaign]:
    """Campaigns with their confirmed seats and waiting list size, in one query."""
    return Campaign.objects.select_related("programme").annotate(
        confirmed_seats=Coalesce(Sum("slots__confirmed_seats"), 0),
        capacity=Coalesce(Sum("slots__capacity"), 0),
    )


def funnel_counts(invitations: QuerySet[Invitation] | None = None, *,
                  by: tuple[str, ...] = FUNNEL_BY_LEVER_AND_CHANNEL) -> list[dict[str, Any]]:
    """The invitation funnel, counted one way for the campaign pages, the levers page and
    every figure of the reports (dashboards, API, CSV, PDF): invitations sent
    (``INVITATION_SENT``), opened, the live pledges made through them and the pledges
    attended; and the participants' part (``sent_by_participants``,
    ``pledged_by_participants``).

    One row per value of the ``by`` fields (per lever and channel by default) that has an
    invitation sent, ordered by them; with ``by=()``, one row of totals. ``invitations``
    defaults to every invitation of the organisation."""
    invitations = (Invitation.objects.all() if invitations is None else invitations).order_by()
    if not by:
        return [invitations.aggregate(**_FUNNEL)]
    return list(invitations.values(*by).annotate(**_FUNNEL).filter(sent__gt=0).order_by(*by))


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


def invitations_with_funnel() -> QuerySet[WithAnnotations[Invitation, InvitationCounts]]:
    """Invitations with ``counts_as_sent`` (``INVITATION_SENT``), ``pledged`` (live pledges
    made through each) and ``attended``, by the very counts of ``funnel_counts``: the
    API's and the CSV's rows. A GROUP BY drops Meta.ordering, so it is spelled out for
    stable pages."""
    sent = Invitation.objects.filter(INVITATION_SENT, pk=OuterRef("pk"))
    return (Invitation.objects.select_related("campaign", "organiser")
            .annotate(counts_as_sent=Exists(sent), pledged=_FUNNEL["pledged"],
                      attended=_FUNNEL["attended"])
            .order_by("-sent_at", "-id"))


def participant_pledges(participant: Participant, *,
                        campaign: Campaign | None = None) -> QuerySet[Pledge]:
    """A participant's pledges that are not cancelled (of one campaign, or of all), with
    their slot and campaign, earliest first."""
    pledges = participant.pledges.exclude(status=Pledge.Status.CANCELLED)
    if campaign is not None:
        pledges = pledges.filter(slot__campaign=campaign)
    return pledges.select_related("slot__campaign").order_by("slot__starts_at")


def privacy_register(organisation: Organisation) -> dict[str, Any]:
    """The register of personal data (docs/privacy.md, "Register"), shared by its page and
    ``GET /api/v1/organisation/register/``: categories with their retention, purposes with
    their legal bases, roles and who sees what, consultants by name, sub-processors and
    counts. It names no participant. Texts are in the current language."""
    held = Participant.objects.filter(erased_at__isnull=True)
    counts = {role: Membership.objects.filter(organisation=organisation, role=role).count()
              for role in Role}
    return {
        "categories": _register_categories(organisation),
        "purposes": [{**row, "purpose": str(row["purpose"]),
                      "basis_label": str(row["basis_label"])}
                     for row in organisation_legal_bases(organisation)],
        "roles": [{"role": str(role), "label": str(role.label), "members": counts[role],
                   "sees_everyone": sees_every_identity(Access(role=role))}
                  for role in (Role.OWNER, Role.MANAGER, Role.VIEWER)],
        "consultants_see_everyone": sees_every_identity(
            Access(role=Role.MANAGER, via_consultant=True)),
        "consultants": [{"name": assignment.consultant.get_full_name(),
                         "assigned_at": assignment.assigned_at}
                        for assignment in ConsultantAssignment.objects.filter(
                            organisation=organisation).select_related("consultant")
                        .order_by("assigned_at")],
        "subprocessors": [{"name": item["name"],
                           "purpose": in_language(cast("dict[str, str]", item["purpose"])),
                           "country": in_language(cast("dict[str, str]", item["country"]))}
                          for item in settings.SUBPROCESSORS],
        "counts": {
            "held": held.count(),
            "erased": Participant.objects.filter(erased_at__isnull=False).count(),
            "consenting": held.filter(consent_to_contact=True).count(),
            "consent_records": ConsentRecord.objects.count(),
        },
        "privacy_log": [{"kind": row["kind"], "label": str(PrivacyLog.Kind(row["kind"]).label),
                         "count": row["total"]}
                        for row in PrivacyLog.objects.values("kind").order_by("kind")
                        .annotate(total=Sum("count"))],
    }


def _register_categories(organisation: Organisation) -> list[dict[str, str]]:
    participants = _("%(months)s months after the person's last action, then anonymised") % {
        "months": organisation.participant_retention_months}
    return [
        {"name": _("Participants' identity and contact"),
         "detail": _("first name, last name, e-mail address, language"), "kept": participants},
        {"name": _("Age band, postcode, site and team"),
         "detail": _("as the person gave them, to count the figures by group"),
         "kept": participants},
        {"name": _("Companions' first names"),
         "detail": _("on the pledges of people who come with others"), "kept": participants},
        {"name": _("Survey answers"), "detail": _("answers to the questions after an action"),
         "kept": participants},
        {"name": _("E-mails sent"), "detail": _("address, subject and text of each e-mail"),
         "kept": participants},
        {"name": _("Report files"), "detail": _("PDF reports, with figures only"),
         "kept": _("%(months)s months after they are made") % {
             "months": organisation.report_retention_months}},
        {"name": _("Members' accounts"), "detail": _("name, e-mail address, role, sessions"),
         "kept": _("as long as the person is a member")},
        {"name": _("Consultants' access"),
         "detail": _("who entered the space from Fullmobs, when, first page, network address"),
         "kept": _("as long as the organisation exists")},
    ]


def participants_with_deliverability(participants: QuerySet[Participant]
                                     ) -> QuerySet[Participant]:
    """``participants`` with what the e-mail provider reported of their address:
    ``undeliverable_since`` (None while it is deliverable) and ``undeliverable_reason``."""
    marked = EmailDeliverability.objects.filter(email=Lower(OuterRef("email")),
                                                undeliverable_since__isnull=False)
    return participants.annotate(
        undeliverable_since=Subquery(marked.values("undeliverable_since")[:1]),
        undeliverable_reason=Subquery(marked.values("reason")[:1]))
