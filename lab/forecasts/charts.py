"""The forecast's chart as SVG made on the server (the style of ``reports.charts``): the
people confirmed so far, the expected path to the deadline with its 80 % band, and the
target. Every text from data is escaped; the function returns a ``SafeString``."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core import formatting
from reports.charts import BAR, FONT, INK, MUTED, TRACK

from ..forecast import GRID
from .models import CampaignForecast

BAND = "#c7dcec"
TARGET = "#8a4b08"  # dark amber: 5.9:1 on white


def forecast_chart(forecast: CampaignForecast, *, deadline: str, width: int = 560,
                   ) -> SafeString:
    """Time from the opening (left) to the deadline (right), people upwards."""
    height, left, right, top, bottom = 230, 8, 8, 28, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max(forecast.target, forecast.high, forecast.count, 1) * 1.1

    def x(t: float) -> float:
        return left + plot_w * min(max(t, 0.0), 1.0)

    def y(value: float) -> float:
        return top + plot_h * (1 - value / top_value)

    now_x, now_y = x(forecast.elapsed), y(forecast.count)
    so_far = [(t, people) for t, people in zip(GRID, forecast.curve, strict=False)
              if t <= forecast.elapsed] + [(forecast.elapsed, forecast.count)]
    line = " ".join(f"{x(t):.1f},{y(people):.1f}" for t, people in so_far)
    band = (f"{now_x:.1f},{now_y:.1f} {x(1):.1f},{y(forecast.high):.1f} "
            f"{x(1):.1f},{y(forecast.low):.1f}")
    title = _("People committed, and where the forecast expects them by the deadline")
    target_label = _("target: %(people)s") % {"people": formatting.count(forecast.target)}
    expected_label = formatting.count(forecast.expected)
    opening, today = _("opening"), _("today")
    body = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
        f'stroke="{TRACK}"/>',
        f'<polygon points="{band}" fill="{BAND}"/>',
        f'<line x1="{now_x:.1f}" y1="{now_y:.1f}" x2="{x(1):.1f}" '
        f'y2="{y(forecast.expected):.1f}" stroke="{BAR}" stroke-width="2" '
        f'stroke-dasharray="6 4"/>',
        f'<line x1="{x(0):.1f}" y1="{y(forecast.target):.1f}" x2="{x(1):.1f}" '
        f'y2="{y(forecast.target):.1f}" stroke="{TARGET}" stroke-width="1.5" '
        f'stroke-dasharray="2 3"/>',
        f'<text x="{x(0) + 4:.1f}" y="{y(forecast.target) - 5:.1f}" font-size="15" '
        f'fill="{TARGET}">{escape(target_label)}</text>',
        f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="3"/>',
        f'<circle cx="{now_x:.1f}" cy="{now_y:.1f}" r="4" fill="{BAR}"/>',
        f'<text x="{x(1) - 4:.1f}" y="{y(forecast.expected) - 6:.1f}" font-size="15" '
        f'font-weight="600" text-anchor="end" fill="{INK}">{escape(expected_label)}</text>',
        f'<text x="{x(0):.1f}" y="{height - 26}" font-size="15" fill="{MUTED}">'
        f'{escape(opening)}</text>',
        f'<text x="{now_x:.1f}" y="{height - 6}" font-size="15" fill="{MUTED}" '
        f'text-anchor="{"start" if forecast.elapsed < 0.3 else "middle"}">'
        f'{escape(today)}</text>',
        f'<text x="{x(1):.1f}" y="{height - 26}" font-size="15" fill="{MUTED}" '
        f'text-anchor="end">{escape(deadline)}</text>',
    ]
    label = escape(title)
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="forecast-chart" role="img" aria-label="{label}" {FONT}>'
        f"<title>{label}</title>" + "".join(body) + "</svg>")
