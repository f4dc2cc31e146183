"""The codes of billing/catalogue.yaml that the code compares, as names that cannot be
mistyped. ``BillingConfig.ready()`` refuses to start when this file and the catalogue
disagree (``codes_check``), so a code added to one and forgotten in the other is found at
start-up rather than by a customer who paid for it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Plan(StrEnum):
    # Free, for associations and citizens' collectives (never sold: no price).
    COMMUNITY = "community"
    ESSENTIAL = "essential"
    # Was "programme", a word the product uses for its programmes: migration
    # billing.0003 renamed stored subscriptions; catalogue.LEGACY_PLAN_CODES reads Stripe
    # prices made under the old code.
    PROFESSIONAL = "professional"
    TERRITORY = "territory"


class Option(StrEnum):
    """A paid option, which is also the feature it unlocks (``Entitlements.allows``)."""
    LEVER_ANALYTICS = "lever_analytics"
    BRANDED_SPACE = "branded_space"
    COMMENTED_REPORT = "commented_report"
    EXTRA_PARTICIPANTS = "extra_participants"
    ACCOMPANIMENT_PACK = "accompaniment_pack"


class Limit(StrEnum):
    """A plan's limit (``Entitlements.limit``)."""
    PROGRAMMES = "programmes"
    PARTICIPANTS = "participants"
    # Campaigns open at the same time (engagement.services.campaign_limits).
    OPEN_CAMPAIGNS = "open_campaigns"


def codes_check(data: dict[str, Any]) -> None:
    """Raise ImproperlyConfigured naming each code that the catalogue's data (as read from
    the YAML) and the enums above do not both have."""
    problems: list[str] = []

    def compare(what: str, enum: type[StrEnum], found: set[str]) -> None:
        known = {member.value for member in enum}
        problems.extend(f"{what} “{code}” is in catalogue.yaml but not in "
                        f"billing.codes.{enum.__name__}" for code in sorted(found - known))
        problems.extend(f"{what} “{code}” is in billing.codes.{enum.__name__} but not in "
                        f"catalogue.yaml" for code in sorted(known - found))

    plans, options = data.get("plans") or [], data.get("options") or []
    compare("plan", Plan, {plan["code"] for plan in plans})
    compare("option", Option, {option["code"] for option in options})
    compare("limit", Limit, {name for plan in plans for name in plan.get("limits") or {}})
    free = [plan["code"] for plan in plans if plan.get("free")]
    if len(free) != 1:
        problems.append(f"catalogue.yaml needs exactly one plan marked free, not {len(free)}")
    problems.extend(f"plan “{plan['code']}” is free and has prices" for plan in plans
                    if plan.get("free") and plan.get("prices"))
    problems.extend(f"plan “{plan['code']}” has no prices and is not marked free"
                    for plan in plans if not plan.get("free") and not plan.get("prices"))
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
