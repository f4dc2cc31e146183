"""Charts as SVG made on the server: the same markup serves the dashboard and the PDF
(WeasyPrint draws SVG), with no JavaScript and nothing fetched from elsewhere.

Every text that comes from data is escaped here, so each function returns a
``SafeString`` (``mark_safe`` after escaping): templates print it with ``{{ chart }}``
and must not escape it again. Colours meet WCAG AA contrast on white.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core import formatting

BAR = "#1d6fa5"
TRACK = "#e3e8ee"
INK = "#1f2933"
MUTED = "#52606d"
DONE = "#2f7d32"
FONT = 'font-family="system-ui, sans-serif"'


def _value(value: float, unit: str) -> str:
    """A value as the tables print it (``reports.formatting``, the active language): a
    percentage whole, as ``formatting.percent`` writes it beside the chart ("13 %", not
    "12.5 %")."""
    if unit == "%":
        return formatting.percent(float(value) / 100)
    return formatting.quantity(value, unit) if unit else formatting.number(value)


def _svg(*, width: int, height: int, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}" {FONT}>'
        f"<title>{label}</title>"
        f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">{label}</text>'
        + "".join(body) + "</svg>")


def bar_chart(items: list[tuple], *, title: str, unit: str = "",
              width: int = 560) -> SafeString:
    """Horizontal bars, one per item: the label on its own line above the bar (never cut,
    however long), the value in dark text just after the bar."""
    row, top, value_space = 40, 30, 150
    bar_space = width - value_space
    largest = max((float(item[1]) for item in items), default=0) or 1
    body = []
    for index, (label, value, *own_unit) in enumerate(items):
        # An item may carry its own unit (the impact chart: kg beside trees).
        item_unit = own_unit[0] if own_unit else unit
        y = top + index * row
        length = max(0.0, float(value)) / largest * bar_space
        body.append(
            f'<text x="0" y="{y + 12}" font-size="12" fill="{INK}">{escape(label)}</text>'
            f'<rect x="0" y="{y + 17}" width="{length:.1f}" height="16" fill="{BAR}" '
            f'rx="2"/>'
            f'<text x="{length + 6:.1f}" y="{y + 30}" font-size="12" font-weight="600" '
            f'fill="{INK}">{escape(_value(value, item_unit))}</text>')
    height = top + max(len(items), 1) * row + 4
    return _svg(width=width, height=height, title=title, body=body)


def funnel_chart(steps: list[tuple[str, int]], *, title: str, width: int = 560
                 ) -> SafeString:
    """One bar per step (sent → opened → pledged → attended), shorter step by step, each
    labelled above in dark text, with its count and its share of the first step after
    the bar: readable on paper and on screen, with no text drawn over a bar."""
    row, top, value_space = 40, 30, 150
    bar_space = width - value_space
    first = steps[0][1] if steps else 0
    first_label = str(steps[0][0]) if steps else ""
    body = []
    for index, (label, count) in enumerate(steps):
        y = top + index * row
        share = count / first if first else 0.0
        length = max(2.0, share * bar_space)
        value = formatting.count(count)
        if index and first:
            # The share goes with the label, above the bar: after a full-length bar it
            # would run out of the chart.
            label = _("%(label)s (%(share)s of “%(first)s”)") % {
                "label": label, "share": formatting.percent(share), "first": first_label}
        body.append(
            f'<text x="0" y="{y + 12}" font-size="12" fill="{INK}">{escape(label)}</text>'
            f'<rect x="0" y="{y + 17}" width="{length:.1f}" height="16" fill="{BAR}" '
            f'rx="2"/>'
            f'<text x="{length + 6:.1f}" y="{y + 30}" font-size="12" font-weight="600" '
            f'fill="{INK}">{escape(value)}</text>')
    height = top + max(len(steps), 1) * row + 4
    return _svg(width=width, height=height, title=title, body=body)


def progress_chart(value: float, target: float, *, title: str) -> SafeString:
    """A bar filling toward a target (green once reached), with "value / target (rate)":
    the bar stops at the target, the rate does not (60 of 40 is 150 %)."""
    rate = float(value) / float(target) if target else 0.0
    width, share = 560, min(rate, 1.0)
    colour = DONE if target and value >= target else BAR
    body = [
        f'<rect x="0" y="28" width="{width}" height="20" fill="{TRACK}" rx="4"/>',
        f'<rect x="0" y="28" width="{share * width:.1f}" height="20" fill="{colour}" rx="4"/>',
        f'<text x="0" y="66" font-size="12" fill="{MUTED}">'
        f"{escape(formatting.count(value))} / {escape(formatting.count(target))} "
        f"({escape(formatting.percent(rate))})</text>",
    ]
    return _svg(width=width, height=72, title=title, body=body)
