"""Reads of the directory of actions: the search behind /actions/ and its feeds, and the
platform's track record (the page, the landing and the API read the same answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin
from django.utils import timezone

from .models import ListedCampaign

EARTH_RADIUS_KM = 6371.0088
# A cell of the track record is shown only when this many organisations stand behind it.
MIN_ORGANISATIONS = 5
FINISHED = (ListedCampaign.Status.SUCCEEDED, ListedCampaign.Status.FAILED,
            ListedCampaign.Status.COMPLETED)
REACHED = (ListedCampaign.Status.SUCCEEDED, ListedCampaign.Status.COMPLETED)


@dataclass(frozen=True)
class DirectorySearch:
    """A search of the directory, as the strict form read it from the query string."""
    place: str = ""
    near: tuple[Decimal, Decimal] | None = None
    km: int = 25
    starts_from: date | None = None
    starts_until: date | None = None
    theme: str = ""
    # Actions that are over (their results), most recent first, instead of those to come.
    finished: bool = False


def listed_campaigns_visible() -> QuerySet[ListedCampaign]:
    """Rows of organisations still open: a closure requested takes them out of view at once
    (its rows are also deleted by the closure itself)."""
    return ListedCampaign.objects.filter(organisation__closure_requested_at__isnull=True,
                                         organisation__closed_at__isnull=True)


def directory_search(search: DirectorySearch, *, now: datetime | None = None
                     ) -> QuerySet[ListedCampaign]:
    """Actions that have not ended yet, soonest first (or, for ``search.finished``, those
    that have, most recent first), matching every criterion given."""
    now = now or timezone.now()
    rows = listed_campaigns_visible()
    rows = rows.filter(ends_at__lte=now) if search.finished else rows.filter(ends_at__gt=now)
    if search.place:
        rows = rows.filter(place__icontains=search.place)
    if search.theme:
        rows = rows.filter(theme=search.theme)
    if search.starts_from:
        rows = rows.filter(ends_at__date__gte=search.starts_from)
    if search.starts_until:
        rows = rows.filter(starts_at__date__lte=search.starts_until)
    if search.near is not None:
        return _within(rows, search.near, search.km)
    if search.finished:
        return rows.order_by("-starts_at", "-id")
    return rows.order_by("starts_at", "id")


def _within(rows: QuerySet[ListedCampaign], point: tuple[Decimal, Decimal], km: int
            ) -> QuerySet[ListedCampaign]:
    """Great-circle distance (spherical law of cosines) from ``point``, within ``km``;
    rows without coordinates are left out. A latitude band narrows the rows first. Nearest
    first."""
    lat, lon = float(point[0]), float(point[1])
    band = km / 111.0  # degrees of latitude
    cosine = (Sin(Radians(Value(lat))) * Sin(Radians(F("latitude")))
              + Cos(Radians(Value(lat))) * Cos(Radians(F("latitude")))
              * Cos(Radians(F("longitude")) - Radians(Value(lon))))
    # Clamped to [-1, 1]: rounding can push the cosine of two equal points past 1.
    distance = ACos(Greatest(Value(-1.0), Least(Value(1.0), cosine,
                                                 output_field=FloatField()),
                             output_field=FloatField())) * Value(EARTH_RADIUS_KM)
    return (rows.filter(latitude__isnull=False, latitude__gte=lat - band,
                        latitude__lte=lat + band)
            .annotate(distance_km=distance).filter(distance_km__lte=km)
            .order_by("distance_km", "starts_at", "id"))


@dataclass
class TrackRecordCell:
    """The finished listed campaigns of one theme ("" for all), and whether they are shown.
    ``reason``: "" when shown, "threshold" (fewer than MIN_ORGANISATIONS organisations),
    "complementary" (hidden so that a smaller hidden cell cannot be worked out by
    subtraction)."""
    theme: str
    organisations: set[int] = field(default_factory=set)
    finished: int = 0
    reached: int = 0
    reason: str = ""

    @property
    def shown(self) -> bool:
        return not self.reason

    @property
    def rate(self) -> float | None:
        return self.reached / self.finished if self.shown and self.finished else None

    def as_json(self) -> dict[str, object]:
        if not self.shown:
            return {"theme": self.theme or None, "shown": False, "reason": self.reason}
        return {"theme": self.theme or None, "shown": True, "campaigns": self.finished,
                "reached": self.reached, "organisations": len(self.organisations),
                "success_rate": round(self.rate, 4) if self.rate is not None else None}


@dataclass
class TrackRecord:
    overall: TrackRecordCell
    themes: list[TrackRecordCell]

    def as_json(self) -> dict[str, object]:
        return {"minimum_organisations": MIN_ORGANISATIONS,
                "overall": self.overall.as_json(),
                "by_theme": [cell.as_json() for cell in self.themes]}


def track_record() -> TrackRecord:
    """Success rate of finished listed campaigns (target reached by the deadline), overall
    and by theme. One grouped query; a cell under MIN_ORGANISATIONS organisations is hidden,
    and so is the next smallest theme while the hidden ones together (with the campaigns
    made without a template, never shown on their own) would come out of "overall minus the
    themes shown" with fewer than MIN_ORGANISATIONS organisations behind them."""
    rows = (listed_campaigns_visible().filter(status__in=FINISHED)
            .values("theme", "organisation_id")
            .annotate(finished=Count("id"), reached=Count("id", filter=Q(status__in=REACHED)))
            .order_by())
    overall = TrackRecordCell(theme="")
    cells: dict[str, TrackRecordCell] = {}
    for row in rows:
        for cell in (overall, cells.setdefault(row["theme"], TrackRecordCell(row["theme"]))):
            cell.organisations.add(row["organisation_id"])
            cell.finished += row["finished"]
            cell.reached += row["reached"]
    unthemed = cells.pop("", TrackRecordCell(theme=""))
    for cell in cells.values():
        if len(cell.organisations) < MIN_ORGANISATIONS:
            cell.reason = "threshold"
    if len(overall.organisations) < MIN_ORGANISATIONS:
        overall.reason = "threshold"
    while True:
        hidden = set(unthemed.organisations).union(
            *(c.organisations for c in cells.values() if not c.shown))
        shown = sorted((c for c in cells.values() if c.shown),
                       key=lambda c: (len(c.organisations), c.finished, c.theme))
        if not hidden or len(hidden) >= MIN_ORGANISATIONS or not shown:
            break
        shown[0].reason = "complementary"
    themes = sorted(cells.values(), key=lambda c: c.theme)
    return TrackRecord(overall=overall, themes=themes)

