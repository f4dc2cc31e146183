"""The plan's participants quota, enforced where people join.

The rule (docs/decisions.md, "The participants quota"): the people who count are those
billing meters (``engagement.usage.active_participants_count``), each person with a pledge
made since the first of the month in the organisation's time zone, whatever became of it.
A person who already counts this month may always pledge again; a new one is refused once
the month's count has reached the plan's ``participants`` limit, unless the organisation
has the extra-participants option (then everyone joins and those beyond the quota are
billed, as before). Pledges already made are never touched; the count starts again on
the first of the next month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext as _

from billing.codes import Limit, Option
from billing.entitlements import entitlements_for
from billing.services import quota_reached_record
from core.errors import DomainError
from core.tenancy import call_on_commit, current_organisation, current_schema
from tenants.models import Organisation

from ..models import Pledge
from ..usage import active_participants_count, month_start

# The organiser is warned from this share of the quota on.
WARN_FROM = 0.8


@dataclass(frozen=True)
class ParticipantQuota:
    limit: int | None  # None: unlimited, or the extra-participants option meters them
    used: int
    extra_option: bool

    @property
    def enforced(self) -> bool:
        return self.limit is not None and not self.extra_option

    @property
    def reached(self) -> bool:
        return self.enforced and self.limit is not None and self.used >= self.limit

    @property
    def near(self) -> bool:
        return self.enforced and self.limit is not None and not self.reached \
            and self.used >= self.limit * WARN_FROM


# The organisers' banner reads the count at most this often (a join that counts a new
# person forgets it at once, services.quota.participant_quota_claim).
BANNER_SECONDS = 60


def _month_start() -> date:
    return month_start().date()


def participants_this_month() -> int:
    """The people billing counts for this month, in the current schema."""
    # The same count as engagement.usage, which reports it to billing's meter.
    return active_participants_count(day=_month_start())


def participant_quota(organisation: Organisation | None = None) -> ParticipantQuota:
    """Where the current organisation stands this month (one count query when the plan
    has a finite quota and no extra-participants option, none otherwise)."""
    organisation = organisation or current_organisation()
    rights = entitlements_for(organisation)
    # Without a plan the space is read-only: nobody joins, and there is no quota to tell.
    limit = rights.limit(Limit.PARTICIPANTS) if rights.plan else None
    extra = Option.EXTRA_PARTICIPANTS in rights.options
    used = participants_this_month() if limit is not None and not extra else 0
    return ParticipantQuota(limit=limit, used=used, extra_option=extra)


def participant_quota_for_banner(organisation: Organisation) -> ParticipantQuota:
    """``participant_quota`` for the notice on every manager page: kept a minute in the
    cache (per schema: django-tenants' key function), forgotten when a new person counts."""
    quota = cache.get(_banner_key())
    if not isinstance(quota, ParticipantQuota):
        quota = participant_quota(organisation)
        cache.set(_banner_key(), quota, BANNER_SECONDS)
    return quota


def _banner_key() -> str:
    return f"participant-quota:{_month_start():%Y-%m}"


def _banner_forget() -> None:
    cache.delete(_banner_key())


def counts_this_month(participant_id: int) -> bool:
    """Whether this person already counts in the month's quota."""
    return Pledge.objects.filter(participant_id=participant_id,
                                 created_at__gte=month_start()).exists()


def participant_quota_claim(*, participant_id: int) -> None:
    """Refuse, with a message for the visitor, a pledge by someone who would go past the
    plan's participants quota. Call it inside the transaction that makes the pledge.

    Two people joining at the boundary cannot both pass: the count is taken under an
    advisory transaction lock per organisation, held until the pledge commits, so the
    second join counts the first. A row lock cannot do this (the row that would break the
    quota does not exist yet) and a constraint cannot read the plan or the month."""
    quota = participant_quota()
    if not quota.enforced or counts_this_month(participant_id):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                       [f"{current_schema()}:participants-quota"])
    # Counted again under the lock: READ COMMITTED reads what committed meanwhile.
    if counts_this_month(participant_id):
        return
    assert quota.limit is not None  # enforced
    used = participants_this_month()
    if used + 1 == quota.limit:
        # This person takes the last place: the owners are told once this month.
        quota_reached_record(organisation=current_organisation(), month=_month_start(),
                             participants=quota.limit)
    if used < quota.limit:
        # One more person counts: the banner forgets its figure now and again after the
        # commit (a page read in between would have kept the old one).
        _banner_forget()
        call_on_commit(_banner_forget)
    if used >= quota.limit:
        raise DomainError({"campaign": [_(
            "Sorry, this campaign cannot take new participants for now: the organisers "
            "have reached the number of participants their plan includes this month. "
            "People already signed up keep their place. Please get in touch with the "
            "organisers, or try again next month.")]})
