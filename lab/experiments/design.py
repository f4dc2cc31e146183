"""The power calculation shown before launch: people needed per arm for the effect worth
detecting, how many the wave would reach, the design effect when whole teams are
randomised, and whether the audience is large enough."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.tenancy import current_organisation
from core.zones import organisation_zone
from engagement.models import Campaign, Participant, Pledge
from engagement.services.outreach import Audience, BulkAudience, bulk_recipients
from lab.stats import SampleSize, sample_size

from .models import Experiment


def wave_people(*, campaign: Campaign, wave: str) -> QuerySet[Participant]:
    """Who a wave would reach: for invitations, everyone a bulk send to all would invite
    now; for reminders, the people with a live pledge on the campaign who can be e-mailed."""
    if wave == Experiment.Wave.REMINDER:
        live = Pledge.objects.filter(participant=OuterRef("pk"), slot__campaign=campaign).exclude(
            status=Pledge.Status.CANCELLED)
        return (Participant.objects.filter(Exists(live), erased_at__isnull=True,
                                           unsubscribed_at__isnull=True)
                .exclude(email="").order_by("pk"))
    return bulk_recipients(campaign=campaign, audience=BulkAudience(kind=Audience.ALL))


def send_time(hour: int | None, now: datetime) -> datetime:
    """The next time it is ``hour`` o'clock in the organisation's zone (now when none)."""
    if hour is None:
        return now
    zone = ZoneInfo(organisation_zone(current_organisation()))
    local = now.astimezone(zone).replace(hour=hour, minute=0, second=0, microsecond=0)
    return local if local >= now else local + timedelta(days=1)


def outcome_horizon(campaign: Campaign, metric: str) -> datetime:
    """When the wave's outcomes stop arriving: sign-ups at the mobilisation deadline
    (pledging closes there), attendance at the end of the action."""
    if metric == Experiment.Metric.ATTENDED:
        return campaign.ends_at
    return campaign.mobilisation_deadline


def wave_days(*, campaign: Campaign, metric: str, days: int,
              send_hours: Sequence[int | None] = (), now: datetime | None = None) -> int:
    """The daily looks the wave really gets: the duration chosen, cut at the outcome
    horizon counted from the planned send (the first variant's send time); at least one."""
    now = now or timezone.now()
    first = min((send_time(hour, now) for hour in send_hours), default=now)
    left = (outcome_horizon(campaign, metric) - first).total_seconds() / 86400
    return max(1, min(days, math.ceil(left)))


@dataclass(frozen=True)
class PowerPreview:
    """What the set-up page shows before launch."""

    plan: SampleSize
    arms: int
    audience: int
    teams: int
    mean_team_size: float
    needed_total: int
    enough: bool
    team_size_cv: float = 0.0
    # Daily looks planned: the duration chosen, cut at the campaign's outcome horizon.
    days: int = 14
    days_chosen: int = 14

    @property
    def cut(self) -> bool:
        """The campaign's deadline (or the action's end) comes before the duration."""
        return self.days < self.days_chosen


def team_sizes(people: QuerySet[Participant]) -> list[int]:
    """The size of each randomisation unit of the audience when whole teams are
    randomised (people without a team count as teams of one, as the assignment treats
    them)."""
    sizes = list(people.order_by().values("team_id").annotate(n=Count("pk"))
                 .values_list("team_id", "n"))
    return [n for team, n in sizes if team] + [1 for team, n in sizes if team is None
                                               for _ in range(n)]


def mean_team_size(people: QuerySet[Participant]) -> tuple[int, float, float]:
    """Teams in the audience, their mean size and the coefficient of variation of their
    sizes (standard deviation over mean)."""
    sizes = team_sizes(people)
    if not sizes:
        return 0, 1.0, 0.0
    mean = sum(sizes) / len(sizes)
    spread = (sum((n - mean) ** 2 for n in sizes) / len(sizes)) ** 0.5
    return len(sizes), mean, spread / mean


def settings_errors(*, baseline: float, mde: float, alpha: float, power: float, icc: float,
                    holdout_share: float, arms: int) -> dict[str, list[str]]:
    """What is wrong with a design's settings, by field (empty: nothing)."""
    errors: dict[str, list[str]] = {}
    if not 0 < baseline < 1:
        errors["baseline_rate"] = [_("Give the usual rate, between 0 and 100 %.")]
    if not 0 < mde < 1 or (0 < baseline < 1 and baseline + mde >= 1):
        errors["minimum_effect"] = [_("Give an effect above 0 points that keeps the rate "
                                      "under 100 %.")]
    if not 0 < alpha < 0.5:
        errors["alpha"] = [_("Give a risk of a false positive between 0 and 0.5.")]
    if not 0.5 <= power < 1:
        errors["power"] = [_("Give a power between 0.5 and 0.99.")]
    if not 0 <= icc < 1:
        errors["icc"] = [_("Give an intraclass correlation between 0 and 0.99.")]
    if not 0 <= holdout_share < 0.5:
        errors["holdout_share"] = [_("Keep the holdout under half of the people.")]
    if arms < 2:
        errors["variants"] = [_("Give at least two variants.")]
    return errors


def power_preview(*, campaign: Campaign, wave: str, unit: str, arms: int, baseline: float,
                  mde: float, alpha: float, power: float, icc: float,
                  holdout_share: float, days: int = 14,
                  metric: str = Experiment.Metric.PLEDGED,
                  send_hours: Sequence[int | None] = (),
                  now: datetime | None = None) -> PowerPreview:
    """The power calculation for these settings against the wave's audience (who it can
    reach now); refuses impossible settings naming the field. One look a day for the days
    the wave really gets (``wave_days``: ``days``, cut at the mobilisation deadline for
    sign-ups or the action's end for attendance, from the first planned send): the people
    needed include the sequential design's inflation for that many looks."""
    errors = settings_errors(baseline=baseline, mde=mde, alpha=alpha, power=power, icc=icc,
                             holdout_share=holdout_share, arms=arms)
    if errors:
        raise DomainError(errors)
    looks = wave_days(campaign=campaign, metric=metric, days=days, send_hours=send_hours,
                      now=now)
    people = wave_people(campaign=campaign, wave=wave)
    audience = people.count()
    team = unit == Experiment.Unit.TEAM
    teams, size, cv = mean_team_size(people) if team else (audience, 1.0, 0.0)
    plan = sample_size(baseline=baseline, mde=mde, alpha=alpha, power=power, arms=arms,
                       cluster_size=max(size, 1.0), icc=icc if team else 0.0,
                       holdout_share=holdout_share, looks=looks,
                       cluster_size_cv=cv if team else 0.0)
    enough = audience >= plan.total and (unit != Experiment.Unit.TEAM
                                         or teams >= plan.clusters_per_arm * arms)
    return PowerPreview(plan=plan, arms=arms, audience=audience, teams=teams,
                        mean_team_size=size, needed_total=plan.total, enough=enough,
                        team_size_cv=cv, days=looks, days_chosen=days)


def experiment_power(experiment: Experiment, now: datetime | None = None) -> PowerPreview:
    """The power calculation of a stored experiment's settings, for a wave sent ``now``."""
    variants = list(experiment.variants.all())
    return power_preview(
        campaign=experiment.campaign, wave=experiment.wave, unit=experiment.unit,
        arms=sum(1 for v in variants if not v.is_holdout),
        baseline=float(experiment.baseline_rate), mde=float(experiment.minimum_effect),
        alpha=float(experiment.alpha), power=float(experiment.power),
        icc=float(experiment.icc), holdout_share=float(experiment.holdout_share),
        days=experiment.days, metric=experiment.metric,
        send_hours=[v.send_hour for v in variants if not v.is_holdout], now=now)
