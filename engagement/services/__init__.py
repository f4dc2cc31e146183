"""Writes of the engagement app, one module per concern; import them from here."""

from .campaigns import (
    campaign_close,
    campaign_complete,
    campaign_create,
    campaign_open,
    campaign_update,
    campaigns_close_due,
    campaigns_complete_past,
    impact_record,
    mobilised_count,
    slot_add,
    slot_set_capacity,
)
from .checkin import pledge_check_in, pledge_mark_no_show
from .joining import (
    campaign_join,
    invitation_create,
    invitation_record_open,
    participant_upsert,
    personal_invitation_code,
    personal_invitation_ensure,
    team_get_or_create,
)
from .pledges import MAX_COMPANIONS, pledge_cancel, pledge_create
from .programmes import (
    STEP_DUE_TIME,
    programme_apply_version,
    programme_create,
    programme_create_from_template,
    programme_delete,
    programme_newer_version,
    programme_update,
    step_due_at,
    step_set_status,
)

__all__ = [
    "MAX_COMPANIONS", "STEP_DUE_TIME", "campaign_close", "campaign_complete",
    "campaign_create", "campaign_join", "campaign_open", "campaign_update",
    "campaigns_close_due", "campaigns_complete_past", "impact_record", "invitation_create",
    "invitation_record_open", "mobilised_count", "participant_upsert",
    "personal_invitation_code", "personal_invitation_ensure", "pledge_cancel",
    "pledge_check_in", "pledge_create",
    "pledge_mark_no_show", "programme_apply_version", "programme_create",
    "programme_create_from_template", "programme_delete", "programme_newer_version",
    "programme_update", "slot_add", "slot_set_capacity", "step_due_at", "step_set_status",
    "team_get_or_create",
]
