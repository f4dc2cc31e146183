"""A person's Fullmobs profile: their actions in every organisation that links them, read
at the moment they look, from each organisation's own schema.

The public table (``profiles.ProfileLink``) holds a keyed hash of the address and, per
organisation, the participant's id there; nothing else crosses schemas. For each link the
organisation's schema is read for that participant only, and only while the participant
still has the proven address (a changed or erased address links nothing), so one person's
link never shows another address's actions. Organisations closed since are left out."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tenants.utils import tenant_context

from core.formatting import quantity
from core.i18n import language
from profiles.models import ProfileLink
from profiles.services import address_key
from tenants.models import Organisation

from . import links
from .models import ImpactRecord, Participant, Pledge
from .referrals import participant_brought_count

logger = logging.getLogger(__name__)


@dataclass
class ProfileAction:
    campaign: str
    when: str  # the start, in the organisation's time zone and the reader's language
    starts_at: Any
    ends_at: Any
    place: str
    status: str
    attendance: str
    companions: int
    hours: Decimal
    is_past: bool


@dataclass
class ProfileOrganisation:
    name: str
    actions: list[ProfileAction] = field(default_factory=list)
    hours: Decimal = Decimal(0)
    brought: int = 0
    impact: list[str] = field(default_factory=list)
    consent_url: str = ""
    time_zone: str = "Europe/Paris"  # the organisation's: its dates are read in it


@dataclass
class PersonProfile:
    organisations: list[ProfileOrganisation]
    # Organisations whose schema could not be read at that moment (logged): named, so
    # the person knows their actions there are missing, not gone.
    unavailable: list[str] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(1 for o in self.organisations for a in o.actions
                   if a.status == Pledge.Status.CONFIRMED)

    @property
    def hours(self) -> Decimal:
        return sum((o.hours for o in self.organisations), Decimal(0))

    @property
    def brought(self) -> int:
        return sum(o.brought for o in self.organisations)


def _consent_url(organisation: Organisation, participant: Participant) -> str:
    """The participant's own page there (its consent section), signed for that schema;
    reversed in the organisations' URLconf, whichever host asks."""
    path = reverse("participant_home", args=[links.participant_token(participant)],
                   urlconf=settings.ROOT_URLCONF)
    return organisation.absolute_url(path) + "#consent"


def _impact(campaign_ids: list[int]) -> list[str]:
    """What the actions the person came to achieved (the campaigns' impact records),
    summed per indicator, as people read it ("120 kg")."""
    rows = (ImpactRecord.objects.filter(campaign_id__in=campaign_ids)
            .values("indicator__unit", "indicator__label_fr", "indicator__label_en")
            .annotate(total=Sum("value")).order_by("indicator__label_en"))
    lang = language()
    # French puts a narrow no-break space before the colon.
    colon = "\u202f: " if lang == "fr" else ": "
    return [f"{(row['indicator__label_fr'] if lang == 'fr' else '') or row['indicator__label_en']}"
            f"{colon}{quantity(row['total'], row['indicator__unit'])}" for row in rows]


def _read(organisation: Organisation, participant_id: int, key: str
          ) -> ProfileOrganisation | None:
    participant = Participant.objects.filter(pk=participant_id, erased_at__isnull=True).first()
    if participant is None or address_key(participant.email) != key:
        return None
    now = timezone.now()
    pledges = list(participant.pledges.exclude(status=Pledge.Status.CANCELLED)
                   .select_related("slot__campaign").order_by("slot__starts_at", "pk"))
    entry = ProfileOrganisation(name=organisation.name, time_zone=organisation.time_zone,
                                brought=participant_brought_count(participant),
                                consent_url=_consent_url(organisation, participant))
    came = []
    for pledge in pledges:
        campaign = pledge.slot.campaign
        with timezone.override(organisation.time_zone):
            when = date_format(timezone.localtime(pledge.slot.starts_at), "DATETIME_FORMAT")
        entry.actions.append(ProfileAction(
            campaign=campaign.localized("title").text, when=when,
            starts_at=pledge.slot.starts_at,
            ends_at=pledge.slot.ends_at, place=campaign.place, status=pledge.status,
            attendance=pledge.attendance, companions=pledge.companions,
            hours=pledge.hours_given, is_past=pledge.slot.ends_at < now))
        entry.hours += pledge.hours_given
        if pledge.attendance == Pledge.Attendance.ATTENDED:
            came.append(campaign.pk)
    entry.impact = _impact(came) if came else []
    return entry


