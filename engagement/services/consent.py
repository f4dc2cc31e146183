"""Consent to hear about future actions: a record of each change, and the current answer.

Every change of ``Participant.consent_to_contact`` goes through ``consent_record``: the
join form, the person's own page, the unsubscribe link, an import and the API. It appends a
``ConsentRecord`` (when, how, which campaign, the wording in the language shown, and its
version) and updates the cached field in the same transaction, so the field is always the
latest record's answer.

A record is made per change, not per form sent: ticking the box again while consenting
already records nothing; ticking it after a withdrawal is a new consent.

What the organisation may do (import, API): give consent only when it says it collected
it (its own wording, ``ORGANISATION_VERSION``), never over a withdrawal the person made
themselves; an import never withdraws. The API may withdraw (a person's request relayed).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.i18n import language as active_language

from ..models import Campaign, ConsentRecord, Participant

Source = ConsentRecord.Source

# The texts people see, word for word, by version. A new wording is a new version: the
# old ones stay here, since records name them. Not translated through the catalogue: what
# is recorded must be exactly what was shown.
CONSENT_WORDING: dict[str, dict[str, str]] = {
    "2026-11": {
        "fr": "Me tenir au courant des prochaines actions de l’organisation",
        "en": "Tell me about the organisation’s future actions",
    },
    # What an import or the API records: the organisation says it asked the person.
    "org-2026-11": {
        "fr": "Consentement recueilli par l’organisation (liste importée ou API)",
        "en": "Consent collected by the organisation (imported list or API)",
    },
    # Consents given before records were kept (written once by a migration).
    "legacy": {
        "fr": "Consentement donné avant la tenue du registre des consentements",
        "en": "Consent given before consent records were kept",
    },
}
CONSENT_VERSION = "2026-11"
ORGANISATION_VERSION = "org-2026-11"
LEGACY_VERSION = "legacy"

# Sources where the person acts themselves; the others are the organisation's.
PERSONAL_SOURCES = frozenset({Source.JOIN_FORM, Source.OWN_PAGE, Source.UNSUBSCRIBE_LINK})
ORGANISATION_SOURCES = frozenset({Source.IMPORT, Source.API, Source.ORGANISER})


def consent_wording(version: str = CONSENT_VERSION, language: str | None = None) -> str:
    """The wording of ``version`` in ``language`` (the active language by default)."""
    return CONSENT_WORDING[version][active_language(language)]


def consent_current(participant: Participant) -> bool:
    """Whether the person currently agrees to hear about future actions."""
    return bool(participant.consent_to_contact)


def _withdrawn_by_themselves(participant: Participant) -> bool:
    latest = (ConsentRecord.objects.filter(participant=participant,
                                           purpose=ConsentRecord.Purpose.FUTURE_ACTIONS)
              .order_by("-recorded_at", "-pk").first())
    return participant.unsubscribed_at is not None or (
        latest is not None and not latest.given and latest.source in PERSONAL_SOURCES)


def consent_record(*, participant: Participant, given: bool, source: str,
                   campaign: Campaign | None = None,
                   language: str = "") -> ConsentRecord | None:
    """Record that the person gave (``given``) or withdrew their consent, through
    ``source``; None when nothing changes (the answer is already this one, or the
    organisation tries to give a consent the person withdrew, or an import withdraws).

    ``language`` is the language the wording was shown in (the active one by default).
    The unsubscribe link also keeps the first date the person asked for no messages;
    consent the person gives again themselves (join form, own page) ends that."""
    if source not in Source.values:
        raise ValueError(f"unknown consent source {source!r}")
    lang = active_language(language or None)
    with transaction.atomic():
        # Locked: two changes at once are recorded one after the other, never both.
        person = Participant.objects.select_for_update().get(pk=participant.pk)
        changed: list[str] = []
        if source == Source.UNSUBSCRIBE_LINK and person.unsubscribed_at is None:
            person.unsubscribed_at = timezone.now()
            changed.append("unsubscribed_at")
        if given and source in PERSONAL_SOURCES and person.unsubscribed_at is not None:
            person.unsubscribed_at = None  # subscribes again, by their own hand
            changed.append("unsubscribed_at")
        record = None
        refused = (source in ORGANISATION_SOURCES and given
                   and _withdrawn_by_themselves(person)) or (
            source == Source.IMPORT and not given)
        if person.consent_to_contact != given and not refused:
            version = (ORGANISATION_VERSION if source in ORGANISATION_SOURCES
                       else CONSENT_VERSION)
            record = ConsentRecord.objects.create(
                participant=person, given=given, source=source, campaign=campaign,
                wording_version=version, wording=CONSENT_WORDING[version][lang],
                language=lang)
            person.consent_to_contact = given
            changed.append("consent_to_contact")
        if changed:
            person.save(update_fields=changed)
    participant.consent_to_contact = person.consent_to_contact
    participant.unsubscribed_at = person.unsubscribed_at
    return record


def consent_history(participant: Participant) -> list[ConsentRecord]:
    """The person's consent records, oldest first."""
    return list(ConsentRecord.objects.filter(participant=participant)
                .select_related("campaign").order_by("recorded_at", "pk"))
