"""Consultants accompanying an organisation."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.roles import Role

from ..models import Invitation, Membership, Organisation, User


def consultant_assignment_end(*, organisation: Organisation, consultant_id: int,
                              ended_by: User) -> None:
    """An owner ends a consultant's accompaniment: the consultant can no longer enter the
    space (from their next request), and invitations they sent and not yet accepted are
    revoked. The access log is kept."""
    from ..models import ConsultantAssignment

    if not Membership.objects.filter(organisation=organisation, user=ended_by,
                                     role=Role.OWNER).exists():
        raise DomainError({"consultant": [_("Only an owner can end an accompaniment.")]})
    with transaction.atomic():
        deleted, _rows = ConsultantAssignment.objects.filter(
            organisation=organisation, consultant_id=consultant_id).delete()
        if not deleted:
            raise DomainError({"consultant": [_("This consultant does not accompany your "
                                                "organisation.")]})
        Invitation.objects.filter(
            organisation=organisation, invited_by_id=consultant_id, accepted_at__isnull=True,
            revoked_at__isnull=True).update(revoked_at=timezone.now())
