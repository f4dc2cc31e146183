"""Tenant-schema data: each organisation's own mobilisation programmes.

A programme made from a methodology template keeps a snapshot of the version it was made
from (steps, messages, levers, indicators, survey): later edits of the library never change
a running programme. It remembers the version, so a newer one can be offered and applied.

One module per part of the product; import the models from here. (Migrations name
``_short_code``, ``_referral_code`` and ``AtMostValidator`` by this path too.)
"""

from .campaigns import Campaign, ImpactRecord, Slot, Team, _referral_code, _short_code
from .challenges import CHALLENGE_GOAL_MAX, TeamChallenge
from .deliverability import EmailDeliverability, EmailEvent
from .jobs import BulkJob
from .messages import (
    EmailKind,
    OrganiserAlert,
    OrganiserAlertMute,
    OutboundEmail,
    PledgeReminder,
)
from .outreach import BulkSendHour, CampaignEvent, InvitationBatch
from .participants import Channel, Invitation, Participant, Pledge, SurveyAnswer
from .partners import CampaignPartner, PartnerLink
from .privacy import ConsentRecord, PrivacyLog
from .programmes import (
    PEOPLE_MAX,
    AtMostValidator,
    Programme,
    ProgrammeIndicator,
    ProgrammeLever,
    ProgrammeMessage,
    ProgrammeStep,
    ProgrammeSurveyQuestion,
    at_most_people,
)
from .value import DEFAULT_HOUR_VALUE, Skill, TimeValuation

__all__ = [
    "DEFAULT_HOUR_VALUE", "Skill", "TimeValuation", "CHALLENGE_GOAL_MAX", "PEOPLE_MAX",
    "AtMostValidator", "BulkJob", "BulkSendHour", "Campaign", "CampaignEvent",
    "CampaignPartner", "Channel", "PartnerLink",
    "ConsentRecord",
    "EmailDeliverability", "EmailEvent",
    "EmailKind", "ImpactRecord", "Invitation", "InvitationBatch", "OrganiserAlert",
    "OrganiserAlertMute", "OutboundEmail",
    "PledgeReminder", "Participant",
    "Pledge", "PrivacyLog", "Programme", "ProgrammeIndicator", "ProgrammeLever",
    "ProgrammeMessage", "ProgrammeStep", "ProgrammeSurveyQuestion", "Slot", "SurveyAnswer", "Team",
    "TeamChallenge", "_referral_code", "_short_code", "at_most_people",
]
