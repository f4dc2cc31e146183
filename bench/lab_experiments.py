"""Lever experiments at a million pledges: the results (page and API) read the stored
look; the daily look recomputes it in SQL; against the reference of one bare count of
the pledges, measured in the same run.

    .venv/bin/python bench/lab_experiments.py                 # 200,000 people, 1,000,000 pledges
    .venv/bin/python bench/lab_experiments.py 20000 100000    # people, pledges

One organisation, provisioned as sign-up does: people in teams of 10 on 7 sites (with
consent to be contacted), 10 campaigns of 5 slots. An experiment on the last campaign
(an invitation wave: three arms with their levers and a 5 % holdout) is launched by the
product's ``experiment_launch`` (audience, assignments by the hash, the experiment's
state, the assignments linked to their invitations), whose invitation rows are written
with one COPY per variant instead of one INSERT each (the same rows and batch
``invitations_bulk_send`` writes, its e-mails not queued). Then the people pledge,
through their invitation, the control and one treatment at the same rate and one
treatment at a higher one, the holdout lower, so the look reaches a real verdict; the
other campaigns' pledges are written with ``INSERT … SELECT generate_series`` up to
exactly the number of pledges asked. Everything made is dropped at the end.
"""

from __future__ import annotations

import secrets
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

from _support import django_setup

django_setup()

from _support import analyze, copy_rows, organisation_drop, organisation_fresh, timed  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

import lab.experiments.services as experiment_services  # noqa: E402
from engagement.models import (  # noqa: E402
    Campaign,
    Invitation,
    InvitationBatch,
    Participant,
    Pledge,
    Programme,
    Slot,
    Team,
)
from lab.experiments.models import Assignment, Experiment, Variant  # noqa: E402
from lab.experiments.person_sql import ARM_SUMS_SQL  # noqa: E402
from lab.experiments.results import experiment_look_store  # noqa: E402
from lab.experiments.verdict import arm_rows, headline, progress, segment_rows  # noqa: E402
from tenants.models import Membership, User  # noqa: E402

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
PLEDGES = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
CAMPAIGNS, SLOTS = 10, 5
SLUG = "bench-experiments"
# The share of each arm's people who pledge after the launch (the control is V1).
RATES = {"Holdout": 0.15, "V1": 0.20, "V2": 0.25, "V3": 0.20}
LEVERS = {"V1": "social_proof", "V2": "deadline", "V3": "personal_invitation"}


def invitations_copy(*, campaign, audience, lever_code, channel, organiser, now=None,
                     people=None, wording=None, send_at=None) -> InvitationBatch:
    """``invitations_bulk_send`` for a bench: the same batch and invitation rows (one per
    person of the variant, sent at the launch), written with one COPY."""
    now = now or timezone.now()
    batch = InvitationBatch.objects.create(
        campaign=campaign, organiser=organiser, audience=audience.kind,
        audience_label=audience.label, channel=channel, lever_code=lever_code,
        wording=dict(wording or {}), created_at=now)
    emails = dict(Participant.objects.filter(pk__in=list(people or ()))
                  .values_list("pk", "email"))
    invited = copy_rows(
        Invitation._meta.db_table,
        ("campaign_id", "code", "organiser_id", "channel", "lever_code", "participant_id",
         "batch_id", "invitee_email", "audience_label", "sent_at", "open_count"),
        ((campaign.pk, secrets.token_urlsafe(9), organiser.pk, channel, lever_code, person,
          batch.pk, email, audience.label, now, 0) for person, email in emails.items()))
    batch.invited, batch.next_at = invited, max(now, send_at or now)
    batch.save(update_fields=["invited", "next_at"])
    return batch


