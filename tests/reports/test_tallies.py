"""Figures maintained, not recomputed (issue 16): the tallies the triggers keep per
campaign and per person equal a full count of the pledges after any mix of writes —
through the services, bulk statements the services never make, and pledges made at once
from several connections — and a write to one campaign outdates only the stored figures
whose scope includes it."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import (
    Campaign,
    ImpactRecord,
    Invitation,
    Participant,
    Pledge,
    Programme,
    Skill,
    Slot,
    TimeValuation,
)
from engagement.selectors import funnel_counts
from engagement.services.checkin import pledge_check_in, pledge_mark_no_show
from engagement.services.joining import invitation_record_open
from engagement.services.pledges import pledge_cancel, pledge_create
from reports import figures, metrics
from reports.models import CampaignTally, PersonTally, ProgrammeTally
from reports.tallies import programme_tallies, scope_tallies
from tenants.models import Organisation

from ..factories import CampaignFactory, ParticipantFactory, ProgrammeFactory, SlotFactory
from .test_pdf import build_programme

TALLIED = ("pledges_confirmed", "pledges_waitlisted", "pledges_awaiting", "pledges_offered",
           "pledges_cancelled", "seats_confirmed", "people", "attended", "no_show",
           "pledged_seconds", "attended_hours")


def recounted() -> tuple[dict[int, dict], dict[tuple[int, int], tuple]]:
    """The tallies counted again from every pledge, in Python (not by the triggers' SQL)."""
    campaigns: dict[int, dict] = {pk: dict.fromkeys(TALLIED, 0) for pk in
                                  Campaign.objects.values_list("pk", flat=True)}
    persons: dict[tuple[int, int], list] = defaultdict(lambda: [0, 0, Decimal(0)])
    people: dict[int, set[int]] = defaultdict(set)
    for pledge in Pledge.objects.select_related("slot"):
        tally = campaigns[pledge.slot.campaign_id]
        status = {"awaiting": "awaiting"}.get(pledge.status, pledge.status)
        tally[f"pledges_{status}"] += 1
        if pledge.status != Pledge.Status.CONFIRMED:
            continue
        seconds = int((pledge.slot.ends_at - pledge.slot.starts_at).total_seconds())
        tally["seats_confirmed"] += 1 + pledge.companions
        tally["pledged_seconds"] += seconds * (1 + pledge.companions)
        people[pledge.slot.campaign_id].add(pledge.participant_id)
        person = persons[(pledge.participant_id, pledge.slot.campaign_id)]
        person[0] += 1
        if pledge.attendance == Pledge.Attendance.ATTENDED:
            tally["attended"] += 1
            tally["attended_hours"] += pledge.hours_given
            person[1] += 1
            person[2] += pledge.hours_given
        elif pledge.attendance == Pledge.Attendance.NO_SHOW:
            tally["no_show"] += 1
    for pk, who in people.items():
        campaigns[pk]["people"] = len(who)
    # A programme's people: distinct over its campaigns.
    programmes: dict[int, set[int]] = {pk: set() for pk in
                                       Programme.objects.values_list("pk", flat=True)}
    for campaign_id, programme_id in Campaign.objects.values_list("pk", "programme_id"):
        programmes[programme_id] |= people[campaign_id]
    campaigns.update({-pk: {"people": len(who)} for pk, who in programmes.items() if who})
    return campaigns, {key: tuple(value) for key, value in persons.items()}


def maintained() -> tuple[dict[int, dict], dict[tuple[int, int], tuple]]:
    campaigns = {row.pop("campaign_id"): row for row in
                 CampaignTally.objects.values("campaign_id", *TALLIED)}
    # Programmes under their negated id, beside the campaigns.
    campaigns.update({-pk: {"people": people} for pk, people in
                      ProgrammeTally.objects.filter(people__gt=0)
                      .values_list("programme_id", "people")})
    persons = {(row.participant_id, row.campaign_id):
               (row.pledges_confirmed, row.pledges_attended, row.hours_given)
               for row in PersonTally.objects.filter(pledges_confirmed__gt=0)}
    # Rows fallen back to zero are kept, all at zero.
    assert not PersonTally.objects.filter(pledges_confirmed=0).exclude(
        pledges_attended=0, hours_given=0).exists()
    assert not ProgrammeTally.objects.filter(people__lt=0).exists()
    return campaigns, persons


def assert_tallies_equal_a_recount() -> None:
    assert maintained() == recounted()
    assert_figures_equal_a_recount()


FUNNEL = {"invitations_sent": "sent", "invitations_pledged": "pledged",
          "invitations_sent_by_participants": "sent_by_participants",
          "invitations_pledged_by_participants": "pledged_by_participants"}


def assert_funnel_equals_a_count() -> None:
    """Each campaign's kept funnel equals ``funnel_counts`` over its invitations (the
    one rule of the campaign pages, the levers page and the figures)."""
    counted = {row["campaign_id"]: {key: row[key] for key in FUNNEL.values()}
               for row in funnel_counts(by=("campaign_id",))}
    kept = {row.pop("campaign_id"): {FUNNEL[column]: value for column, value in row.items()}
            for row in CampaignTally.objects.values("campaign_id", *FUNNEL)}
    zero = dict.fromkeys(FUNNEL.values(), 0)
    assert {pk: kept.get(pk, zero) for pk in Campaign.objects.values_list("pk", flat=True)} \
        == {pk: counted.get(pk, zero) for pk in Campaign.objects.values_list("pk", flat=True)}


def assert_figures_equal_a_recount() -> dict:
    """Every figure of every programme and campaign, as dashboards, the API, the CSV and
    the PDF read them (from the tallies), equals the same figures computed from every
    pledge; returns them, for the caller to check they are not all zero."""
    assert_funnel_equals_a_count()
    shown = {}
    for programme in Programme.objects.order_by("pk"):
        tallied = metrics.programme_metrics(programme)
        assert tallied == metrics.programme_metrics_recounted(programme), programme.name
        shown[f"programme {programme.pk}"] = tallied
    ids = list(Campaign.objects.order_by("pk").values_list("pk", flat=True))
    tallied_campaigns = metrics.campaigns_metrics(ids)
    assert tallied_campaigns == metrics.campaigns_metrics_recounted(ids)
    for pk in ids[:2]:
        assert metrics.campaign_metrics(Campaign.objects.get(pk=pk)) == tallied_campaigns[pk]
    shown.update({f"campaign {pk}": figures for pk, figures in tallied_campaigns.items()})
    return shown


def _open_campaign(programme, *, slots: int = 2, capacity: int = 4) -> Campaign:
    campaign = CampaignFactory(programme=programme, participant_target=3)
    for index in range(slots):
        SlotFactory(campaign=campaign, capacity=capacity,
                    starts_at=campaign.starts_at + timedelta(minutes=20 * index),
                    ends_at=campaign.starts_at + timedelta(minutes=20 * index + 50))
    return campaign


ACTIONS = {"pledge", "cancel", "check_in", "no_show", "impact", "delete", "bulk",
           "slot_moved", "campaign_moved", "invited", "inviter_changed", "skill",
           "slot_skill", "campaign_start", "campaign_status", "slot_over", "hour_value",
           "pledge_moved", "uninvited", "invitations_bulk", "invitation_opened",
           "invitation_marked", "invitation_deleted", "invitation_moved", "restored"}


@pytest.mark.django_db
def test_tallies_equal_a_recount_after_a_random_mix_of_writes(org_a, manager_a):
    rng = random.Random(17)  # noqa: S311 - a reproducible mix, not a secret
    with tenant_context(org_a):
        programme, other_programme = ProgrammeFactory(), ProgrammeFactory(name="Other")
        campaigns = [_open_campaign(programme) for _ in range(3)]
        slots = list(Slot.objects.filter(campaign__in=campaigns))
        people = [ParticipantFactory() for _ in range(14)]
        indicator = programme.indicators.create(code="kg", position=0, unit="kg",
                                                label_fr="Kilos", label_en="Kilos", sdg=12)
        skills = [Skill.objects.create(name="Carpentry", hourly_rate=Decimal("31.37")),
                  Skill.objects.create(name="Legal advice", hourly_rate=Decimal("87.15"))]
        # Invitations from participants (the referral forest) and from an organiser.
        invitations = [Invitation.objects.create(
            campaign=rng.choice(campaigns), inviter=rng.choice((*people, None)),
            organiser=manager_a, channel="email", lever_code="personal_invitation")
            for _ in range(12)]

        def personal_link() -> Invitation:
            # A participant's own link: sent only once opened or a pledge came through it.
            return Invitation.objects.create(
                campaign=rng.choice(campaigns), inviter=rng.choice(people),
                channel="link_share", lever_code="personal_invitation")

        invitations += [personal_link() for _ in range(12)]
        sent_by_a_pledge_alone: list[bool] = []
        seen: dict[str, list] = {}
        done: set[str] = set()

        def write(action: str) -> None:
            live = list(Pledge.objects.exclude(status=Pledge.Status.CANCELLED))
            confirmed = [p for p in live if p.status == Pledge.Status.CONFIRMED]
            if action == "pledge":
                pledge_create(slot=rng.choice(slots), participant=rng.choice(people),
                              companions=rng.choice((0, 0, 1, 2)))
            elif action == "invited" and live:
                # A pledge made through someone's invitation (a join by their link).
                Pledge.objects.filter(pk=rng.choice(live).pk).update(
                    invitation=rng.choice(invitations),
                    created_at=timezone.now() - timedelta(minutes=rng.randint(0, 600)))
            elif action == "uninvited":
                Pledge.objects.filter(pk__in=Pledge.objects.filter(
                    invitation__isnull=False).values("pk")[:1]).update(invitation=None)
            elif action == "invitations_bulk" and live:
                # Several pledges moved to one invitation in one statement (an import, a
                # correction), some of them from another invitation.
                chosen = rng.sample(live, min(len(live), rng.randint(2, 5)))
                Pledge.objects.filter(pk__in=[p.pk for p in chosen]).update(
                    invitation=rng.choice(invitations))
            elif action == "restored":
                # A cancelled pledge put back on the waiting list by an organiser.
                Pledge.objects.filter(pk__in=Pledge.objects.filter(
                    status=Pledge.Status.CANCELLED).values("pk")[:1]).update(
                    status=Pledge.Status.WAITLISTED)
            elif action == "invitation_opened":
                invitation = rng.choice(invitations)
                invitation_record_open(campaign=invitation.campaign, code=invitation.code)
            elif action == "invitation_marked":
                # Recorded by an organiser or e-mailed to someone, or no longer.
                Invitation.objects.filter(pk=rng.choice(invitations).pk).update(
                    organiser=rng.choice((manager_a, None, None)),
                    invitee_email=rng.choice(("", "", "friend@example.test")))
            elif action == "invitation_deleted":
                # Its pledges are kept, through no invitation (SET_NULL).
                invitation = invitations.pop(rng.randrange(len(invitations)))
                Invitation.objects.filter(pk=invitation.pk).delete()
                invitations.append(personal_link())
            elif action == "invitation_moved":
                Invitation.objects.filter(pk=rng.choice(invitations).pk).update(
                    campaign=rng.choice(campaigns))
            elif action == "inviter_changed":
                Invitation.objects.filter(pk=rng.choice(invitations).pk).update(
                    inviter=rng.choice((*people, None)))
            elif action == "skill" and confirmed:
                # Skills-based volunteering: the person's own skill and the rate kept.
                skill = rng.choice((*skills, None))
                Pledge.objects.filter(pk=rng.choice(confirmed).pk).update(
                    skill=skill, hour_rate=None if skill is None or rng.random() < 0.3
                    else Decimal(rng.choice(("25.10", "40.05"))))
            elif action == "slot_skill":
                Slot.objects.filter(pk=rng.choice(slots).pk).update(
                    skill=rng.choice((*skills, None)))
            elif action == "campaign_start":
                # Which campaign came first: returning people change.
                starts_at = timezone.now() + timedelta(days=rng.randint(6, 30))
                Campaign.objects.filter(pk=rng.choice(campaigns).pk).update(
                    starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
                    mobilisation_deadline=starts_at - timedelta(days=1))
            elif action == "campaign_status":
                Campaign.objects.filter(pk=rng.choice(campaigns).pk).update(
                    status=rng.choice((Campaign.Status.FAILED, Campaign.Status.COMPLETED,
                                       Campaign.Status.OPEN, Campaign.Status.OPEN)))
            elif action == "slot_over":
                # An action that is over: its confirmed pledges count for attendance.
                now = timezone.now().replace(microsecond=0)
                Slot.objects.filter(pk=rng.choice(slots).pk).update(
                    starts_at=now - timedelta(hours=5),
                    ends_at=now - timedelta(hours=rng.choice((1, 2))))
            elif action == "hour_value":
                TimeValuation.objects.update_or_create(pk=1, defaults={
                    "hour_value": Decimal(rng.choice(("11.88", "15.37", "23.01")))})
            elif action == "pledge_moved" and live:
                # An organiser's correction: a pledge moved to a slot of another
                # campaign (refused when the person already has one there).
                Pledge.objects.filter(pk=rng.choice(live).pk).update(slot=rng.choice(slots))
            elif action == "cancel" and live:
                # Cancelling a confirmed pledge promotes or offers the waiting list.
                pledge_cancel(pledge=rng.choice(live))
            elif action == "check_in" and confirmed:
                pledge_check_in(pledge=rng.choice(confirmed), by_user=manager_a,
                                hours=Decimal(rng.choice(("1.5", "2", "0.25"))))
            elif action == "no_show" and confirmed:
                pledge_mark_no_show(pledge=rng.choice(confirmed))
            elif action == "impact":
                ImpactRecord.objects.update_or_create(
                    campaign=rng.choice(campaigns), indicator=indicator,
                    defaults={"value": Decimal(rng.randint(0, 50))})
            elif action == "delete" and live:
                Pledge.objects.filter(pk=rng.choice(live).pk).delete()
            elif action == "bulk":
                # Statements the services never make: several rows of several
                # campaigns at once (an import, an organiser's correction).
                Pledge.objects.filter(status=Pledge.Status.CONFIRMED,
                                      attendance=Pledge.Attendance.PENDING).update(
                    attendance=Pledge.Attendance.ATTENDED, hours_given=Decimal(1))
            elif action == "campaign_moved":
                # To the other programme, or back: both programmes' people change.
                moved = rng.choice(campaigns)
                Campaign.objects.filter(pk=moved.pk).update(programme=rng.choice(
                    (programme, other_programme)))
            elif action == "slot_moved":
                Slot.objects.filter(pk=rng.choice(slots).pk).update(
                    ends_at=F("starts_at") + timedelta(minutes=rng.randint(30, 240)))

        for step in range(300):
            action = rng.choice(("pledge",) * 5 + ("invited", *sorted(ACTIONS)))
            try:
                with transaction.atomic():
                    write(action)
                done.add(action)
            except (DomainError, IntegrityError):
                pass  # already pledged to that slot, a refused correction...
            sent_by_a_pledge_alone.append(Invitation.objects.filter(
                organiser__isnull=True, invitee_email="", first_opened_at__isnull=True,
                pledges__isnull=False).exists())
            if step % 55 == 54:
                for key, shown in assert_figures_equal_a_recount().items():
                    seen.setdefault(key, []).append(shown)
        Pledge.objects.bulk_create([
            Pledge(slot=slots[0], participant=person, status=Pledge.Status.CONFIRMED,
                   companions=1, attendance=Pledge.Attendance.ATTENDED,
                   hours_given=Decimal("2.5"), created_at=timezone.now())
            for person in ParticipantFactory.create_batch(3)])
        assert CampaignTally.objects.filter(pledges_confirmed__gt=0).count() >= 2
        assert_tallies_equal_a_recount()
        # Every kind of write happened, and the mix reached every kind of figure
        # somewhere (not an equality of zeros).
        assert done == ACTIONS, ACTIONS - done
        everything = [f for shown in seen.values() for f in shown]
        for path in (("snowball", "brought_pledged"), ("snowball", "generations"),
                     ("participants", "returning"), ("participants", "with_companions"),
                     ("attendance", "confirmed"), ("attendance", "attended"),
                     ("attendance", "no_show"), ("value", "amount"),
                     ("value", "skills_based_amount"), ("hours", "pledged"),
                     ("hours", "attended"), ("snowball", "brought_attended"),
                     ("invitations", "sent"), ("invitations", "pledged"),
                     ("invitations", "sent_by_participants"),
                     ("invitations", "pledged_by_participants")):
            assert any(f[path[0]][path[1]] for f in everything), path
        # Invitations counted as sent only through a pledge made through them.
        assert any(sent_by_a_pledge_alone)
        # A campaign deleted takes its tallies with it.
        campaigns[2].delete()
        assert not CampaignTally.objects.filter(campaign_id=campaigns[2].pk).exists()
        assert not PersonTally.objects.filter(campaign_id=campaigns[2].pk).exists()
        assert_tallies_equal_a_recount()


@pytest.fixture
def busy_campaign(committed):
    """A committed open campaign of two slots and 12 people; removed afterwards."""
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        programme = ProgrammeFactory(name="Concurrent tallies")
        campaign = _open_campaign(programme, capacity=5)
        people = [Participant.objects.create(email=f"tally-{n}@example.test")
                  for n in range(12)]
    yield organisation, campaign, people
    with tenant_context(organisation):
        Pledge.objects.filter(slot__campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__startswith="tally-").delete()


def test_pledges_made_at_once_from_several_connections_are_all_counted(busy_campaign):
    """Each thread has its own connection and transaction: the triggers' ``x = x + delta``
    must neither lose a write nor deadlock (slots fill up: the rest wait-list). Most come
    through one of two people's own links, which count as sent from the first pledge
    through them: the pledges that may each be the first must count them once."""
    organisation, campaign, people = busy_campaign
    with tenant_context(organisation):
        slots = list(campaign.slots.order_by("pk"))
        links = [Invitation.objects.create(campaign=campaign, inviter=people[n],
                                           channel="link_share",
                                           lever_code="personal_invitation")
                 for n in (0, 1)]
    start = threading.Barrier(len(people))

    def pledge(index: int) -> None:
        try:
            with tenant_context(organisation):
                start.wait(timeout=20)
                made = pledge_create(slot=slots[index % 2], participant=people[index],
                                     companions=index % 3 == 0,
                                     invitation=links[index % 2] if index % 3 else None)
                if index % 4 == 0:
                    pledge_cancel(pledge=made)
                elif index % 4 == 1 and made.status == Pledge.Status.CONFIRMED:
                    pledge_check_in(pledge=made, by_user=None,
                                    now=made.slot.starts_at)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        list(pool.map(pledge, range(len(people))))
    with tenant_context(organisation):
        # Every figure too (parties, attendance, the people's rows' entries).
        assert metrics.campaigns_metrics([campaign.pk]) == \
            metrics.campaigns_metrics_recounted([campaign.pk])
        tally = CampaignTally.objects.get(campaign_id=campaign.pk)
        assert tally.pledges_confirmed + tally.pledges_waitlisted + tally.pledges_offered \
            + tally.pledges_cancelled == len(people)
        assert tally.pledges_confirmed > 0 and tally.pledges_cancelled > 0
        assert (tally.invitations_sent, tally.invitations_sent_by_participants) == (2, 2)
        assert_funnel_equals_a_count()
        expected_campaigns, expected_persons = recounted()
        got_campaigns, got_persons = maintained()
        assert got_campaigns[campaign.pk] == expected_campaigns[campaign.pk]
        assert {k: v for k, v in got_persons.items() if k[1] == campaign.pk} == \
            {k: v for k, v in expected_persons.items() if k[1] == campaign.pk}


def test_pledges_and_recounts_at_once_take_their_locks_in_one_order(busy_campaign):
    """Bulk pledges (one statement for 30 people, so the person rows take a while to lock)
    and full recounts of the same campaign, from several connections at once. Every path
    locks the campaign's tally first, then its people's rows: 0009's pledge trigger took
    the people's rows first and the campaign's last, the recount the other way round, so
    a pledge and a recount could each wait for the other (a deadlock, one of them
    failing). Afterwards the tallies and the figures still equal a recount from the
    pledges."""
    organisation, campaign, _people = busy_campaign
    with tenant_context(organisation):
        slots = list(campaign.slots.order_by("pk"))
        crowd = [Participant.objects.create(email=f"tally-crowd-{n}@example.test")
                 for n in range(90)]
    writers, failures = 3, []
    start = threading.Barrier(writers + 1)

    def write(index: int) -> None:
        try:
            with tenant_context(organisation):
                start.wait(timeout=20)
                mine = crowd[index * 30:(index + 1) * 30]
                for turn in range(8):
                    slot = slots[turn % 2]
                    Pledge.objects.bulk_create([
                        Pledge(slot=slot, participant=person, status=Pledge.Status.CONFIRMED,
                               companions=turn % 3, created_at=timezone.now())
                        for person in mine])
                    if turn < 7:
                        Pledge.objects.filter(slot=slot, participant__in=mine).delete()
        except Exception as error:  # noqa: BLE001 - reported below, with its kind
            failures.append(error)
        finally:
            connection.close()

    def recount() -> None:
        try:
            with tenant_context(organisation):
                start.wait(timeout=20)
                for _ in range(16):
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute("SELECT reports_tally_recount(current_schema(), %s)",
                                       [[campaign.pk]])
        except Exception as error:  # noqa: BLE001
            failures.append(error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=writers + 1) as pool:
        done = [pool.submit(write, index) for index in range(writers)]
        done.append(pool.submit(recount))
        for future in done:
            future.result()
    assert failures == []
    with tenant_context(organisation):
        expected_campaigns, expected_persons = recounted()
        got_campaigns, got_persons = maintained()
        assert got_campaigns[campaign.pk] == expected_campaigns[campaign.pk]
        assert got_campaigns[campaign.pk]["people"] == 90
        assert {k: v for k, v in got_persons.items() if k[1] == campaign.pk} == \
            {k: v for k, v in expected_persons.items() if k[1] == campaign.pk}
        assert metrics.campaigns_metrics([campaign.pk]) == \
            metrics.campaigns_metrics_recounted([campaign.pk])
        programme = Programme.objects.get(pk=campaign.programme_id)
        assert metrics.programme_metrics(programme) == \
            metrics.programme_metrics_recounted(programme)


@pytest.mark.django_db
def test_a_write_outdates_only_the_figures_of_its_own_campaigns(org_a):
    with tenant_context(org_a):
        busy, quiet = build_programme(title="Busy"), build_programme(title="Quiet")
        # A new person is an organisation-wide change (their team, site...): made first.
        newcomer = ParticipantFactory()
        busy_figures = figures.programme_figures(busy)
        quiet_figures = figures.programme_figures(quiet)
        campaign_figures = figures.campaign_figures(busy.campaigns.last())
        first = busy.campaigns.order_by("starts_at").first()
        Pledge.objects.create(slot=first.slots.first(), participant=newcomer,
                              status=Pledge.Status.CONFIRMED, created_at=timezone.now())
        # The quiet programme's stored figures are still current: read, not recomputed.
        assert figures.programme_figures(quiet).computed_at == quiet_figures.computed_at
        assert figures.campaign_figures(busy.campaigns.last()).computed_at == \
            campaign_figures.computed_at
        again = figures.programme_figures(busy)
        assert again.computed_at > busy_figures.computed_at
        assert again.data["participants"]["mobilised"] == \
            busy_figures.data["participants"]["mobilised"] + 1
        # An organisation-wide source (a participant's team) still outdates everything.
        Participant.objects.filter(pk=Pledge.objects.order_by("pk").first()
                                   .participant_id).update(site="Lyon")
        assert figures.programme_figures(quiet).computed_at > quiet_figures.computed_at


@pytest.mark.django_db
def test_figures_read_from_the_tallies_equal_the_metrics(org_a):
    with tenant_context(org_a):
        programme = build_programme()
        computed = metrics.programme_metrics(programme)
        tallied = programme_tallies(programme)
        assert tallied["mobilised"] == computed["participants"]["mobilised"] > 0
        assert tallied["pledged_hours"] == computed["hours"]["pledged"] > 0
        assert tallied["attended_hours"] == computed["hours"]["attended"] > 0
        assert tallied["campaigns"] == computed["campaigns"]["total"]
        # One more confirmed pledge, in both.
        Pledge.objects.create(slot=programme.campaigns.first().slots.first(),
                              participant=ParticipantFactory(), companions=2,
                              status=Pledge.Status.CONFIRMED, created_at=timezone.now())
        computed, tallied = metrics.programme_metrics(programme), programme_tallies(programme)
        assert tallied["mobilised"] == computed["participants"]["mobilised"]
        assert tallied["pledged_hours"] == computed["hours"]["pledged"]
        # Counted over the people's rows (any scope) or read from the programme's row.
        assert scope_tallies(programme.campaigns.all()) == tallied
