"""``{% participant_quota_notice %}``: the organisers' notice that the month's participants
are near or past the plan's quota, with the way through (the extra-participants option)."""

from django import template

from billing.catalogue import options
from billing.codes import Option
from core.roles import Role

from ..services.quota import participant_quota_for_banner

register = template.Library()


@register.inclusion_tag("engagement/_participant_quota_notice.html", takes_context=True)
def participant_quota_notice(context) -> dict:
    request = context.get("request")
    access = context.get("access")
    organisation = getattr(request, "tenant", None)
    if access is None or organisation is None or not access.at_least(Role.MANAGER):
        return {"quota": None}
    quota = participant_quota_for_banner(organisation)
    return {"quota": quota if quota.reached or quota.near else None,
            "owner": access.role == Role.OWNER,
            "option": options()[Option.EXTRA_PARTICIPANTS]}
