"""Names of lever-analysis rows as people read them: the lever's or the channel's name,
never a catalogue code. Numbers are formatted by ``core.formatting``."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from engagement.models import Channel
from engagement.selectors import RELAUNCH_LEVER, relaunch_lever_name

SEGMENT_NAMES = {"team": gettext_lazy("Team"), "site": gettext_lazy("Site"),
                 "postcode": gettext_lazy("Postcode"), "age_band": gettext_lazy("Age band")}
DIMENSION_NAMES = {"lever": pgettext_lazy("lever analysis", "lever"),
                   "channel": pgettext_lazy("lever analysis", "channel")}


def lever_names(language: str) -> dict[str, str]:
    """Each lever of the catalogue by code, named in ``language``."""
    from methodology.models import Lever

    names = {lever.code: getattr(lever, f"name_{language}", "") or lever.name_en
             for lever in Lever.objects.all()}
    with translation.override(language):
        names[RELAUNCH_LEVER] = relaunch_lever_name()
    return names


def named_lever_rows(rows: list[dict], language: str) -> list[dict]:
    """Lever rows with the names people read: the lever's or the channel's, the
    dimension's, and "Other" translated; never a catalogue code."""
    names = lever_names(language)
    channels = dict(Channel.choices)
    result = []
    for row in rows:
        if row["dimension"] == "lever":
            name = names.get(row["key"]) or row["key"].replace("_", " ").capitalize()
        else:
            name = str(channels.get(row["key"], row["key"]))
        result.append({**row, "name": name,
                       "dimension_name": str(DIMENSION_NAMES.get(row["dimension"], "")),
                       "segment_name": _("Other") if row["is_other"] else row["segment"]})
    return result
