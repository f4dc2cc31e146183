"""Time zones: the one an organisation runs in, made active for the code serving it, and
zones named as people read them.

Every page, form, e-mail, calendar file, PDF and export of an organisation shows times in
the organisation's zone (``Organisation.time_zone``). It is made active once where code
enters an organisation: ``tenants.middleware.TimeZoneMiddleware`` for a request, the Celery
signals below for a task (``config/celery.py`` connects them). Code then uses
``timezone.localtime()`` and the template ``date`` filters, which follow the active zone;
nothing formats a datetime in a fixed zone. The public site runs in ``settings.TIME_ZONE``.

Names come from the CLDR through Babel, in the active language: "heure de La Réunion",
"Réunion Time", never "Indian/Reunion".
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location, get_timezone_name
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from .i18n import language

# France's overseas departments and territories first in the settings' list: the
# organisations that most need a zone other than Paris.
OVERSEAS_FRANCE = (
    "Indian/Reunion", "America/Guadeloupe", "America/Martinique", "America/Cayenne",
    "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "America/Miquelon",
    "Pacific/Wallis",
)
# A minus sign, not a hyphen, in "UTC−4" (what screen readers read as "minus").
MINUS = "\u2212"


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone this machine knows ("Indian/Reunion")."""
    return name in _known()


@functools.cache
def _countries() -> dict[str, str]:
    """Zone → ISO country code, from the IANA ``zone.tab`` that the tzdata package ships."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and line[0] != "#")
    return {row[2]: row[0] for row in rows if len(row) >= 3}


@functools.cache
def europe_zones() -> tuple[str, ...]:
    """The canonical ``Europe/*`` zones (aliases such as ``Europe/Kiev`` left out)."""
    aliases = get_global("zone_aliases")
    return tuple(sorted(name for name in _known()
                        if name.startswith("Europe/") and name not in aliases))


def offset_label(zone: str | tzinfo, at: datetime | None = None) -> str:
    """"UTC+4", "UTC−3", "UTC+5:30", "UTC": the zone's offset from UTC at ``at`` (now)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    offset = (at or timezone.now()).astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else MINUS
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _changes_offset(tz: ZoneInfo, year: int) -> bool:
    """Whether the zone has summer time (two offsets in the year)."""
    january, july = datetime(year, 1, 15, tzinfo=tz), datetime(year, 7, 15, tzinfo=tz)
    return january.utcoffset() != july.utcoffset()


def _locale(lang: str | None) -> Locale:
    return Locale.parse(lang or language())


def zone_name(zone: str | tzinfo | None = None, *, lang: str | None = None) -> str:
    """The zone as people call it, in ``lang`` (the active language): "heure de La Réunion",
    "heure de l’Atlantique (UTC−4)", "Central European Time". ``zone``: the active one.

    The CLDR's generic name ("heure d’Europe centrale", valid summer and winter); for a
    zone the CLDR names only by its place ("heure : La Réunion"), its name at this time of
    year ("heure de La Réunion"). A zone without summer time also gets its offset, which
    then never changes."""
    tz = _as_zone(zone)
    locale = _locale(lang)
    now = timezone.now()
    name = get_timezone_name(tz, "long", locale=locale)
    if name == get_timezone_location(tz, locale=locale):
        name = get_timezone_name(now.astimezone(tz), "long", locale=locale)
    if not _changes_offset(tz, now.year):
        name = f"{name} ({offset_label(tz, now)})"
    return name


def _as_zone(zone: str | tzinfo | None) -> ZoneInfo:
    if zone is None:
        zone = timezone.get_current_timezone()
    if isinstance(zone, ZoneInfo):
        return zone
    return ZoneInfo(str(zone))


def zone_choices(*, current: str = "", lang: str | None = None
                 ) -> list[tuple[str, list[tuple[str, str]]]]:
    """The zones an organisation chooses from, grouped for a ``<select>``: France's overseas
    territories, then Europe; ``current`` (an organisation's zone set elsewhere, through
    the API) in a group of its own when it is in neither. Each is named by its country,
    with the city when the country has several zones, and today's offset: "La Réunion
    (UTC+4)", "Espagne — Madrid (UTC+1)"."""
    locale = _locale(lang)
    groups = [(gettext("France overseas"), OVERSEAS_FRANCE),
              (gettext("Europe"), europe_zones())]
    listed = {name for _group, names in groups for name in names}
    if current and current not in listed and is_zone(current):
        groups.append((gettext("Other time zones"), (current,)))
    countries = _countries()
    per_country = Counter(countries.get(name, name) for name in listed)
    now = timezone.now()
    result = []
    for title, names in groups:
        options = []
        for name in names:
            tz = ZoneInfo(name)
            code = countries.get(name, "")
            country = locale.territories.get(code, "") if code else ""
            city = get_timezone_location(tz, locale=locale, return_city=True)
            if not country:
                label = city
            elif per_country.get(code, 0) > 1 and city != country:
                label = f"{country} — {city}"
            else:
                label = country
            options.append((name, f"{label} ({offset_label(tz, now)})"))
        result.append((title, sorted(options, key=lambda option: _sort_key(option[1]))))
    return result


def _sort_key(label: str) -> str:
    """Alphabetical order as a reader expects it: "Écosse" with the E's."""
    return "".join(c for c in unicodedata.normalize("NFKD", label.casefold())
                   if not unicodedata.combining(c))


@contextmanager
def zone_active(name: str | None) -> Iterator[None]:
    """Within the block, ``name`` (an organisation's zone) is the active one; ``None`` or
    an unknown name: ``settings.TIME_ZONE``. The zone active before is restored after."""
    with timezone.override(ZoneInfo(name) if name and is_zone(name) else None):
        yield


def organisation_zone(organisation: Any) -> str:
    """An organisation's zone, or the site's when it has none it can use."""
    name = str(getattr(organisation, "time_zone", "") or "")
    return name if is_zone(name) else str(settings.TIME_ZONE)


# --- Celery: a task runs in its organisation's zone -----------------------------------

def activate_for_task(task: Any = None, **_kwargs: Any) -> None:
    """``task_prerun``, connected after tenant-schemas-celery's own handler has set the
    schema: the organisation's zone for a task queued in its schema, the site's for the
    public schema (the beat). The zone active before is kept on the task's request and
    restored by ``restore_after_task``: an eager task runs inside a request."""
    from .tenancy import current_organisation, on_public_schema

    request = getattr(task, "request", None)
    if request is not None:
        request.fullmobs_previous_zone = timezone.get_current_timezone()
    if on_public_schema():
        timezone.deactivate()
    else:
        timezone.activate(ZoneInfo(organisation_zone(current_organisation())))


def restore_after_task(task: Any = None, **_kwargs: Any) -> None:
    """``task_postrun``: the zone active before the task, again."""
    previous = getattr(getattr(task, "request", None), "fullmobs_previous_zone", None)
    if previous is None:
        timezone.deactivate()
    else:
        timezone.activate(previous)
