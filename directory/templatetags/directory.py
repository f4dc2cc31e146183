"""The directory's pieces for other pages: the track record on the landing page (billing's,
below this app: a tag library is the only way up for a page) and a listed campaign's times
in its organisation's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.utils import timezone

from methodology.models import Theme

from ..models import ListedCampaign
from ..selectors import MIN_ORGANISATIONS, track_record

register = template.Library()


@register.inclusion_tag("directory/_track_record.html")
def track_record_summary(heading: int = 2, compact: bool = False) -> dict[str, Any]:
    """The track record's section; ``compact`` shows the overall figure only (landing)."""
    return {"record": track_record(), "minimum_organisations": MIN_ORGANISATIONS,
            "heading": heading, "compact": compact, "theme_labels": dict(Theme.choices)}


@register.filter
def in_zone(moment: datetime, row: ListedCampaign) -> datetime:
    """``moment`` in the listed campaign's organisation's time zone."""
    try:
        zone: Any = ZoneInfo(row.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = timezone.get_default_timezone()
    return timezone.localtime(moment, zone)


@register.filter
def title_in(row: ListedCampaign, lang: str) -> str:
    return row.title(lang)


@register.filter
def theme_label(code: str) -> str:
    return str(dict(Theme.choices).get(code, ""))
