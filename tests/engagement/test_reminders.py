"""Reminders: one digest a day per person, caught up after the schedule was down, each
reminder once; single reminders carry their calendar invitation."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from icalendar import Calendar

from engagement.models import OutboundEmail, Participant, PledgeReminder
from engagement.services import reminders

from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)

PARIS = ZoneInfo("Europe/Paris")
# The schedule's "now" in these tests: a Wednesday morning.
NOW = datetime(2027, 3, 10, 9, 0, tzinfo=PARIS)


def slot_at(starts_at: datetime, title: str = "Beach clean-up", capacity: int = 10):
    campaign = CampaignFactory(programme=ProgrammeFactory(), title=title,
                               place="Plage du Prado", starts_at=starts_at,
                               mobilisation_deadline=starts_at - timedelta(days=1))
    return SlotFactory(campaign=campaign, capacity=capacity, starts_at=starts_at,
                       ends_at=starts_at + timedelta(hours=2))


def person(name: str, language: str = "en") -> Participant:
    return ParticipantFactory(email=f"{name.lower()}@example.test", first_name=name,
                              language=language)


def emails(**filters) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(**filters).order_by("id"))


@pytest.mark.django_db
def test_three_slots_tomorrow_make_one_email_listing_each_with_its_link(org_a):
    with tenant_context(org_a):
        tomorrow = NOW + timedelta(days=1)
        morning = slot_at(tomorrow - timedelta(minutes=30), "Beach clean-up")
        noon = slot_at(tomorrow + timedelta(hours=3), "Tree planting")
        evening = slot_at(tomorrow + timedelta(hours=8), "Food bank")
        next_day = slot_at(tomorrow + timedelta(days=1), "Repair café")
        lea, sam = person("Lea", "fr"), person("Sam")
        pledges = [PledgeFactory(slot=slot, participant=lea)
                   for slot in (morning, noon, evening, next_day)]
        alone = PledgeFactory(slot=noon, participant=sam)

        # The morning slot is due (23 h 30 before): Léa's three slots of that day go in
        # one e-mail; Sam's noon slot is not due yet.
        assert reminders.reminders_queue(now=NOW) == 1
        [digest] = emails()
        assert (digest.kind, digest.participant) == ("reminder_digest", lea)
        assert digest.subject == "Demain : vos 3 créneaux"
        for title, pledge in zip(("Beach clean-up", "Tree planting", "Food bank"),
                                 pledges, strict=False):
            assert title in digest.body
            assert f"#pledge-{pledge.pk}" in digest.body
        assert "Repair café" not in digest.body
        assert digest.calendar == ""  # one event per invitation: theirs came with each pledge
        assert set(PledgeReminder.objects.filter(email=digest).values_list(
            "pledge_id", flat=True)) == {p.pk for p in pledges[:3]}

        # Later runs: nothing twice; Sam's single reminder when due, with its invitation.
        assert reminders.reminders_queue(now=NOW) == 0
        assert reminders.reminders_queue(now=NOW + timedelta(hours=4)) == 1
        [single] = emails(participant=sam)
        assert single.kind == "reminder_d1"
        assert single.dedupe_key == f"reminder_d1:pledge:{alone.pk}"
        event = Calendar.from_ical(single.calendar)
        assert event["method"] == "REQUEST"
        [vevent] = event.walk("VEVENT")
        assert str(vevent["uid"]) == f"pledge-{alone.pk}@{org_a.schema_name}.fullmobs"
        # The next day's slot is its own reminder, a day later.
        assert reminders.reminders_queue(now=NOW + timedelta(hours=8)) == 0
        assert reminders.reminders_queue(now=NOW + timedelta(days=1)) == 1
        assert emails(participant=lea)[-1].kind == "reminder_d1"


@pytest.mark.django_db
def test_reminders_missed_while_the_schedule_was_down_for_three_days_are_caught_up(org_a):
    with tenant_context(org_a):
        down_since = NOW - timedelta(days=3)
        week = PledgeFactory(slot=slot_at(NOW + timedelta(days=5)), participant=person("Week"))
        soon = PledgeFactory(slot=slot_at(NOW + timedelta(hours=12)),
                             participant=person("Soon"))
        # Both reminders were missed: the D-1 says it all, the D-7 is not sent any more.
        both = PledgeFactory(slot=slot_at(NOW + timedelta(hours=20)),
                             participant=person("Both"))
        begun = PledgeFactory(slot=slot_at(NOW - timedelta(hours=1)),
                              participant=person("Begun"))
        # Pledged yesterday, after its D-7 fell due: its confirmation has just told it.
        late = PledgeFactory(slot=slot_at(NOW + timedelta(days=4)), participant=person("Late"),
                             confirmed_at=NOW - timedelta(days=1))
        # The last run before the outage sent what was due then.
        reminders.reminders_queue(now=down_since)
        before = {(e.participant_id, e.kind) for e in emails()}

        # Back three days later: everything still useful goes out, once.
        reminders.reminders_queue(now=NOW)
        sent = {(e.participant_id, e.kind) for e in emails()} - before
        assert sent == {(week.participant_id, "reminder_d7"),
                        (soon.participant_id, "reminder_d1"),
                        (both.participant_id, "reminder_d1")}
        assert not emails(participant=begun.participant)
        assert not emails(participant=late.participant, kind="reminder_d7")
        assert reminders.reminders_queue(now=NOW) == 0
        assert reminders.reminders_queue(now=NOW + timedelta(minutes=5)) == 0


@pytest.mark.django_db
def test_a_moved_slot_is_reminded_again_at_its_new_time(org_a, eager,
                                                       django_capture_on_commit_callbacks):
    from engagement.services.slot_changes import slot_move

    with tenant_context(org_a):
        now = timezone.now()
        slot = slot_at(now + timedelta(hours=20))
        pledge = PledgeFactory(slot=slot, participant=person("Mover"))
        assert reminders.reminders_queue(now=now) == 1
        with django_capture_on_commit_callbacks(execute=True):
            slot_move(slot=slot, starts_at=now + timedelta(days=3),
                      ends_at=now + timedelta(days=3, hours=2))
        # The move's e-mail gave the new time: no D-7 now; the D-1 when due.
        assert reminders.reminders_queue(now=now) == 0
        assert reminders.reminders_queue(now=now + timedelta(days=1, hours=23)) == 0
        assert reminders.reminders_queue(now=now + timedelta(days=2, hours=1)) == 1
        keys = [e.dedupe_key for e in emails(participant=pledge.participant,
                                             kind="reminder_d1")]
        assert keys == [f"reminder_d1:pledge:{pledge.pk}",
                        f"reminder_d1:pledge:{pledge.pk}:sequence:1"]
