"""Campaign set-ups for engagement tests (run inside tenant_context)."""

from datetime import date, timedelta

from django.utils import timezone

from engagement.models import Campaign, Programme, Slot


def make_campaign(*, capacity: int = 10, target: int = 5, status=Campaign.Status.OPEN,
                  visibility=Campaign.Visibility.PUBLIC, starts_in=timedelta(days=10),
                  deadline_in=timedelta(days=5), hours: int = 3, programme=None,
                  description: str = "Bring gloves.") -> Campaign:
    programme = programme or Programme.objects.create(
        name="Programme", starts_on=date(2020, 1, 1), ends_on=date(2035, 12, 31))
    start = timezone.now() + starts_in
    campaign = Campaign.objects.create(
        programme=programme, title="Beach clean-up", description=description,
        place="Plage du Prado", starts_at=start, ends_at=start + timedelta(hours=hours),
        participant_target=target, mobilisation_deadline=timezone.now() + deadline_in
        if deadline_in < starts_in else start, status=status, visibility=visibility)
    Slot.objects.create(campaign=campaign, starts_at=start,
                        ends_at=start + timedelta(hours=hours), capacity=capacity)
    return campaign
