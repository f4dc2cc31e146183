"""``{% behaviour_section programme=programme %}`` / ``{% behaviour_section start=… end=… %}``:
the behaviour-change block of the programme and period dashboards (its own include,
``reports/_behaviour.html``), from ``reports.behaviour`` like the API and the PDF."""

from __future__ import annotations

from datetime import date

from django import template

from core.i18n import language
from engagement.models import Programme

from ..behaviour import localized_behaviour, period_behaviour, programme_behaviour

register = template.Library()


@register.inclusion_tag("reports/_behaviour.html")
def behaviour_section(programme: Programme | None = None, start: date | None = None,
                      end: date | None = None) -> dict:
    if programme is not None:
        figures = programme_behaviour(programme)
    elif start is not None and end is not None:
        figures = period_behaviour(start, end)
    else:
        return {"behaviour": None}
    return {"behaviour": localized_behaviour(figures, language())}


@register.filter
def minus(text: str) -> str:
    """A formatted negative figure with the true minus sign: "-0,12" → "−0,12"."""
    text = str(text)
    return "\u2212" + text[1:] if text.startswith("-") else text
