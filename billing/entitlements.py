"""What an organisation may use: one answer, derived from its subscription.

``entitlements_for(organisation)`` is the only place that decides; pages, the API and
services ask it (``allows(Option.LEVER_ANALYTICS)``, ``limit(Limit.PROGRAMMES)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from tenants.models import Organisation

from .catalogue import every_plan, free_plan, options
from .codes import Limit, Option, Plan

TRIAL_PLAN = Plan.PROFESSIONAL


@dataclass(frozen=True)
class Entitlements:
    plan: str | None
    options: frozenset[str]
    in_trial: bool
    trial_ends_at: datetime | None
    read_only: bool

    def allows(self, feature: Option | str) -> bool:
        """A paid option (see catalogue.yaml) is in use. An unknown code is a ValueError,
        not a silent "no"."""
        return not self.read_only and Option(feature) in self.options

    def limit(self, name: Limit | str) -> int | None:
        """The plan's limit (None is unlimited); 0 without a plan."""
        name = Limit(name)
        if self.plan is None:
            return 0
        return every_plan()[self.plan].limits.get(name)

    @property
    def limit_programmes(self) -> int | None:
        return self.limit(Limit.PROGRAMMES)

    @property
    def limit_participants(self) -> int | None:
        return self.limit(Limit.PARTICIPANTS)

    @property
    def plan_item(self):
        return every_plan().get(self.plan) if self.plan else None

    @property
    def on_free_plan(self) -> bool:
        return self.plan_item is not None and self.plan_item.free

    @property
    def option_items(self):
        return [options()[code] for code in sorted(self.options) if code in options()]


def entitlements_for(organisation: Organisation, *, now: datetime | None = None
                     ) -> Entitlements:
    now = now or timezone.now()
    status = organisation.status
    # An organisation whose closure is requested records nothing new until it is cancelled.
    closing = organisation.closure_requested_at is not None
    subscription = getattr(organisation, "subscription", None) if organisation.pk else None
    live = subscription is not None and \
        subscription.stripe_status in ("active", "trialing", "past_due")
    paying = live and subscription is not None and bool(subscription.plan)
    if organisation.mobilises_for_free and not (
            paying and status != Organisation.Status.SUSPENDED):
        # Associations and collectives: the free plan, with the options they pay for.
        # Nothing ends it: an unpaid subscription only takes its options away (suspended
        # past the grace period, or cancelled), the space stays writable.
        bought = frozenset(subscription.options) if live and subscription is not None \
            and status != Organisation.Status.SUSPENDED else frozenset()
        return Entitlements(plan=free_plan().code, options=bought, in_trial=False,
                            trial_ends_at=None, read_only=closing)
    if paying:
        assert subscription is not None
        return Entitlements(plan=subscription.plan, options=frozenset(subscription.options),
                            in_trial=False, trial_ends_at=None,
                            read_only=status == Organisation.Status.SUSPENDED or closing)
    in_trial = status == Organisation.Status.TRIAL and organisation.trial_ends_at is not None \
        and organisation.trial_ends_at > now
    return Entitlements(
        plan=TRIAL_PLAN if in_trial else None, options=frozenset(), in_trial=in_trial,
        trial_ends_at=organisation.trial_ends_at,
        # Without a plan (trial over, subscription cancelled) the data stays readable and
        # nothing new can be made.
        read_only=not in_trial or closing)
