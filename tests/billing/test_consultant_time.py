"""Consultants correct or delete their accompaniment time until it is billed."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services
from billing.models import ConsultantTime, Subscription
from core.errors import DomainError
from tenants.models import ConsultantAssignment, User

from ..conftest import PASSWORD, public_client
from .fake_stripe import FakeStripe

SECRET = "whsec_test_consultant_time"


@pytest.fixture
def fake(settings):
    with FakeStripe() as server:
        settings.STRIPE_SECRET_KEY = server.api_key
        settings.STRIPE_API_BASE = server.url
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_TIMEOUT_SECONDS = 2
        yield server


@pytest.fixture
def accompanying(org_a, org_b):
    # Without the accompaniment pack every minute is invoiced (test_accompaniment: with it).
    Subscription.objects.filter(organisation__in=[org_a, org_b]).update(options=[])
    org_a.refresh_from_db()
    org_b.refresh_from_db()
    consultant = User.objects.create_user(email="time@fullmobs.test", password=PASSWORD,
                                          is_consultant=True)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_b)
    return consultant


def _log(consultant, organisation, minutes=90, description="Kick-off workshop"):
    return services.consultant_time_log(consultant=consultant, organisation=organisation,
                                        worked_on=timezone.localdate(), minutes=minutes,
                                        description=description)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_an_unbilled_entry_can_be_corrected_from_the_page(accompanying, org_a, org_b):
    entry = _log(accompanying, org_a)
    client = public_client(accompanying)
    listing = _text(client.get("/console/time/"))
    assert f'href="/console/time/{entry.pk}/"' in listing
    form = _text(client.get(f"/console/time/{entry.pk}/"))
    assert "Correct an entry" in form and "Kick-off workshop" in form
    yesterday = timezone.localdate() - timedelta(days=1)
    saved = client.post(f"/console/time/{entry.pk}/", {
        "organisation": org_b.slug, "worked_on": yesterday, "minutes": 60,
        "description": "Kick-off workshop: debrief"})
    assert saved.status_code == 302 and saved["Location"] == "/console/time/"
    entry.refresh_from_db()
    assert (entry.organisation, entry.worked_on, entry.minutes, entry.description) == (
        org_b, yesterday, 60, "Kick-off workshop: debrief")
    assert "The entry is corrected." in _text(client.get("/console/time/"))
    # Same rules as logging: no time in the future, 1 to 1440 minutes.
    refused = client.post(f"/console/time/{entry.pk}/", {
        "organisation": org_b.slug, "worked_on": timezone.localdate() + timedelta(days=2),
        "minutes": 60, "description": "x"})
    assert refused.status_code == 400
    assert "Time cannot be logged in the future." in _text(refused)


@pytest.mark.django_db
def test_an_unbilled_entry_can_be_deleted(accompanying, org_a):
    entry = _log(accompanying, org_a)
    client = public_client(accompanying)
    response = client.post(f"/console/time/{entry.pk}/", {"delete": "1"})
    assert response.status_code == 302
    assert not ConsultantTime.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_billed_time_is_locked_and_says_why(fake, accompanying, org_a):
    entry = _log(accompanying, org_a)
    assert services.consultant_time_bill(organisation=org_a) == [entry]
    entry.refresh_from_db()
    client = public_client(accompanying)
    listing = _text(client.get("/console/time/"))
    assert "Locked (billed)" in listing
    assert f'href="/console/time/{entry.pk}/"' not in listing
    page = _text(client.get(f"/console/time/{entry.pk}/"))
    assert "can no longer be changed" in page and "on the client's invoice" in page
    assert 'name="minutes"' not in page
    refused = client.post(f"/console/time/{entry.pk}/", {
        "organisation": org_a.slug, "worked_on": entry.worked_on, "minutes": 5,
        "description": "less"})
    assert refused.status_code == 400
    deleted = client.post(f"/console/time/{entry.pk}/", {"delete": "1"})
    assert deleted.status_code == 400
    entry.refresh_from_db()
    assert entry.minutes == 90 and entry.billed_at is not None
    with pytest.raises(DomainError):
        services.consultant_time_delete(entry_id=entry.pk, consultant=accompanying)
    # Billing again bills nothing new: still one invoice item.
    assert services.consultant_time_bill(organisation=org_a) == []
    assert len(fake.objects("invoiceitem")) == 1


@pytest.mark.django_db
def test_a_corrected_entry_is_billed_once_at_its_corrected_length(fake, accompanying, org_a):
    entry = _log(accompanying, org_a, minutes=30)
    gone = _log(accompanying, org_a, minutes=45)
    services.consultant_time_update(entry_id=entry.pk, consultant=accompanying,
                                    organisation=org_a, worked_on=entry.worked_on,
                                    minutes=60, description="Workshop")
    services.consultant_time_delete(entry_id=gone.pk, consultant=accompanying)
    billed = services.consultant_time_bill(organisation=org_a)
    assert [row.pk for row in billed] == [entry.pk]
    assert [item["amount"] for item in fake.objects("invoiceitem")] == [12000]  # 1 h


@pytest.mark.django_db
def test_nobody_else_can_see_or_change_an_entry(accompanying, org_a, owner_a, consultant):
    entry = _log(accompanying, org_a)
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    assert public_client(consultant).get(f"/console/time/{entry.pk}/").status_code == 404
    assert public_client(consultant).post(f"/console/time/{entry.pk}/",
                                          {"delete": "1"}).status_code == 404
    assert public_client(owner_a).get(f"/console/time/{entry.pk}/").status_code == 404
    assert ConsultantTime.objects.filter(pk=entry.pk).exists()
