"""The person's choice to keep their actions in their Fullmobs profile, in this
organisation: ticking writes the public link (a keyed hash of their address, the
organisation, their id here), unticking removes it, in the same transaction as the
person's row is locked, so the link never outlives a choice or an erasure."""

from __future__ import annotations

from django.db import transaction

from core.tenancy import current_organisation
from profiles.services import profile_link_exists, profile_link_remove, profile_link_set

from ..models import Participant


def participant_profile_kept(participant: Participant) -> bool:
    """Whether the person's actions here show in their Fullmobs profile."""
    return profile_link_exists(organisation_id=current_organisation().pk,
                               participant_id=participant.pk)


def participant_profile_keep(*, participant: Participant, keep: bool) -> bool:
    """Link (``keep``) or unlink the person's actions here; returns the choice now held.
    An erased person links nothing."""
    organisation_id = current_organisation().pk
    with transaction.atomic():
        # Locked: an erasure running at the same time waits, then removes the link.
        person = Participant.objects.select_for_update().get(pk=participant.pk)
        if not keep and person.profile_keep_pending:
            Participant.objects.filter(pk=person.pk).update(profile_keep_pending=False)
        if keep and person.erased_at is None and person.email:
            profile_link_set(organisation_id=organisation_id, participant_id=person.pk,
                             email=person.email)
            return True
        profile_link_remove(organisation_id=organisation_id, participant_id=person.pk)
        return False


def participant_profile_unlink(*, participant_id: int) -> None:
    """Remove the person's link, inside the caller's transaction (erasure, anonymisation)."""
    profile_link_remove(organisation_id=current_organisation().pk,
                        participant_id=participant_id)


def participant_profile_keep_later(*, participant: Participant) -> None:
    """A join's tick with an address nobody proved: kept as a wish on the person's row,
    written as a link only when they open a link e-mailed to that address."""
    Participant.objects.filter(pk=participant.pk, erased_at__isnull=True).update(
        profile_keep_pending=True)


def participant_profile_pending_keep(*, participant: Participant) -> bool:
    """The address is proven: link the pending wish, once (a conditional UPDATE clears the
    flag, so two opens at once write one link); whether a link was written."""
    with transaction.atomic():
        claimed = Participant.objects.filter(
            pk=participant.pk, profile_keep_pending=True, erased_at__isnull=True).update(
            profile_keep_pending=False)
        if not claimed:
            return False
        return participant_profile_keep(participant=participant, keep=True)
