"""The keys of ``ReferenceTrajectory`` rows: keyed hashes (HMAC-SHA256 under the project's
secret) of an organisation's schema name and a campaign id. They live here, beside the
table, so that the closure of an organisation (``tenants``, below the lab that fills the
table) can delete the organisation's rows (docs/privacy.md, "Reference trajectories")."""

from __future__ import annotations

from django.utils.crypto import salted_hmac

SALT = "fullmobs.lab.reference-trajectory"


def reference_organisation_key(schema: str) -> str:
    return salted_hmac(SALT, f"organisation:{schema}", algorithm="sha256").hexdigest()


def reference_campaign_key(schema: str, campaign_id: int) -> str:
    return salted_hmac(SALT, f"campaign:{schema}:{campaign_id}", algorithm="sha256").hexdigest()


def references_of_organisation_delete(*, schema: str) -> int:
    """Delete every reference row of the organisation whose schema is ``schema`` (closed,
    dropped, erased). Returns how many rows went."""
    from .models import ReferenceTrajectory

    deleted, _ = ReferenceTrajectory.objects.filter(
        organisation_key=reference_organisation_key(schema)).delete()
    return deleted
