"""Sharing a campaign on paper: the invitation poster's own invitation, through which
people who scan its QR code are counted as the "QR poster" channel."""

from __future__ import annotations

from django.db import transaction

from tenants.models import User

from ..models import Campaign, Channel, Invitation
from .joining import invitation_create


def poster_invitation_ensure(*, campaign: Campaign, organiser: User,
                             lever_code: str) -> Invitation:
    """The invitation a campaign's poster carries for ``lever_code``: one per campaign and
    lever, whoever prints it and however many times (each print of the same poster counts
    in the same row of the lever analysis). Refused like any invitation (unknown lever)."""
    with transaction.atomic():
        # Two organisers printing at once serialise on the campaign row: one creates the
        # invitation, the other finds it.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        existing = (Invitation.objects.filter(campaign=campaign, channel=Channel.QR_POSTER,
                                              lever_code=lever_code, inviter__isnull=True)
                    .order_by("pk").first())
        if existing is not None:
            return existing
        return invitation_create(campaign=campaign, channel=Channel.QR_POSTER,
                                 lever_code=lever_code, organiser=organiser)
