from django import template
from django.urls import reverse
from django.utils.translation import gettext

from .. import stripe_api
from ..codes import Option
from ..entitlements import entitlements_for
from ..money import format_money

register = template.Library()


@register.filter
def has_feature(organisation, feature: str) -> bool:
    """``{% if organisation|has_feature:"branded_space" %}``: the code is a
    billing.codes.Option, so a mistyped one fails the page's first render (and its test)
    instead of hiding the feature."""
    feature = Option(feature)
    return organisation is not None and entitlements_for(organisation).allows(feature)


@register.filter
def money(cents) -> str:
    """``{{ cents|money }}``: "€0.20" in English, "0,20 €" in French (billing.money)."""
    return "" if cents in (None, "") else format_money(int(cents))


@register.simple_tag
def upgrade_url(option) -> str:
    """Where "Add it to your subscription" leads: the billing page with the option ticked,
    at the form that can get it — payment when it is available, else a request for an
    offer (never a page with nothing to buy)."""
    anchor = "subscribe" if stripe_api.configured() else "offer"
    return f"{reverse('billing_home')}?option={option.code}#{anchor}"


@register.filter
def duration_minutes(minutes) -> str:
    """``{{ 90|duration_minutes }}``: "1 h 30 min", "4 h", "45 min", "0 h"."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": rest}
    if rest:
        return gettext("%(minutes)s min") % {"minutes": rest}
    return gettext("%(hours)s h") % {"hours": hours}
