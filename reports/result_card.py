"""A finished campaign's result card: the Open Graph image (PNG, 1200 × 630) that social
networks and messaging apps show under its shared link once the action is over, drawn with
Pillow like the progress card (``engagement.share_card``, whose layout and fonts it
shares): the organiser, the title, the date, then what was achieved ("54 people · 120 kg
· 36 hours given") and whether the target was reached, in one language, no code."""

from __future__ import annotations

import io

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw

from core.formatting import count, number
from engagement.share_card import DEFAULT_BRAND, HEIGHT, INK, MARGIN, MUTED, PAPER, WIDTH
from engagement.share_card import _font as font
from engagement.share_card import _lines as wrapped

from .results import CampaignResults

__all__ = ["HEIGHT", "WIDTH", "result_card_png", "result_figures"]


def result_figures(results: CampaignResults, *, for_card: bool = False) -> list[str]:
    """The achievements as short phrases in the active language, people first: on the page
    "Waste collected: 120.5 kg"; on the card, whose lines are cut to the width, the
    amount first ("120.5 kg · Waste collected") so that a long label never hides it."""
    figures = [ngettext("%(n)s person mobilised", "%(n)s people mobilised", results.people)
               % {"n": count(results.people)}]
    figures += [f"{a.amount} · {a.label}" if for_card else
                _("%(label)s: %(amount)s") % {"label": a.label, "amount": a.amount}
                for a in results.impact]
    if results.hours:
        # A value that is not whole takes the plural ("1,5 heures").
        n = int(results.hours) if float(results.hours).is_integer() else 2
        shown = {"h": number(results.hours, 1)}
        figures.append(ngettext("%(h)s hour given", "%(h)s hours given", n) % shown
                       if results.hours_attended else
                       ngettext("%(h)s hour committed", "%(h)s hours committed", n) % shown)
    return figures


def result_status(results: CampaignResults) -> str:
    return _("Target reached") if results.reached else _("Target missed")


def result_card_png(*, results: CampaignResults, title: str, organisation: str,
                    language: str, brand: str = DEFAULT_BRAND) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 18), fill=brand)
    campaign = results.campaign
    with translation.override(language):
        when = date_format(timezone.localtime(campaign.starts_at), "DATE_FORMAT")
        figures = result_figures(results, for_card=True)
        status = result_status(results)
        heading = _("Results")
    width = WIDTH - 2 * MARGIN
    y = 56
    draw.text((MARGIN, y), f"{organisation} · {heading}", font=font(30, bold=True),
              fill=brand)
    y += 56
    title_font = font(54, bold=True)
    for line in wrapped(draw, title, title_font, width, 2):
        draw.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 66
    detail = f"{when} · {campaign.place}" if campaign.place else when
    draw.text((MARGIN, y + 4), wrapped(draw, detail, font(30), width, 1)[0], font=font(30),
              fill=MUTED)
    # The achievements below, the first one (people) largest; at most three lines.
    y = 330
    big, small = font(64, bold=True), font(38, bold=True)
    draw.text((MARGIN, y), wrapped(draw, figures[0], big, width, 1)[0], font=big, fill=INK)
    y += 86
    for phrase in figures[1:3]:
        draw.text((MARGIN, y), wrapped(draw, phrase, small, width, 1)[0], font=small,
                  fill=INK)
        y += 52
    status_font = font(34, bold=True)
    draw.text((WIDTH - MARGIN - draw.textlength(status, font=status_font), HEIGHT - 70),
              status, font=status_font, fill=brand if results.reached else MUTED)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
