"""Mobilisation metrics on a small organisation whose figures are computed by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import (
    Campaign,
    ImpactRecord,
    Invitation,
    Participant,
    Pledge,
    Programme,
    ProgrammeIndicator,
    Slot,
    Team,
)
from reports import metrics
from reports.metrics import campaign_metrics, period_metrics, programme_metrics, team_metrics

from ..factories import ProgrammeFactory, make_campaign_with_slot, make_pledge

CONFIRMED, WAITLISTED = Pledge.Status.CONFIRMED, Pledge.Status.WAITLISTED
ATTENDED, NO_SHOW = Pledge.Attendance.ATTENDED, Pledge.Attendance.NO_SHOW


@dataclass
class World:
    programme: Programme
    c1: Campaign
    c2: Campaign
    team: Team
    slot2: Slot


def build_world(owner) -> World:
    """Programme P: C1 (over, 3 h, completed), C2 (in 10 days, 2 h, open), C3 (over,
    failed, nobody). An older programme Q had C0, where "old" took part.

    Referrals: A → B → C → D and A → F (A's tree: 5 people, 3 generations); E and old
    alone; G (brought by A) only waits, so is not mobilised.
    """
    earlier = ProgrammeFactory(name="Q", participant_target=50)
    programme = ProgrammeFactory(name="P", participant_target=50)
    ProgrammeIndicator.objects.create(programme=programme, code="waste_collected",
                                      position=1, unit="kg", label_fr="Déchets ramassés",
                                      label_en="Waste collected", sdg=14)
    trees = ProgrammeIndicator.objects.create(programme=programme, code="trees_planted",
                                              position=2, unit="trees",
                                              label_fr="Arbres plantés",
                                              label_en="Trees planted", sdg=15)
    c0, slot0 = make_campaign_with_slot(earlier, days=-60, hours=3)
    c1, slot1 = make_campaign_with_slot(programme, days=-10, hours=3)
    c2, slot2 = make_campaign_with_slot(programme, days=10, hours=2, status=Campaign.Status.OPEN)
    make_campaign_with_slot(programme, days=-5, hours=2, status=Campaign.Status.FAILED)
    ImpactRecord.objects.create(campaign=c1, indicator=programme.indicators.get(
        code="waste_collected"), value=Decimal("120.50"))
    assert trees.records.count() == 0

    team = Team.objects.create(name="Ops")
    people = {}
    for name, referrer, in_team in [("a", None, True), ("b", "a", True), ("c", "b", False),
                                    ("d", "c", False), ("e", None, False),
                                    ("f", "a", False), ("g", "a", False),
                                    ("old", None, True)]:
        people[name] = Participant.objects.create(
            email=f"{name}@example.test", referred_by=people.get(referrer),
            team=team if in_team else None)
    a, b, c, d, e, f, g, old = (people[k] for k in ["a", "b", "c", "d", "e", "f", "g", "old"])

    def invite(campaign, inviter=None, **fields):
        return Invitation.objects.create(
            campaign=campaign, inviter=inviter, organiser=None if inviter else owner,
            channel=fields.get("channel", "link_share"),
            lever_code=fields.get("lever", "personal_invitation"))

    inv1, inv2 = invite(c1, a), invite(c1, b)
    inv3, inv4, inv5 = invite(c2, c), invite(c2, a), invite(c2, a)
    invite(c1, e)  # no one answered
    inv7 = invite(c2, channel="intranet", lever="social_proof")
    invite(c1, channel="qr_poster", lever="local_impact")  # no one answered

    make_pledge(slot0, old, attendance=ATTENDED, hours=3)
    make_pledge(slot1, a, companions=1, attendance=ATTENDED, hours=6)
    make_pledge(slot1, b, attendance=ATTENDED, hours=3, invitation=inv1)
    make_pledge(slot1, c, attendance=NO_SHOW, invitation=inv2)
    make_pledge(slot1, old, attendance=ATTENDED, hours=3)
    make_pledge(slot1, e)  # never checked in: still one of the confirmed pledges of C1
    make_pledge(slot2, d, companions=2, invitation=inv3)
    make_pledge(slot2, f, invitation=inv4)
    make_pledge(slot2, g, status=WAITLISTED, invitation=inv5)
    make_pledge(slot2, a, invitation=inv7)
    return World(programme=programme, c1=c1, c2=c2, team=team, slot2=slot2)


@pytest.mark.django_db
def test_programme_metrics_on_a_hand_computed_organisation(org_a, owner_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
        metrics = programme_metrics(world.programme)
    assert metrics["scope"] == {"kind": "programme", "id": world.programme.pk, "name": "P",
                                "start": "2020-01-01", "end": "2035-12-31"}
    # A, B, C, E, old in C1; D, F, A in C2 (G only waits). old came to C0 before.
    # Companions: A brings 1 to C1, D brings 2 to C2.
    assert metrics["participants"] == {"mobilised": 7, "new": 6, "returning": 1,
                                       "with_companions": 10}
    # C1: (A 3×2) + B 3 + C 3 + old 3 + E 3 = 18; C2: D 2×3 + F 2 + A 2 = 10.
    # Attended: A 6 + B 3 + old 3.
    assert metrics["hours"] == {"pledged": 28.0, "attended": 12.0}
    # Only C1 is over: 5 confirmed pledges, 3 attended, 1 no-show, E still pending.
    assert metrics["attendance"] == {"confirmed": 5, "attended": 3, "no_show": 1,
                                     "attendance_rate": 0.6, "no_show_rate": 0.2}
    # C1 completed, C3 failed, C2 not decided yet.
    assert metrics["campaigns"] == {"total": 3, "decided": 2, "succeeded": 1,
                                    "success_rate": 0.5}
    assert metrics["impact"] == [
        {"code": "waste_collected", "unit": "kg", "label_fr": "Déchets ramassés",
         "label_en": "Waste collected", "sdg": 14, "total": 120.5},
        {"code": "trees_planted", "unit": "trees", "label_fr": "Arbres plantés",
         "label_en": "Trees planted", "sdg": 15, "total": 0.0}]
    # 7 invitations sent, 5 by participants (E's personal link, never opened, was not
    # sent); live pledges through them: B, C, D, F, G (waiting counts) by participants,
    # A's C2 pledge through the intranet.
    assert metrics["invitations"] == {
        "sent": 7, "pledged": 6, "conversion": 0.8571,
        "sent_by_participants": 5, "pledged_by_participants": 5,
        "per_participant": 0.7143,  # 5 / 7
        "participant_conversion": 1.0}  # 5 / 5
    # A → B → C → D is 3 hops; A's tree is A, B, C, D, F; K = 5/7 × 5/5 = 5/7.
    # Brought by a participant (the invitation of their first pledge in P): B, C, D, F;
    # of them only B attended (C did not come, D and F's action is ahead).
    assert metrics["snowball"] == {"generations": 3, "largest_tree": 5,
                                   "viral_coefficient": 0.7143,
                                   "brought_pledged": 4, "brought_attended": 1}


@pytest.mark.django_db
def test_campaign_and_team_metrics(org_a, owner_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
        campaign = campaign_metrics(world.c1)
        team = team_metrics(world.team)
    assert campaign["participants"] == {"mobilised": 5, "new": 4, "returning": 1,
                                        "with_companions": 6}
    assert campaign["hours"] == {"pledged": 18.0, "attended": 12.0}
    assert campaign["campaigns"] == {"total": 1, "decided": 1, "succeeded": 1,
                                     "success_rate": 1.0}
    # Invitations sent to C1: A's, B's and the poster (E's link was never opened); B and
    # C pledged through them.
    assert campaign["invitations"]["sent"] == 3
    assert campaign["invitations"]["conversion"] == 0.6667
    # Within C1 the tree is A → B → C (D and F came to C2 only).
    assert campaign["snowball"] == {"generations": 2, "largest_tree": 3,
                                    "viral_coefficient": 0.4,  # 3/5 invitations × 2/3
                                    "brought_pledged": 2, "brought_attended": 1}  # B, C
    # Team Ops: A, B, old, across C0, C1 and C2. old's first pledge (C0) is in the scope.
    assert team["participants"] == {"mobilised": 3, "new": 3, "returning": 0,
                                    "with_companions": 4}
    assert team["hours"] == {"pledged": 3 + 6 + 3 + 3 + 2.0, "attended": 15.0}
    assert team["invitations"]["sent"] == 4  # by A (3) and B (1)
    assert team["snowball"]["largest_tree"] == 2  # A → B
    assert team["impact"] == []


@pytest.mark.django_db
def test_empty_scopes_are_all_zeros(org_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="Nothing yet", participant_target=50)
        metrics = programme_metrics(programme)
        period = period_metrics(date(1999, 1, 1), date(1999, 12, 31))
    for figures in (metrics, period):
        assert figures["participants"] == {"mobilised": 0, "new": 0, "returning": 0,
                                           "with_companions": 0}
        assert figures["hours"] == {"pledged": 0.0, "attended": 0.0}
        assert set(figures["attendance"].values()) == {0}
        assert set(figures["campaigns"].values()) == {0}
        assert set(figures["invitations"].values()) == {0}
        assert figures["snowball"] == {"generations": 0, "largest_tree": 0,
                                       "viral_coefficient": 0.0, "brought_pledged": 0,
                                       "brought_attended": 0}
        assert figures["impact"] == []
    assert period["scope"]["kind"] == "period" and period["scope"]["start"] == "1999-01-01"


@pytest.mark.django_db
def test_period_metrics_take_the_campaigns_starting_in_the_period(org_a, owner_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
        today = timezone.localdate()
        # C1 (10 days ago) and C3 (5 days ago), not C0 (60 days ago) nor C2 (in 10 days).
        metrics = period_metrics(today - timedelta(days=20), today)
    assert metrics["campaigns"]["total"] == 2
    assert metrics["participants"]["mobilised"] == 5
    assert metrics["impact"][0]["total"] == 120.5
    assert world.c2.status == Campaign.Status.OPEN


def _selects(function, *args) -> int:
    with CaptureQueriesContext(connection) as queries:
        function(*args)
    # django-tenants adds "SET search_path" before some queries; those are not counted.
    # The metrics' raw SQL starts with WITH.
    return sum(1 for query in queries.captured_queries
               if query["sql"].lstrip().startswith(("SELECT", "WITH")))


@pytest.mark.django_db
def test_metrics_queries_do_not_grow_with_rows(org_a, owner_a):
    with tenant_context(org_a):
        world = build_world(owner_a)
        few = {name: _selects(function, arg) for name, function, arg in [
            ("programme", programme_metrics, world.programme),
            ("campaign", campaign_metrics, world.c2), ("team", team_metrics, world.team)]}
        for index in range(30):
            person = Participant.objects.create(email=f"more{index}@example.test",
                                                team=world.team)
            make_pledge(world.slot2, person, companions=index % 3)
        many = {name: _selects(function, arg) for name, function, arg in [
            ("programme", programme_metrics, world.programme),
            ("campaign", campaign_metrics, world.c2), ("team", team_metrics, world.team)]}
        assert programme_metrics(world.programme)["participants"]["mobilised"] == 37
    assert few == many
    # The figures' four queries, reading then restoring the settings of the big one, and
    # the value of the hours given (the hour value, then the sums: reports.value).
    assert few["programme"] <= 8


@pytest.mark.django_db
def test_all_campaigns_at_once_give_each_campaigns_own_figures(org_a, owner_a):
    """A report's campaign pages take every campaign's figures in one pass: the same
    figures, campaign by campaign, as one call each (returning people, parties, trees,
    invitations and impact included), in a fixed number of queries."""
    with tenant_context(org_a):
        world = build_world(owner_a)
        # A second referral tree inside C1, and a party over two slots of C2.
        h = Participant.objects.create(email="h@example.test")
        i = Participant.objects.create(email="i@example.test", referred_by=h)
        slot1 = world.c1.slots.get()
        make_pledge(slot1, h, attendance=ATTENDED, hours=3)
        make_pledge(slot1, i, attendance=NO_SHOW)
        extra = Slot.objects.create(campaign=world.c2, starts_at=world.slot2.starts_at,
                                    ends_at=world.slot2.ends_at, capacity=10)
        make_pledge(extra, Participant.objects.get(email="d@example.test"), companions=4)
        campaigns = list(Campaign.objects.order_by("starts_at"))
        assert len(campaigns) == 4  # C0 (programme Q), C1, C3 (nobody), C2
        together = metrics.campaigns_metrics([c.pk for c in campaigns] + [10**9])
        for campaign in campaigns:
            assert together[campaign.pk] == campaign_metrics(campaign), campaign.title
        assert together[world.c1.pk]["snowball"]["largest_tree"] == 3  # a → b → c
        assert metrics.campaigns_metrics([]) == {}
        assert set(together) == {c.pk for c in campaigns}  # the unknown id left out
        # ... two of them for the value of the hours given (reports.value).
        assert _selects(metrics.campaigns_metrics, [c.pk for c in campaigns]) <= 9
