"""Templates show a participant through ``participant|seen_by:access``: the one rule of
``tenants.access.sees_participant_identity`` decides what the reader sees of them."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from tenants.access import sees_participant_identity

register = template.Library()


class SeenParticipant:
    """What a reader may see of a participant: name and e-mail address only where the rule
    allows; otherwise "Participant <row>", the row number every export and the API share."""

    def __init__(self, participant, access):
        self.pk = participant.pk
        self.team = participant.team if participant.team_id else None
        self.hidden = not sees_participant_identity(
            access, consented=participant.consent_to_contact)
        if self.hidden:
            self.first_name = self.last_name = self.email = ""
            self.name = _("Participant %(row)s") % {"row": participant.pk}
        else:
            self.first_name = participant.first_name
            self.last_name = participant.last_name
            self.email = participant.email
            self.name = participant.display_name

    def __str__(self) -> str:
        return self.name


@register.filter
def seen_by(participant, access) -> SeenParticipant:
    return SeenParticipant(participant, access)


@register.filter
def companions_seen_by(pledge, access) -> str:
    """The first names of the companions a pledge brings, with the participant's identity."""
    if sees_participant_identity(access, consented=pledge.participant.consent_to_contact):
        return pledge.companion_names
    return ""
