"""A campaign's share card: the Open Graph image (PNG, 1200 × 630) that LinkedIn, Teams,
Slack and WhatsApp show under a shared link, made here with Pillow: the campaign's title,
its organiser, its date, a progress bar and "n / target people", in one language.

Social networks fetch the image once and keep it: the campaign page names it with the
number of people committed in its address (``?v=``), so a new address, and a new image,
goes with each change of progress."""

from __future__ import annotations

import io
from functools import cache

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont

from . import links

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
INK, MUTED, TRACK, PAPER = "#1f2933", "#52606d", "#e4e7eb", "#ffffff"
DEFAULT_BRAND = "#1d6f42"
# DejaVu ships with WeasyPrint's usual font set; Pillow's own font stands in without it.
FONT_FILES = {True: ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"),
              False: ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def share_card_url(campaign, *, mobilised: int, language: str) -> str:
    """The card's absolute address, new with each change of progress."""
    return links.absolute(f"{reverse('campaign_card', args=[campaign.code])}"
                          f"?lang={language}&v={mobilised}")


@cache
def _font(size: int, bold: bool = False) -> Font:
    for name in FONT_FILES[bold]:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _lines(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int,
           most: int) -> list[str]:
    """``text`` wrapped to ``width`` pixels in at most ``most`` lines (the last one cut
    with an ellipsis when it does not fit)."""
    lines: list[str] = []
    current = ""
    words = text.split()
    for index, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == most:
            current = " ".join([lines.pop(), *words[index:]])
            break
    lines.append(current)
    last = lines[-1]
    if draw.textlength(last, font=font) > width:
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines[:most]


def share_card_png(*, title: str, organisation: str, starts_at, place: str,
                   mobilised: int, target: int, status_text: str, language: str,
                   brand: str = DEFAULT_BRAND, failed: bool = False) -> bytes:
    """The card as PNG bytes, its texts in ``language`` (dates in the active zone); a
    missed target is written in a neutral grey, never in the brand's (often green)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 18), fill=brand)
    with translation.override(language):
        when = date_format(timezone.localtime(starts_at), "DATETIME_FORMAT")
        people = ngettext("%(n)s / %(target)s person", "%(n)s / %(target)s people",
                          target) % {"n": mobilised, "target": target}
        committed = _("committed")
    y = 60
    draw.text((MARGIN, y), organisation, font=_font(32, bold=True), fill=brand)
    y += 62
    title_font = _font(62, bold=True)
    for line in _lines(draw, title, title_font, WIDTH - 2 * MARGIN, 3):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 76
    detail = f"{when} · {place}" if place else when
    draw.text((MARGIN, y + 6),
              _lines(draw, detail, _font(32), WIDTH - 2 * MARGIN, 1)[0],
              font=_font(32), fill=MUTED)
    # The progress bar sits at the same height whatever the title's length.
    bar_top, bar_height = 452, 40
    draw.rounded_rectangle((MARGIN, bar_top, WIDTH - MARGIN, bar_top + bar_height),
                           radius=bar_height // 2, fill=TRACK)
    share = min(1.0, mobilised / target) if target else 0.0
    if share > 0:
        right = MARGIN + max(bar_height, round((WIDTH - 2 * MARGIN) * share))
        draw.rounded_rectangle((MARGIN, bar_top, right, bar_top + bar_height),
                               radius=bar_height // 2, fill=brand)
    count_font = _font(44, bold=True)
    draw.text((MARGIN, bar_top + 62), people, font=count_font, fill=INK)
    draw.text((MARGIN + draw.textlength(people, font=count_font) + 16, bar_top + 72),
              committed, font=_font(32), fill=MUTED)
    if status_text:
        status_font = _font(32, bold=True)
        draw.text((WIDTH - MARGIN - draw.textlength(status_text, font=status_font),
                   bar_top + 72), status_text, font=status_font,
                  fill=MUTED if failed else brand)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
