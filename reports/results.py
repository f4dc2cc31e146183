"""What a campaign achieved, once the action is over: the figures of its public results
page and its result card, read from the dashboard's stored figures
(``reports.figures.campaign_figures``, the same ``reports.metrics`` numbers), so the page,
the card, the dashboard and the PDF report never disagree.

"Over" means decided and past: a failed campaign (its deadline passed short of the
target), or a succeeded or completed one whose action has ended. Before that there are no
results to show (the campaign page and its progress card speak for it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from core.formatting import quantity
from core.i18n import language
from engagement.models import Campaign, CampaignPartner

from .figures import campaign_figures

REACHED = (Campaign.Status.SUCCEEDED, Campaign.Status.COMPLETED)


@dataclass(frozen=True)
class Achievement:
    label: str
    amount: str  # with its unit, as the reader writes it: "120 kg", "28,5 arbres"


@dataclass(frozen=True)
class CampaignResults:
    campaign: Campaign
    people: int  # people mobilised, companions included
    hours: float  # hours given (attended) once attendance is recorded, else committed
    hours_attended: bool
    target: int
    reached: bool
    took_place: bool
    impact: list[Achievement]
    partner: CampaignPartner | None
    version: str  # changes with any figure shown (the card's address carries it)


def campaign_is_over(campaign: Campaign, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return campaign.status == Campaign.Status.FAILED or (
        campaign.status in REACHED and campaign.ends_at <= now)


def campaign_results(campaign: Campaign) -> CampaignResults | None:
    """The campaign's results in the active language; None while it is not over."""
    if not campaign_is_over(campaign):
        return None
    figures = campaign_figures(campaign, allow_stale=True).data
    reached = campaign.status in REACHED
    attended = float(figures["hours"]["attended"])
    hours = attended if attended > 0 else float(figures["hours"]["pledged"])
    lang = language()
    impact = [Achievement(label=(row["label_fr"] if lang == "fr" else "") or row["label_en"],
                          amount=quantity(row["total"], row["unit"]))
              for row in figures["impact"] if float(row["total"]) > 0] if reached else []
    people = int(figures["participants"]["with_companions"])
    partner = CampaignPartner.objects.filter(campaign=campaign).first()
    parts = [campaign.status, str(people), f"{hours:.2f}", str(campaign.participant_target),
             *(f"{a.label}={a.amount}" for a in impact), partner.name if partner else ""]
    return CampaignResults(
        campaign=campaign, people=people, hours=hours if reached else 0.0,
        hours_attended=attended > 0, target=campaign.participant_target, reached=reached,
        took_place=reached, impact=impact, partner=partner,
        version=hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12])
