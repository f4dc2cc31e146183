"""The one public table that ties a person's records in several organisations together,
written only for people who ticked "keep my actions in my Fullmobs profile".

A row holds a keyed hash of the person's address (never the address, never a name), the
organisation, and the participant's id in that organisation's schema: enough for the
person, once they prove their address, to find their own records in each organisation,
and nothing that tells anyone else who they are (docs/privacy.md, "Fullmobs profile")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ProfileLink(models.Model):
    # HMAC-SHA256 of the normalised address keyed with PROFILE_ADDRESS_KEY (hex): the same
    # address gives the same key in every organisation; without the key it is not
    # reversible, not even by trying every address of a list.
    address_key = models.CharField(max_length=64, db_index=True)
    organisation = models.ForeignKey("tenants.Organisation", on_delete=models.CASCADE,
                                     related_name="+")
    # The participant's primary key in the organisation's own schema (not a foreign key:
    # tenant tables are out of the public schema's reach).
    participant_id = models.PositiveIntegerField()
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One link per person per organisation: ticking twice, or two requests at
            # once, upsert the same row (ON CONFLICT in profiles.services).
            models.UniqueConstraint(fields=["organisation", "participant_id"],
                                    name="profiles_one_link_per_participant"),
            models.CheckConstraint(condition=models.Q(address_key__regex=r"^[0-9a-f]{64}$"),
                                   name="profiles_address_key_is_a_hash"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.participant_id}"