def people_make(start: datetime) -> list[Campaign]:
    programme = Programme.objects.create(name="Bench", starts_on=start.date(),
                                         ends_on=(start + timedelta(days=100)).date())
    campaigns = Campaign.objects.bulk_create([
        Campaign(programme=programme, code=f"bench{n}", title=f"Action {n}",
                 starts_at=start + timedelta(days=7 * n),
                 ends_at=start + timedelta(days=7 * n, hours=3), participant_target=10,
                 mobilisation_deadline=start + timedelta(days=7 * n - 2),
                 status=Campaign.Status.OPEN) for n in range(1, CAMPAIGNS + 1)])
    Slot.objects.bulk_create([
        Slot(campaign=c, starts_at=c.starts_at, ends_at=c.ends_at, capacity=PLEDGES)
        for c in campaigns for _ in range(SLOTS)])
    teams = Team.objects.bulk_create([Team(name=f"Team {n}") for n in range(PEOPLE // 10)])
    Participant.objects.bulk_create([
        Participant(email=f"p{n}@bench.example", referral_code=f"x{n:015d}",
                    team=teams[n // 10], site=f"Site {n % 7}", consent_to_contact=True,
                    age_band=("18-25", "26-35", "36-50", "51-65")[n % 4],
                    created_at=start, last_active_at=start)
        for n in range(PEOPLE)], batch_size=5000)
    return campaigns


def experiment_launch(campaign: Campaign, owner: User, launched: datetime) -> Experiment:
    experiment = Experiment.objects.create(
        campaign=campaign, title="Bench", hypothesis="H", salt="benchsalt",
        holdout_share=Decimal("0.05"), created_by=owner, days=14)
    Variant.objects.create(experiment=experiment, name="Holdout", is_holdout=True)
    for i in (1, 2, 3):
        Variant.objects.create(experiment=experiment, name=f"V{i}", position=i,
                               is_control=i == 1, lever_code=LEVERS[f"V{i}"],
                               channel="email", share=Decimal("0.3333"))
    bulk_send = experiment_services.invitations_bulk_send
    experiment_services.invitations_bulk_send = invitations_copy
    try:
        return experiment_services.experiment_launch(experiment=experiment, user=owner,
                                                     now=launched)
    finally:
        experiment_services.invitations_bulk_send = bulk_send


PLEDGE_COLUMNS = ("slot_id, participant_id, invitation_id, companions, companion_names, "
                  "status, attendance, hours_given, created_at, confirmed_at, walk_in")


def pledges_after_launch(experiment: Experiment, launched: datetime, now: datetime) -> int:
    """The experiment campaign's pledges: each assigned person pledges through their
    invitation (the holdout without one) with their arm's probability, between the
    launch and now, on one of the campaign's slots."""
    rates = " ".join(f"WHEN '{name}' THEN {rate}" for name, rate in RATES.items())
    # Draws from a hash of the person (deterministic; a volatile random() in the WHERE
    # clause would be pushed down to the variants' scan and drawn once per arm).
    with connection.cursor() as cursor:
        cursor.execute(f"""
        INSERT INTO engagement_pledge ({PLEDGE_COLUMNS})
        SELECT slots.ids[1 + a.participant_id %% {SLOTS}], a.participant_id, a.invitation_id,
               0, '', 'confirmed', 'pending', 0, t.at, t.at, false
        FROM lab_assignment a JOIN lab_variant v ON v.id = a.variant_id
        CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM engagement_slot
                    WHERE campaign_id = %(campaign)s) slots
        CROSS JOIN LATERAL (
            SELECT (hashtext('draw:' || a.participant_id) & 1048575) / 1048576.0 AS draw,
                   %(launched)s + (%(now)s - %(launched)s)
                   * ((hashtext('time:' || a.participant_id) & 1048575) / 1048576.0) AS at) t
        WHERE a.experiment_id = %(experiment)s AND t.draw < CASE v.name {rates} END
        """, {"campaign": experiment.campaign_id, "experiment": experiment.pk,
              "launched": launched, "now": now})
        return cursor.rowcount


def pledges_before(campaigns: list[Campaign], count: int) -> None:
    """``count`` pledges on the other campaigns: the k-th is person k mod PEOPLE's, on
    campaign (7·person + k div PEOPLE) mod 9 (a person's campaigns all differ), made in
    the fortnight before its campaign."""
    ids = [c.pk for c in campaigns]
    with connection.cursor() as cursor:
        cursor.execute(f"""
        WITH person AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                        FROM engagement_participant),
        slot AS (SELECT s.campaign_id, array_agg(s.id ORDER BY s.id) AS ids,
                        min(c.starts_at) AS starts_at,
                        row_number() OVER (ORDER BY s.campaign_id) - 1 AS n
                 FROM engagement_slot s JOIN engagement_campaign c ON c.id = s.campaign_id
                 WHERE s.campaign_id = ANY(%(campaigns)s) GROUP BY s.campaign_id)
        INSERT INTO engagement_pledge ({PLEDGE_COLUMNS})
        SELECT slot.ids[1 + person.n %% {SLOTS}], person.id, NULL, 0, '', 'confirmed',
               'pending', 0, t.at, t.at, false
        FROM generate_series(0::bigint, %(count)s - 1) k
        JOIN person ON person.n = k %% %(people)s
        JOIN slot ON slot.n = (7 * person.n + k / %(people)s) %% %(campaigns_n)s
        CROSS JOIN LATERAL (
            SELECT slot.starts_at - interval '14 days' * ((k * 7919) %% 1000) / 1000.0 AS at) t
        """, {"campaigns": ids, "count": count, "people": PEOPLE,
              "campaigns_n": len(ids)})


def fill(owner: User) -> Experiment:
    now = timezone.now()
    start = now - timedelta(days=60)
    campaigns = people_make(start)
    launched = now - timedelta(days=5)
    experiment = experiment_launch(campaigns[-1], owner, launched)
    made = pledges_after_launch(experiment, launched, now)
    if PLEDGES - made > PEOPLE * (CAMPAIGNS - 1):
        raise SystemExit(f"at most {PEOPLE * (CAMPAIGNS - 1) + made:,} pledges for "
                         f"{PEOPLE:,} people (one a person and campaign)")
    pledges_before(campaigns[:-1], PLEDGES - made)
    analyze()
    return experiment


def results_from_stored(experiment: Experiment) -> dict:
    """What the results page and the API compute per request: the latest stored look
    read, and its verdict, progress and rows put into words (no HTTP, no template)."""
    experiment = Experiment.objects.get(pk=experiment.pk)
    look = experiment.looks.order_by("-day").first()
    assert look is not None
    analysis = look.analysis
    return {"headline": headline(experiment, analysis, look.day),
            "progress": progress(experiment, analysis, look.day),
            "arms": arm_rows(analysis), "segments": segment_rows(analysis)}


def main() -> None:
    organisation = organisation_fresh(SLUG, "Bench experiments")
    owner = Membership.objects.get(organisation=organisation).user
    try:
        with tenant_context(organisation):
            started = time.perf_counter()
            experiment = fill(owner)
            sent = Invitation.objects.filter(
                pk__in=Assignment.objects.values("invitation_id")).count()
            print(f"filled {Pledge.objects.count():,} pledges, "
                  f"{Assignment.objects.count():,} assignments, {sent:,} of them with "
                  f"their invitation, in {time.perf_counter() - started:.1f} s")
            floor, _ = timed(lambda: Pledge.objects.count())

            def look_again():
                # A look may conclude the experiment; each run measures a running one.
                Experiment.objects.filter(pk=experiment.pk).update(status="running")
                return experiment_look_store(experiment_id=experiment.pk)

            look_time, look = timed(look_again, runs=3)
            analysis = look.analysis
            print(f"verdict {analysis['verdict']!r}, sample ratio mismatch "
                  f"{analysis['srm'].get('mismatch')}, done {analysis['done']}")
            for arm in analysis["arms"]:
                people, pledged = arm["primary"]["people"], arm["primary"]["successes"]
                print(f"  {arm['name']:8} {people:>8,} people, {pledged:>7,} pledged "
                      f"({pledged / max(people, 1):.1%})")
            print(f"  {headline(experiment, analysis, look.day)}")
            stored, _ = timed(lambda: results_from_stored(experiment), runs=20)
            sums, _ = timed(lambda: _sums(ARM_SUMS_SQL, experiment.pk), runs=3)
            probes, _ = timed(lambda: _sums(_per_person(ARM_SUMS_SQL), experiment.pk), runs=3)
        client = Client(HTTP_HOST=organisation.domains.first().domain)
        client.force_login(owner)
        url = f"/experiments/{experiment.pk}/"
        assert client.get(url).status_code == 200
        page, _ = timed(lambda: client.get(url))
        # The test client's request_started signal empties the log being captured.
        request_started.disconnect(reset_queries)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        request_started.connect(reset_queries)
        captured = queries.captured_queries
        in_database = sum(float(q["time"]) for q in captured) * 1000
        api, _ = timed(lambda: client.get(f"/api/v1/experiments/{experiment.pk}/results/"))
        print(f"reference: count of the pledges        {floor * 1000:8.1f} ms")
        for label, value in (
                ("results from the stored look", stored),
                (f"results page ({len(captured)} queries, {in_database:.0f} ms db)", page),
                ("results API (stored look)", api),
                ("daily look (SQL sums + analysis)", look_time),
                ("arm sums, set-based (person_sql)", sums),
                ("arm sums, one probe per person", probes)):
            print(f"{label:38} {value * 1000:8.1f} ms  x{value / floor:.2f} the reference")
    finally:
        organisation_drop(organisation)


def _sums(sql: str, experiment_id: int) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"experiment_id": experiment_id})
        return cursor.fetchall()


def _per_person(sql: str) -> str:
    """The first version of the person query, kept as a reference: one probe of the
    pledges per assigned person (a LATERAL subquery) instead of one grouped scan."""
    start, end = sql.index("LEFT JOIN ("), sql.index(") pl")
    return sql[:start] + """CROSS JOIN LATERAL (
    SELECT coalesce(bool_or(true), false) AS pledged,
           coalesce(bool_or(x.attendance = 'attended'), false) AS attended
    FROM engagement_pledge x JOIN engagement_slot s ON s.id = x.slot_id
    WHERE x.participant_id = a.participant_id AND s.campaign_id = e.campaign_id
      AND x.status <> 'cancelled'
      AND (e.wave = 'reminder' OR x.created_at >= e.launched_at)
""" + sql[end:]


if __name__ == "__main__":
    main()
