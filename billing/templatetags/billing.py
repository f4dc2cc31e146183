from django import template

from ..entitlements import entitlements_for

register = template.Library()


@register.filter
def has_feature(organisation, feature: str) -> bool:
    """``{% if organisation|has_feature:"branded_space" %}``."""
    return organisation is not None and entitlements_for(organisation).allows(feature)
