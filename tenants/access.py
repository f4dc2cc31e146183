"""Who may enter an organisation's space, and as what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise

from core import roles
from core.roles import Role

from .models import ConsultantAccess, ConsultantAssignment, Membership, Organisation


@dataclass(frozen=True)
class Access:
    role: str
    via_consultant: bool = False

    def at_least(self, role: str) -> bool:
        return roles.at_least(self.role, role)

    @property
    def role_label(self) -> str | Promise:
        return Role(self.role).label

    @property
    def can_manage(self) -> bool:
        return self.at_least(Role.MANAGER)


def resolve_access(user, organisation: Organisation) -> Access | None:
    """The user's access to ``organisation``, or None.

    A membership wins over a consultant assignment. Consultants accompany the client as
    managers (they run programmes with them) but never as owners.
    """
    if not user.is_authenticated or not user.is_active or organisation.is_template:
        return None
    membership = (
        Membership.objects.filter(user=user, organisation=organisation).only("role").first()
    )
    if membership is not None:
        return Access(role=membership.role)
    if user.is_consultant and ConsultantAssignment.objects.filter(
        consultant=user, organisation=organisation
    ).exists():
        return Access(role=Role.MANAGER, via_consultant=True)
    return None


def require_role(request, role: str) -> Access:
    """The request's access if it has at least ``role``; 404 otherwise (no hint it exists)."""
    access = getattr(request, "access", None)
    if access is None or not access.at_least(role):
        raise Http404
    return access


def log_consultant_entry(request, organisation: Organisation) -> None:
    """Write one audit row when a consultant enters a client's space.

    "Enters" means the first request of a browser session; API clients without a session
    (token auth) are logged at most once an hour.
    """
    session = getattr(request, "session", None)
    key = f"consultant_entered:{organisation.pk}"
    if session is not None and session.session_key and session.get(key):
        return
    if session is None or not session.session_key:
        recent = timezone.now() - timedelta(hours=1)
        if ConsultantAccess.objects.filter(
            consultant=request.user, organisation=organisation, entered_at__gte=recent
        ).exists():
            return
    ConsultantAccess.objects.create(
        consultant=request.user,
        organisation=organisation,
        path=request.path[:500],
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    if session is not None and session.session_key:
        session[key] = True


# ---- who sees what of a participant (docs/security.md, "Who sees what") --------------------

# What identifies a participant (and the first names of the companions they bring).
PARTICIPANT_IDENTITY_FIELDS = frozenset({"email", "first_name", "last_name"})


def sees_participant_identity(access: Access | None, *, consented: bool) -> bool:
    """The one rule: may this access see who a participant is (name, e-mail, companions'
    names)? Owners and managers of the organisation, who run the actions (check-in,
    messages about a slot), see everyone. Viewers and Fullmobs consultants see only people
    who agreed to be contacted; the others appear as "Participant <row>", with their
    segment attributes (team, site, postcode, age band, language). Nobody else sees any."""
    if access is None:
        return False
    if access.via_consultant or not access.at_least(Role.MANAGER):
        return bool(consented)
    return True


def sees_every_identity(access: Access | None) -> bool:
    """Whether this access sees the identity of participants who did not consent."""
    return sees_participant_identity(access, consented=False)


def visible_participant_fields(access: Access | None, participant,
                               fields: frozenset[str] | set[str]) -> frozenset[str]:
    """Of ``fields`` (a serializer's, an export's), those this access may see of this
    participant."""
    if sees_participant_identity(access, consented=participant.consent_to_contact):
        return frozenset(fields)
    return frozenset(fields) - PARTICIPANT_IDENTITY_FIELDS


def mask_participant(access: Access | None, participant):
    """The participant as this access may see them, for pages: identity fields emptied in
    memory (never saved) and ``identity_hidden`` set, so a template cannot print them."""
    hidden = not sees_participant_identity(access, consented=participant.consent_to_contact)
    participant.identity_hidden = hidden
    if hidden:
        for name in PARTICIPANT_IDENTITY_FIELDS:
            setattr(participant, name, "")
    return participant


def mask_pledge(access: Access | None, pledge):
    """A pledge for pages and the API: its participant masked, and the companions' first
    names hidden with the participant's identity."""
    mask_participant(access, pledge.participant)
    if pledge.participant.identity_hidden:
        pledge.companion_names = ""
    return pledge


def identity_search_scope(access: Access | None, queryset, consent_field: str):
    """Restrict a search on names or e-mail addresses to the people whose identity this
    access sees (so that a search never confirms a hidden person's address)."""
    if sees_every_identity(access):
        return queryset
    return queryset.filter(**{consent_field: True})