def person_profile(key: str) -> PersonProfile:
    """Everything the organisations linked to ``key`` hold of the person's actions, in the
    active language, organisations by name."""
    rows = list(ProfileLink.objects.filter(address_key=key)
                .select_related("organisation")
                .exclude(organisation__status=Organisation.Status.CLOSED)
                .order_by("organisation__name", "pk"))
    found, unavailable = [], []
    for row in rows:
        try:
            # A savepoint: a failed read leaves the caller's transaction usable.
            with tenant_context(row.organisation), transaction.atomic():
                entry = _read(row.organisation, row.participant_id, key)
        except Exception:
            # One organisation's schema (missing, migrating, broken) never costs the
            # person the others; logged with the schema, never the address or its key.
            logger.exception("Fullmobs profile: reading schema %s failed",
                             row.organisation.schema_name)
            unavailable.append(row.organisation.name)
            continue
        if entry is not None:
            found.append(entry)
    return PersonProfile(organisations=found, unavailable=unavailable)


def _status(action: ProfileAction) -> str:
    return str(dict(Pledge.Status.choices).get(action.status, ""))


def _attendance(action: ProfileAction) -> str:
    return str(dict(Pledge.Attendance.choices).get(action.attendance, ""))


def _when(moment, zone: str | None = None) -> str:
    """ISO 8601 without seconds, in ``zone`` (an organisation's) or the active one."""
    if zone is None:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    with timezone.override(zone):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _hours(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if language() == "fr" else text


def _columns() -> list[str]:
    return [_("Organisation"), _("Campaign"), _("Starts"), _("Ends"), _("Place"),
            _("Status"), _("Attendance"), _("Companions"), _("Hours given")]


def _rows(profile: PersonProfile) -> list[list[str | int]]:
    return [[o.name, a.campaign, _when(a.starts_at, o.time_zone),
             _when(a.ends_at, o.time_zone), a.place, _status(a),
             _attendance(a), a.companions, _hours(a.hours)]
            for o in profile.organisations for a in o.actions]


def profile_export(profile: PersonProfile, *, in_language: str) -> dict[str, Any]:
    """The profile as JSON-able data, its keys and values in ``in_language``."""
    with translation.override(in_language):
        columns = _columns()
        return {
            "exported_at": _when(timezone.now()), "language": in_language,
            "totals": {_("Actions"): profile.actions, _("Hours given"): _hours(profile.hours),
                       _("People who joined through your links"): profile.brought,
                       _("Organisations"): len(profile.organisations)},
            "organisations": [{
                _("Organisation"): o.name, _("Hours given"): _hours(o.hours),
                _("People who joined through your links"): o.brought,
                _("Impact of the actions you came to"): o.impact,
                _("Actions"): [dict(zip(columns[1:], row[1:], strict=True))
                               for row in _rows(PersonProfile([o]))],
            } for o in profile.organisations],
            _("Organisations whose actions could not be read just now"): profile.unavailable,
        }


def profile_export_csv(profile: PersonProfile, *, in_language: str) -> bytes:
    """One row per action, headers in ``in_language``; UTF-8 with a byte-order mark so
    that spreadsheets read accents."""
    with translation.override(in_language):
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(_columns())
        writer.writerows(_rows(profile))
    return ("\ufeff" + text.getvalue()).encode()
