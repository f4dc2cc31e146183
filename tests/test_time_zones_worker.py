"""The schedule on a real worker runs in the organisation's time zone, not the worker's.

An organisation in Réunion; Léa has two actions on the same Réunion day, at 02:00 and
05:00, whose week-ahead reminders are due. In Réunion they are one day, so she gets one
e-mail listing both; read in Paris (the site's zone, the worker's default) 02:00 in Réunion
is 23:00 the evening before, so a worker that forgot the organisation's zone would send
two e-mails, on two days, with Paris hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Campaign, OutboundEmail, Participant, Programme
from engagement.tasks import run_engagement_schedule
from tenants.models import Organisation

from .conftest import free_port
from .factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)
from .reliability.conftest import SMTPSink, mail_env, smtp_server, wait_until, worker

pytestmark = pytest.mark.worker
DOMAIN = "zone-worker.example"
REUNION = ZoneInfo("Indian/Reunion")
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def in_reunion(committed):
    organisation = Organisation.objects.get(slug="testco")
    organisation.time_zone = "Indian/Reunion"
    organisation.save(update_fields=["time_zone"])
    now = timezone.now()
    # Five days ahead: the week-ahead reminder is due and still useful.
    day = (now.astimezone(REUNION) + timedelta(days=5)).date()
    starts = [datetime.combine(day, time(hour), tzinfo=REUNION) for hour in (2, 5)]
    assert starts[0].astimezone(PARIS).date() != starts[1].astimezone(PARIS).date()
    try:
        with tenant_context(organisation):
            programme = ProgrammeFactory(name="Zone worker")
            lea = ParticipantFactory(email=f"lea@{DOMAIN}", first_name="Léa", language="fr")
            for start, title in zip(starts, ("Nettoyage de plage", "Plantation"),
                                    strict=True):
                PledgeFactory(participant=lea, confirmed_at=now - timedelta(days=10),
                              slot=SlotFactory(
                                  capacity=2, starts_at=start,
                                  ends_at=start + timedelta(hours=2),
                                  campaign=CampaignFactory(
                                      programme=programme, title=title,
                                      participant_target=2, starts_at=start,
                                      mobilisation_deadline=start - timedelta(days=1))))
        yield organisation, lea, starts
    finally:
        with tenant_context(organisation):
            OutboundEmail.objects.filter(to_email__endswith=f"@{DOMAIN}").delete()
            Campaign.objects.filter(programme__name="Zone worker").delete()
            Programme.objects.filter(name="Zone worker").delete()
            Participant.objects.filter(email__endswith=f"@{DOMAIN}").delete()
        organisation.time_zone = "Europe/Paris"
        organisation.save(update_fields=["time_zone"])


def test_the_schedule_on_a_worker_reads_days_and_hours_in_the_organisations_zone(
        in_reunion, tmp_path):
    organisation, lea, starts = in_reunion
    port = free_port()
    sink = SMTPSink(port)
    log = tmp_path / "worker.log"
    with smtp_server(port, sink), worker(mail_env(port), log):
        with tenant_context(organisation):
            run_engagement_schedule.delay()

        def delivered():
            return [m for m in sink.messages if str(m["To"]) == lea.email]

        wait_until(delivered, 60, "the reminder", log)
        with tenant_context(organisation):
            wait_until(lambda: not OutboundEmail.objects.filter(
                participant=lea, status="queued").exists(), 30, "sent", log)
            emails = list(OutboundEmail.objects.filter(participant=lea))
    assert len(emails) == 1, [e.subject for e in emails]  # one Réunion day, one e-mail
    body = emails[0].body
    assert "02:00" in body and "05:00" in body  # Réunion's hours
    assert "23:00" not in body  # not Paris's
