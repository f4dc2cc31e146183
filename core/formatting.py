"""Figures as people read them, in the active language: one formatting layer for the
dashboards, the charts and the PDF reports, built on Django's own localisation (the
``config.formats`` modules: "1 234,5" in French, "1,234.5" in English).

Counts of people and organisations are whole numbers; rates are shown as whole
percentages ("67%", "67 %" in French); an indicator's value goes with its unit,
translated and in the plural when it needs one ("28,5 arbres", "1 person").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext, ngettext, pgettext

NBSP = "\u00a0"


def whole(value: float | Decimal | int | None) -> int:
    """Rounded half up, as people round (Python's ``round`` gives 76 for 76.5)."""
    return int(Decimal(str(value or 0)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def count(value: float | Decimal | int | None) -> str:
    """A whole number with its thousands grouped: 76.5 organisations is 77."""
    return floatformat(whole(value), "0g")


def number(value: float | Decimal | int | None, places: int = 1) -> str:
    """Up to ``places`` decimals, none when the value is whole: 28.50 → "28,5"."""
    return floatformat(value or 0, f"-{places}g")


def euros(value: float | Decimal | int | None) -> str:
    """An amount in euros with its cents and thousands grouped: "1 234,50 €" in French,
    "€1,234.50" in English (the pattern is the catalogue's)."""
    return pgettext("amount in euros", "€%(value)s") % {
        "value": floatformat(value or 0, "2g")}


def percent(rate: float | None) -> str:
    """A rate (0.0-1.0) as a whole percentage: 0.6667 → "67%" in English, "67 %" (with a
    non-breaking space) in French; the pattern is the catalogue's, like every text."""
    return pgettext("percentage", "%(value)s%%") % {
        "value": floatformat(100 * float(rate or 0), "0")}


def chance(probability: float | None) -> str:
    """A forecast's chance as a whole percentage, but never a "0 %" or "100 %" that a
    forecast cannot know: under 1 % and over 99 % are said so (1.0 exactly, a target
    already reached, is 100 %)."""
    value = float(probability or 0)
    if value < 0.01:
        return gettext("less than %(value)s") % {"value": percent(0.01)}
    if 0.99 < value < 1:
        return gettext("more than %(value)s") % {"value": percent(0.99)}
    return percent(value)


def _countable(text: Callable[[int], str], *,
               counted: bool = False) -> Callable[[float], str]:
    """``text(n)`` is the ngettext of the unit (written out at each call below, so that
    ``makemessages`` finds it)."""
    def shown(value: float) -> str:
        value = whole(value) if counted else value
        figure = count(value) if counted else number(value)
        # A value that is not whole takes the plural ("1,5 arbres").
        n = int(value) if float(value).is_integer() else 2
        return text(n) % {"n": figure}
    return shown


# The units of the indicator catalogue (methodology/library/catalogue.yaml).
UNITS = {
    "people": _countable(lambda n: ngettext("%(n)s person", "%(n)s people", n), counted=True),
    "organisations": _countable(
        lambda n: ngettext("%(n)s organisation", "%(n)s organisations", n), counted=True),
    "pledges": _countable(lambda n: ngettext("%(n)s pledge", "%(n)s pledges", n),
                          counted=True),
    "trees": _countable(lambda n: ngettext("%(n)s tree", "%(n)s trees", n)),
    "bags": _countable(lambda n: ngettext("%(n)s bag", "%(n)s bags", n)),
    "shelters": _countable(lambda n: ngettext("%(n)s shelter", "%(n)s shelters", n)),
}
SYMBOLS = {"kg": "kg", "m": "m", "km": "km", "m²": "m²", "EUR": "€", "h": "h", "%": "%"}


def quantity(value: float | Decimal | int | None, unit: str) -> str:
    """A value with its unit: "28,5 arbres", "1 person", "120,5 kg", "0 personne"."""
    value = float(value or 0)
    if unit in UNITS:
        return UNITS[unit](value)
    if unit in SYMBOLS:
        return f"{number(value)}{NBSP}{SYMBOLS[unit]}"
    return f"{number(value)} {unit}".strip()


def unit_name(unit: str) -> str:
    """A unit as a word in the active language, for labels: "people" → "personnes"."""
    if unit in UNITS:
        return UNITS[unit](2).replace(number(2), "", 1).strip()
    return SYMBOLS.get(unit, unit)


def people(value: int) -> str:
    return quantity(value, "people")


def long_date(value: date | datetime | None) -> str:
    """A date in words in the active language (``DATE_FORMAT``), French putting the
    ordinal on the first of the month: "1er janvier 2026", "2 janvier 2026",
    "1 January 2026". A datetime is read in the active time zone."""
    if value is None:
        return ""
    day = localtime(value).date() if isinstance(value, datetime) else value
    text = date_format(day, "DATE_FORMAT")
    if day.day == 1 and (get_language() or "").startswith("fr") and text.startswith("1 "):
        return "1er " + text[2:]
    return text
