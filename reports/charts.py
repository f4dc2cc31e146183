"""Charts as SVG made on the server: the same markup serves the dashboard and the PDF
(WeasyPrint draws SVG), with no JavaScript and nothing fetched from elsewhere.

Every text that comes from data is escaped here, so each function returns a
``SafeString`` (``mark_safe`` after escaping): templates print it with ``{{ chart }}``
and must not escape it again. Colours meet WCAG AA contrast on white.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#1d6fa5"
TRACK = "#e3e8ee"
INK = "#1f2933"
MUTED = "#52606d"
DONE = "#2f7d32"
FONT = 'font-family="system-ui, sans-serif"'


def _number(value: float) -> str:
    """1234.5 → "1,234.5"; whole numbers without decimals."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(*, width: int, height: int, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(  # noqa: S308 - every text inside went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}" {FONT}>'
        f"<title>{label}</title>"
        f'<text x="0" y="16" font-size="14" font-weight="600" fill="{INK}">{label}</text>'
        + "".join(body) + "</svg>")


def bar_chart(items: list[tuple[str, float]], *, title: str, unit: str = "",
              width: int = 560) -> SafeString:
    """Horizontal bars, one per item, labelled with the value and ``unit``."""
    row, top, label_width = 28, 30, min(200, width // 3)
    bar_space = width - label_width - 90
    largest = max((value for _, value in items), default=0) or 1
    suffix = f" {escape(unit)}" if unit else ""
    body = []
    for index, (label, value) in enumerate(items):
        y = top + index * row
        length = max(0.0, float(value)) / float(largest) * bar_space
        body.append(
            f'<text x="{label_width - 8}" y="{y + 17}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18" '
            f'fill="{BAR}" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="12" '
            f'fill="{MUTED}">{_number(value)}{suffix}</text>')
    height = top + max(len(items), 1) * row + 6
    return _svg(width=width, height=height, title=title, body=body)


def funnel_chart(steps: list[tuple[str, int]], *, title: str, width: int = 560
                 ) -> SafeString:
    """Centred bars narrowing step by step (sent → opened → pledged → attended), each
    with its count and its share of the first step."""
    row, top = 34, 30
    first = steps[0][1] if steps else 0
    body = []
    for index, (label, count) in enumerate(steps):
        y = top + index * row
        share = count / first if first else 0.0
        length = max(2.0, share * (width - 20))
        x = (width - length) / 2
        percent = f" ({share:.0%})" if index and first else ""
        body.append(
            f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="26" fill="{BAR}" '
            f'opacity="{1 - index * 0.15:.2f}" rx="3"/>'
            f'<text x="{width / 2:.1f}" y="{y + 18}" font-size="12" text-anchor="middle" '
            f'fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
            f"{escape(label)}: {_number(count)}{percent}</text>")
    height = top + max(len(steps), 1) * row + 4
    return _svg(width=width, height=height, title=title, body=body)


def progress_chart(value: float, target: float, *, title: str) -> SafeString:
    """A bar filling toward a target (green once reached), with "value / target"."""
    width, share = 560, (min(float(value) / float(target), 1.0) if target else 0.0)
    colour = DONE if target and value >= target else BAR
    body = [
        f'<rect x="0" y="28" width="{width}" height="20" fill="{TRACK}" rx="4"/>',
        f'<rect x="0" y="28" width="{share * width:.1f}" height="20" fill="{colour}" rx="4"/>',
        f'<text x="0" y="66" font-size="12" fill="{MUTED}">'
        f"{_number(value)} / {_number(target)} ({share:.0%})</text>",
    ]
    return _svg(width=width, height=72, title=title, body=body)
