"""Demo engagement data for `make run`: campaigns in every state, a few hundred
participants in teams, referral trees several generations deep, pledges, check-ins and
impact. Rows are written directly (no e-mails go out for made-up people); the seat counts
are kept exactly as the services would."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from engagement.models import (
    Campaign,
    Channel,
    ConsentRecord,
    ImpactRecord,
    Invitation,
    Participant,
    Pledge,
    Programme,
    Slot,
    Team,
    TimeValuation,
)
from engagement.models.value import DEFAULT_HOUR_VALUE
from engagement.services.consent import CONSENT_VERSION, CONSENT_WORDING, ORGANISATION_VERSION
from engagement.services.value import skill_create, slot_set_skill, time_valuation_update

FIRST_NAMES = ["Camille", "Léa", "Hugo", "Lucas", "Chloé", "Manon", "Nathan", "Inès", "Louis",
               "Jade", "Adam", "Emma", "Gabriel", "Sarah", "Arthur", "Lina", "Jules", "Zoé",
               "Raphaël", "Alice", "Yanis", "Nora", "Tom", "Rose", "Malik", "Eva", "Noah",
               "Lou", "Sacha", "Mia"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
              "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Haddad", "Nguyen"]
SEEDS = 10
LEVERS = ["personal_invitation", "social_proof", "deadline", "team_challenge", "leader_example",
          "local_impact", "family_friendly"]


def seed(*, domain: str, teams: list[str], team_kind: str, sites: list[str],
         people: int, seed_value: int) -> None:
    """Fill the current tenant's first programmes with campaigns and people (idempotent:
    does nothing once campaigns exist)."""
    if Campaign.objects.exists():
        return
    rng = random.Random(seed_value)
    programmes = list(Programme.objects.order_by("created_at"))
    if not programmes:
        return
    with transaction.atomic():
        team_rows = [Team.objects.create(name=name, kind=team_kind) for name in teams]
        participants = _participants(rng, domain, team_rows, sites, people)
        # Actions start on the hour (09:00 in the organisation's time zone), as real ones do.
        now = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        main = programmes[0]
        done = _campaign(main, "completed", now - timedelta(days=30), 40, 3,
                         capacities=[30, 30])
        # Failed: short of its target at the deadline, the lab's concluded experiment's
        # sign-ups (demo/experiments.py) included.
        failed = _campaign(main, "failed", now - timedelta(days=12), 200, 4, capacities=[220])
        open_ = _campaign(programmes[-1], "open", now + timedelta(days=18), 150, 3,
                          capacities=[60, 50, 40])
        _campaign(main, "draft", now + timedelta(days=45), 60, 3, capacities=[60])
        _referral_trees(rng, participants, [done, failed, open_])
        _pledges(rng, done, participants[:70], attended_share=0.85)
        _pledges(rng, failed, participants[60:110], attended_share=0)
        _pledges(rng, open_, participants[100:170], attended_share=0)
        _impact(done, people=sum(p.seats for p in Pledge.objects.filter(
            slot__campaign=done, attendance="attended")))
        _commentary(main)
        _value_of_time(done, people=people)


def _value_of_time(campaign: Campaign, *, people: int) -> None:
    """Hours valued at the minimum wage, the completed action's last slot given as
    skills-based volunteering (legal advice), and a workforce size for the CSRD figures."""
    time_valuation_update(hour_value=DEFAULT_HOUR_VALUE,
                          basis=TimeValuation.Basis.MINIMUM_WAGE, workforce_size=people * 4)
    skill = skill_create(name="Conseil juridique", hourly_rate=Decimal("65"))
    skill_create(name="Communication", hourly_rate=Decimal("48"))
    last = campaign.slots.order_by("starts_at").last()
    if last is not None:
        slot_set_skill(slot=last, skill=skill)


# A consultant's commentary on the main programme, printed in its reports by the
# "consultant-commented report" option (the demo company has it).
COMMENTARY = {
    "fr": {
        "summary": "Le programme a **tenu ses promesses** là où l’action était courte et "
                   "proche : le grand nettoyage a réuni plus de monde que prévu, "
                   "accompagnants compris.",
        "levers": "L’**invitation personnelle** et l’**exemple des responsables** ont "
                  "fait réagir bien plus que les messages généraux.\n\n"
                  "- Les équipes qui se sont lancé un défi sont venues à plusieurs\n"
                  "- La date limite a surtout fait réagir dans la dernière semaine",
        "recommendations": "1. Gardez des créneaux de trois heures, le samedi matin.\n"
                           "2. Demandez à chaque responsable d’inviter son équipe "
                           "lui-même.\n3. Annoncez la prochaine action le jour même.",
    },
    "en": {
        "summary": "The programme **delivered** where the action was short and close to "
                   "people: the spring clean-up gathered more people than planned, "
                   "companions included.",
        "levers": "**Personal invitations** and **managers leading by example** made "
                  "people react far more than general messages.\n\n"
                  "- Teams that challenged each other came in groups\n"
                  "- The deadline worked mostly in the last week",
        "recommendations": "1. Keep three-hour slots on Saturday mornings.\n"
                           "2. Ask every manager to invite their own team.\n"
                           "3. Announce the next action on the day.",
    },
}


def _commentary(programme: Programme) -> None:
    from django.db import connection

    from reports.models import Commentary

    # In the organisation's language, and translated: its reports read in either.
    language = "en" if getattr(getattr(connection, "tenant", None), "locale", "fr") == "en" \
        else "fr"
    other = "fr" if language == "en" else "en"
    for section, text in COMMENTARY[language].items():
        Commentary.objects.get_or_create(
            subject_key=f"programme:{programme.pk}", section=section,
            defaults={"scope": "programme", "text": text, "content_language": language,
                      "translations": {other: {"text": COMMENTARY[other][section]}}})


def _participants(rng, domain, teams, sites, count) -> list[Participant]:
    rows = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(Participant(
            email=f"{_ascii(first)}.{_ascii(last)}{n}@{domain}",
            first_name=first, last_name=last, language="fr" if rng.random() < 0.8 else "en",
            team=rng.choice(teams), site=rng.choice(sites),
            age_band=rng.choice(["18-25", "26-35", "36-50", "51-65", "65+"]),
            consent_to_contact=rng.random() < 0.7,
            source=Participant.Source.IMPORT if n < SEEDS else Participant.Source.INVITATION))
    people = Participant.objects.bulk_create(rows)
    # Each consent has its record, as services.consent would have written it.
    ConsentRecord.objects.bulk_create(_consent(person) for person in people
                                      if person.consent_to_contact)
    return people


def _consent(person: Participant) -> ConsentRecord:
    imported = person.source == Participant.Source.IMPORT
    version = ORGANISATION_VERSION if imported else CONSENT_VERSION
    return ConsentRecord(
        participant=person, given=True, wording_version=version,
        wording=CONSENT_WORDING[version][person.language], language=person.language,
        source=ConsentRecord.Source.IMPORT if imported else ConsentRecord.Source.JOIN_FORM)


def _ascii(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _campaign(programme, status, starts_at: datetime, target, hours, *, capacities):
    # Titles without a season: the demo's dates move with the day it is seeded.
    titles = {"completed": "Grand nettoyage des berges", "failed": "Collecte solidaire",
              "open": "Journée d’action collective", "draft": "Chantier participatif"}
    # Written in French and translated into English, but for the draft, which English
    # readers see in French, marked as such.
    english = {"completed": "Big riverbank clean-up", "failed": "Solidarity collection",
               "open": "Collective action day"}
    deadline = starts_at - timedelta(days=7)
    campaign = Campaign.objects.create(
        programme=programme, title=titles[status], place="Parc des Berges",
        description="Rendez-vous à l'entrée du parc. **Gants et sacs fournis.**\n\n"
                    "- Venez en famille\n- Prévoyez de l'eau",
        content_language="fr", translations={"en": {
            "title": english[status],
            "description": "Meet at the park's entrance. **Gloves and bags provided.**\n\n"
                           "- Come with your family\n- Bring water"}}
        if status in english else {},
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours * len(capacities)),
        participant_target=target, mobilisation_deadline=deadline,
        visibility=Campaign.Visibility.PUBLIC if status != "draft" else "internal",
        status={"completed": "completed", "failed": "failed", "open": "open",
                "draft": "draft"}[status],
        closed_at=deadline if status in ("completed", "failed") else None,
        # Opened three weeks before its deadline (a day ago at the latest), as
        # campaign_open would have stamped it; drafts are not open yet.
        opened_at=None if status == "draft"
        else min(deadline - timedelta(days=21), timezone.now() - timedelta(days=1)))
    for i, capacity in enumerate(capacities):
        start = starts_at + timedelta(hours=hours * i)
        Slot.objects.create(campaign=campaign, starts_at=start,
                            ends_at=start + timedelta(hours=hours), capacity=capacity)
    return campaign


def _referral_trees(rng, participants, campaigns) -> None:
    """Ten people start; each brings one or two others, who bring others in turn."""
    invited = participants[SEEDS:]
    parents = participants[:SEEDS]
    cursor = 0
    while cursor < len(invited):
        next_parents = []
        for parent in parents:
            for _ in range(rng.choice([1, 1, 2])):
                if cursor >= len(invited):
                    break
                child = invited[cursor]
                cursor += 1
                child.referred_by = parent
                next_parents.append(child)
                Invitation.objects.create(
                    campaign=rng.choice(campaigns), inviter=parent,
                    channel=rng.choice([Channel.LINK_SHARE, Channel.EMAIL, Channel.LINK_SHARE]),
                    lever_code=rng.choice(LEVERS), invitee_email=child.email,
                    open_count=rng.choice([0, 1, 1, 2]),
                    first_opened_at=timezone.now() - timedelta(days=rng.randint(1, 40)))
        parents = next_parents or parents
    Participant.objects.bulk_update(invited, ["referred_by"])


def _pledges(rng, campaign, people, *, attended_share: float) -> None:
    slots = list(campaign.slots.all())
    for person in people:
        slot = rng.choice(slots)
        companions = rng.choice([0, 0, 0, 1, 2])
        seats = 1 + companions
        confirmed = slot.confirmed_seats + seats <= slot.capacity
        attended = confirmed and rng.random() < attended_share
        if confirmed:
            slot.confirmed_seats += seats
        invitation = Invitation.objects.filter(campaign=campaign, invitee_email=person.email
                                               ).first()
        Pledge.objects.create(
            slot=slot, participant=person, companions=companions, invitation=invitation,
            status="confirmed" if confirmed else "waitlisted",
            attendance=("attended" if attended else
                        "no_show" if confirmed and campaign.status == "completed" else
                        "pending"),
            hours_given=(Decimal(str(slot.hours)) * seats if attended else Decimal(0)),
            confirmed_at=campaign.created_at if confirmed else None,
            checked_in_at=slot.starts_at if attended else None)
    for slot in slots:
        slot.save(update_fields=["confirmed_seats"])


def _impact(campaign, *, people: int) -> None:
    for indicator in campaign.programme.indicators.all():
        per_person = indicator.target_per_participant or Decimal("1.5")
        ImpactRecord.objects.create(
            campaign=campaign, indicator=indicator,
            value=(per_person * people).quantize(Decimal("0.01")),
            note="Pesée et comptage à la fin de l'action")
