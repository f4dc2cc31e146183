"""What an organisation may use: one answer, derived from its subscription.

``entitlements_for(organisation)`` is the only place that decides; pages, the API and
services ask it (``allows("lever_analytics")``, ``limit("programmes")``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from tenants.models import Organisation

from .catalogue import options, plans

TRIAL_PLAN = "programme"


@dataclass(frozen=True)
class Entitlements:
    plan: str | None
    options: frozenset[str]
    in_trial: bool
    trial_ends_at: datetime | None
    read_only: bool

    def allows(self, feature: str) -> bool:
        """A paid option (see catalogue.yaml) is in use."""
        return not self.read_only and feature in self.options

    def limit(self, name: str) -> int | None:
        """The plan's limit (None is unlimited); 0 without a plan."""
        if self.plan is None:
            return 0
        return plans()[self.plan].limits.get(name)

    @property
    def limit_programmes(self) -> int | None:
        return self.limit("programmes")

    @property
    def limit_participants(self) -> int | None:
        return self.limit("participants")

    @property
    def plan_item(self):
        return plans().get(self.plan) if self.plan else None

    @property
    def option_items(self):
        return [options()[code] for code in sorted(self.options) if code in options()]


def entitlements_for(organisation: Organisation, *, now: datetime | None = None
                     ) -> Entitlements:
    now = now or timezone.now()
    status = organisation.status
    subscription = getattr(organisation, "subscription", None) if organisation.pk else None
    paying = subscription is not None and bool(subscription.plan) and \
        subscription.stripe_status in ("active", "trialing", "past_due")
    if paying:
        return Entitlements(plan=subscription.plan, options=frozenset(subscription.options),
                            in_trial=False, trial_ends_at=None,
                            read_only=status == Organisation.Status.SUSPENDED)
    in_trial = status == Organisation.Status.TRIAL and organisation.trial_ends_at is not None \
        and organisation.trial_ends_at > now
    return Entitlements(
        plan=TRIAL_PLAN if in_trial else None, options=frozenset(), in_trial=in_trial,
        trial_ends_at=organisation.trial_ends_at,
        # Without a plan (trial over, subscription cancelled) the data stays readable and
        # nothing new can be made.
        read_only=not in_trial)
