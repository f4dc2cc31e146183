"""Template filters of ``core.formatting``: ``{% load formatting %}``, then
``{{ n|count }}``, ``{{ rate|percent }}``, ``{{ value|number }}``, ``{{ value|quantity:unit }}``."""

from decimal import Decimal

from django import template

from core import formatting

register = template.Library()

register.filter("count", formatting.count)
register.filter("percent", formatting.percent)
register.filter("euros", formatting.euros)
register.filter("quantity", formatting.quantity)
register.filter("people", formatting.people)
register.filter("unit_name", formatting.unit_name)
register.filter("long_date", formatting.long_date)


@register.filter
def number(value: float | Decimal | int | None, places: int | str = 1) -> str:
    return formatting.number(value, int(places))
