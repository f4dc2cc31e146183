"""The engagement schedule on a real worker, sending through a real SMTP server: a person
with three slots today gets one digest, a reminder missed while the schedule was down for
three days is caught up, and two overlapping runs send each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from engagement.models import Campaign, OutboundEmail, Participant, PledgeReminder, Programme
from engagement.tasks import run_engagement_schedule
from tenants.models import Organisation

from ..conftest import free_port
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)
from ..reliability.conftest import SMTPSink, mail_env, smtp_server, wait_until, worker

pytestmark = pytest.mark.worker
DOMAIN = "schedule-worker.example"


@pytest.fixture
def people(committed):
    """Léa with three slots later today, Sam whose D-7 fell due three days ago."""
    organisation = Organisation.objects.get(slug="testco")
    now = timezone.now()
    start = now + timedelta(hours=6)
    if timezone.localtime(start).date() != timezone.localtime(start + timedelta(hours=1)).date():
        start -= timedelta(hours=2)  # all three on one local day
    with tenant_context(organisation):
        programme = ProgrammeFactory(name="Worker schedule")
        lea = ParticipantFactory(email=f"lea@{DOMAIN}", first_name="Léa", language="fr")
        sam = ParticipantFactory(email=f"sam@{DOMAIN}", first_name="Sam", language="en")
        for index, title in enumerate(("Beach clean-up", "Tree planting", "Food bank")):
            slot_start = start + timedelta(minutes=20 * index)
            PledgeFactory(participant=lea, slot=SlotFactory(
                capacity=2, starts_at=slot_start, ends_at=slot_start + timedelta(hours=1),
                campaign=CampaignFactory(programme=programme, title=title,
                                         participant_target=2, starts_at=slot_start,
                                         mobilisation_deadline=slot_start)))
        later = now + timedelta(days=4)
        PledgeFactory(participant=sam, confirmed_at=now - timedelta(days=10), slot=SlotFactory(
            capacity=2, starts_at=later, ends_at=later + timedelta(hours=2),
            campaign=CampaignFactory(programme=programme, title="Repair café",
                                     participant_target=2, starts_at=later,
                                     mobilisation_deadline=later - timedelta(days=1))))
    yield organisation, lea, sam
    with tenant_context(organisation):
        Campaign.objects.filter(programme=programme).delete()
        Programme.objects.filter(pk=programme.pk).delete()
        Participant.objects.filter(email__endswith=f"@{DOMAIN}").delete()


def test_the_schedule_on_a_worker_sends_one_digest_and_catches_up(
        people, django_db_blocker, tmp_path):
    organisation, lea, sam = people
    port = free_port()
    sink = SMTPSink(port)
    log = tmp_path / "worker.log"
    with django_db_blocker.unblock(), smtp_server(port, sink), worker(mail_env(port), log):
        with tenant_context(organisation):
            # Two overlapping runs, as when a slow run meets the next one.
            run_engagement_schedule.delay()
            run_engagement_schedule.delay()

        def delivered():
            to = [m for m in sink.messages if str(m["To"]).endswith(f"@{DOMAIN}")]
            return len(to) >= 2 and to

        wait_until(delivered, 60, "the reminders", log)
        with tenant_context(organisation):
            wait_until(lambda: not OutboundEmail.objects.filter(
                participant__in=[lea, sam], status="queued").exists(), 30, "sent", log)
        ours = {str(m["To"]): m for m in sink.messages if str(m["To"]).endswith(f"@{DOMAIN}")}
        received = {to: str(message["Subject"]) for to, message in ours.items()}
        # The single reminder carries its invitation as a calendar part; the digest none.
        parts = {to: [part.get_content_type() for part in message.walk()]
                 for to, message in ours.items()}
        assert "text/calendar" in parts[sam.email]
        assert "text/calendar" not in parts[lea.email]
        [invite] = [part for part in ours[sam.email].walk()
                    if part.get_content_type() == "text/calendar"][:1]
        assert Calendar.from_ical(invite.get_payload(decode=True))["method"] == "REQUEST"
        assert len([m for m in sink.messages if str(m["To"]).endswith(f"@{DOMAIN}")]) == 2
    # Six hours ahead is today or, late in the evening, tomorrow: the word follows the day.
    with tenant_context(organisation):
        first = lea.pledges.order_by("slot__starts_at").first().slot.starts_at
    same_day = timezone.localtime(first).date() == timezone.localdate()
    day = "Aujourd’hui" if same_day else "Demain"
    assert received[lea.email] == f"{day} : vos 3 créneaux"
    assert "Repair café" in received[sam.email]
    with tenant_context(organisation):
        kinds = dict(OutboundEmail.objects.filter(participant__in=[lea, sam])
                     .values_list("participant__email", "kind"))
        assert kinds == {lea.email: "reminder_digest", sam.email: "reminder_d7"}
        assert PledgeReminder.objects.filter(pledge__participant=lea).count() == 3
