"""``{% plan_usage rights %}``: on the billing page (billing sits below engagement), each of
the plan's limits beside what the organisation uses of it now, counted the way the
services that enforce them count (running programmes, open campaigns, active participants
of the month)."""

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.codes import Limit

from ..models import Programme
from ..services.campaign_limits import open_campaigns_count
from ..services.quota import participants_this_month

register = template.Library()

LABELS = {Limit.PROGRAMMES: _("Running programmes"),
          Limit.OPEN_CAMPAIGNS: _("Campaigns open at once"),
          Limit.PARTICIPANTS: _("Active participants this month")}


def _used(name: Limit) -> int:
    if name == Limit.PROGRAMMES:
        return Programme.objects.filter(ends_on__gte=timezone.localdate()).count()
    if name == Limit.OPEN_CAMPAIGNS:
        return open_campaigns_count()
    return participants_this_month()


@register.inclusion_tag("engagement/_plan_usage.html")
def plan_usage(rights) -> dict:
    item = rights.plan_item
    if item is None:
        return {"rows": []}
    rows = []
    for code, limit in item.limit_items:
        name = Limit(code)
        used = _used(name)
        rows.append({"code": name.value, "label": LABELS[name], "limit": limit, "used": used,
                     "reached": limit is not None and used >= limit})
    return {"rows": rows, "plan": item}
