from django import template

from ..markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    return render_markdown(text)


@register.filter
def percent(value, total) -> int:
    try:
        return min(100, round(100 * int(value) / int(total))) if int(total) else 0
    except (TypeError, ValueError):
        return 0
