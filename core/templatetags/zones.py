"""``{% zone_name %}``: the active time zone (the organisation's) as people call it, in the
active language ("heure de La Réunion (UTC+4)"), for pages that say which time they show."""

from django import template

from core.zones import zone_name as _zone_name

register = template.Library()


@register.simple_tag
def zone_name() -> str:
    return _zone_name()
