"""Attendance means presence: a check-in is proven on site (the participant's personal code
entered by an organiser, the on-site QR opened from the participant's own link, or an
organiser marking them), never by typing an address; companions are confirmed by an
organiser. Also: a past action's pledges stay as they were, and an internal action's
calendar file is for its organisation's people."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement import links
from engagement.models import Campaign, Invitation, Participant, Pledge
from engagement.services import pledge_cancel, pledge_create
from engagement.services.checkin import checkin_code, pledge_check_in

from ..conftest import make_member, tenant_client
from ..factories import make_campaign
from .test_participant_pages import text_of


def on_the_day(org, *, companions=3, starts_in=timedelta(minutes=30), **extra):
    """A campaign happening now (2-hour slot) with Sam pledged, bringing companions."""
    with tenant_context(org):
        campaign = make_campaign(starts_in=starts_in, deadline_in=timedelta(minutes=10),
                                 hours=2, status=Campaign.Status.SUCCEEDED, **extra)
        sam = Participant.objects.create(email="sam@example.org", first_name="Sam",
                                         last_name="Lee")
        pledge = Pledge.objects.create(slot=campaign.slots.get(), participant=sam,
                                       companions=companions, status="confirmed",
                                       confirmed_at=timezone.now())
        token = links.participant_token(sam)
    return campaign, pledge, token


def onsite_url(campaign) -> str:
    return f"/c/{campaign.code}/check-in/{campaign.checkin_secret}/"


def reload(org, pledge) -> Pledge:
    with tenant_context(org):
        return Pledge.objects.get(pk=pledge.pk)


# ---- the on-site QR page -------------------------------------------------------------------

@pytest.mark.django_db
def test_the_onsite_page_asks_for_nothing_and_tells_nothing_to_a_stranger(org_a):
    campaign, pledge, _ = on_the_day(org_a)
    client = tenant_client(org_a)
    page = client.get(onsite_url(campaign))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'type="email"' not in body and 'name="email"' not in body
    assert "open your personal link" in text_of(page)
    # Typing a pledged address or an unknown one (the old form) checks nobody in and
    # reads exactly the same.
    pledged = client.post(onsite_url(campaign), {"email": "sam@example.org"})
    unknown = client.post(onsite_url(campaign), {"email": "nobody@example.org"})
    assert pledged.status_code == unknown.status_code == 200
    assert text_of(pledged) == text_of(unknown) == text_of(page)
    assert "Sam" not in text_of(pledged)
    assert reload(org_a, pledge).attendance == "pending"
    assert client.get(f"/c/{campaign.code}/check-in/wrong/").status_code == 404


@pytest.mark.django_db
def test_the_participants_own_link_alone_does_not_check_them_in(org_a):
    campaign, pledge, token = on_the_day(org_a)
    client = tenant_client(org_a)
    home = client.get(f"/me/{token}/")
    assert "I'm here" not in text_of(home) and "/check-in/" not in home.content.decode()
    # The old button's address checked anyone holding the link in, from anywhere.
    assert client.post(f"/me/{token}/pledges/{pledge.pk}/check-in/").status_code == 404
    assert reload(org_a, pledge).attendance == "pending"


@pytest.mark.django_db
def test_the_onsite_qr_opened_from_the_own_link_credits_the_participant_only(org_a):
    campaign, pledge, token = on_the_day(org_a, companions=3)
    client = tenant_client(org_a)
    client.get(f"/me/{token}/")  # the browser that opened the signed link
    page = client.get(onsite_url(campaign))
    assert "Check in as Sam" in text_of(page)
    checked = client.post(onsite_url(campaign), follow=True)
    assert checked.status_code == 200
    text = text_of(checked)
    assert "Welcome Sam! You are checked in." in text and "Hours given: 2." in text
    assert "An organiser will confirm your 3 companions on site." in text
    pledge = reload(org_a, pledge)
    assert pledge.attendance == "attended" and pledge.hours_given == Decimal("2.00")
    assert pledge.checked_in_by_id is None
    # Scanning again changes nothing.
    client.post(onsite_url(campaign))
    assert reload(org_a, pledge).hours_given == Decimal("2.00")
    home = text_of(client.get(f"/me/{token}/"))
    assert "An organiser will confirm your 3 companions on site." in home


@pytest.mark.django_db
def test_the_organiser_confirms_the_companions_who_came(org_a, owner_a):
    campaign, pledge, token = on_the_day(org_a, companions=3)
    participant = tenant_client(org_a)
    participant.get(f"/me/{token}/")
    participant.post(onsite_url(campaign))
    organiser = tenant_client(org_a, owner_a)
    detail = text_of(organiser.get(f"/campaigns/{campaign.pk}/"))
    assert "3 companions to confirm" in detail
    assert "Confirm the companions" in detail
    row = organiser.post(f"/campaigns/{campaign.pk}/pledges/{pledge.pk}/attendance/",
                         {"action": "confirm_companions", "companions_present": "2"},
                         HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "to confirm" not in text_of(row)
    pledge = reload(org_a, pledge)
    assert pledge.hours_given == Decimal("6.00")  # Sam and two companions, 2 hours each
    assert pledge.checked_in_by_id == owner_a.pk
    # More companions than announced: refused, named.
    organiser.post(f"/campaigns/{campaign.pk}/pledges/{pledge.pk}/attendance/",
                   {"action": "confirm_companions", "companions_present": "9"})
    assert reload(org_a, pledge).hours_given == Decimal("6.00")
    home = text_of(participant.get(f"/me/{token}/"))
    assert "will confirm" not in home and "Hours given: 6." in home


@pytest.mark.django_db
def test_self_check_in_keeps_its_time_window(org_a):
    campaign, pledge, token = on_the_day(org_a, starts_in=timedelta(days=3))
    client = tenant_client(org_a)
    client.get(f"/me/{token}/")
    page = text_of(client.get(onsite_url(campaign)))
    assert "check-in opens two hours before your time slot" in page
    client.post(onsite_url(campaign))
    assert reload(org_a, pledge).attendance == "pending"
    with tenant_context(org_a), pytest.raises(DomainError) as refused:
        pledge_check_in(pledge=pledge)
    assert "two hours before" in refused.value.text


@pytest.mark.django_db
def test_a_session_of_someone_else_checks_only_them_in(org_a):
    campaign, pledge, _ = on_the_day(org_a)
    with tenant_context(org_a):
        other = Participant.objects.create(email="other@example.org", first_name="Max")
        other_token = links.participant_token(other)
    client = tenant_client(org_a)
    client.get(f"/me/{other_token}/")
    page = text_of(client.post(onsite_url(campaign), {"email": "sam@example.org"},
                               follow=True))
    assert "Sam" not in page and "no time slot" in page
    assert reload(org_a, pledge).attendance == "pending"


# ---- the personal check-in code --------------------------------------------------------------

@pytest.mark.django_db
def test_the_participant_page_shows_a_personal_check_in_code_on_the_day(org_a):
    campaign, pledge, token = on_the_day(org_a)
    with tenant_context(org_a):
        code = checkin_code(pledge)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    client = tenant_client(org_a)
    home = client.get(f"/me/{token}/")
    body = home.content.decode()
    assert code in text_of(home)
    img = re.search(r'<img src="(/me/[^"]+/check-in-code\.svg)" width="176" height="176"',
                    body)
    assert img, body
    svg = client.get(img.group(1))
    assert svg["Content-Type"] == "image/svg+xml"
    assert re.search(rb'<svg width="\d+" height="\d+"', svg.content)
    # Another participant's link does not open this code.
    with tenant_context(org_a):
        other = links.participant_token(Participant.objects.create(email="o@example.org"))
    assert client.get(f"/me/{other}/pledges/{pledge.pk}/check-in-code.svg").status_code == 404
    # Well before the day, no code yet.
    with tenant_context(org_a):
        later = make_campaign(starts_in=timedelta(days=5), programme=campaign.programme)
        Pledge.objects.filter(pk=pledge.pk).update(slot=later.slots.get())
        assert checkin_code(pledge) not in text_of(client.get(f"/me/{token}/"))


@pytest.mark.django_db
def test_an_organiser_scans_or_types_the_code_and_checks_the_party_in(org_a, manager_a):
    campaign, pledge, _ = on_the_day(org_a, companions=2)
    with tenant_context(org_a):
        code = checkin_code(pledge)
    organiser = tenant_client(org_a, manager_a)
    desk = f"/campaigns/{campaign.pk}/check-in/"
    assert organiser.get(desk).status_code == 200
    found = organiser.get(desk, {"code": code})  # what the phone's camera opens
    assert found.status_code == 200
    assert "Sam Lee" in text_of(found) and "With 2 companions." in text_of(found)
    typed = code.replace("-", "").lower().replace("0", "o")  # read aloud, typed loosely
    done = organiser.post(desk, {"code": typed, "companions_present": "1"}, follow=True)
    assert "Sam Lee is checked in." in text_of(done)
    pledge = reload(org_a, pledge)
    assert pledge.attendance == "attended" and pledge.hours_given == Decimal("4.00")
    assert pledge.checked_in_by_id == manager_a.pk
    wrong = organiser.get(desk, {"code": "ZZZZ-ZZZZ"})
    assert wrong.status_code == 400
    assert "No pledge of this campaign has this check-in code" in text_of(wrong)


@pytest.mark.django_db
def test_the_organisers_check_in_page_is_for_managers_of_the_organisation(org_a, org_b,
                                                                         viewer_a):
    campaign, pledge, _ = on_the_day(org_a)
    with tenant_context(org_a):
        code = checkin_code(pledge)
    desk = f"/campaigns/{campaign.pk}/check-in/"
    anonymous = tenant_client(org_a).get(desk, {"code": code})
    assert anonymous.status_code == 302 and "Sam" not in text_of(anonymous)
    assert tenant_client(org_a, viewer_a).get(desk, {"code": code}).status_code == 404
    assert tenant_client(org_a, viewer_a).post(desk, {"code": code}).status_code == 404
    stranger = make_member(org_b, "owner", "owner-b-desk@example.org")
    assert tenant_client(org_a, stranger).get(desk, {"code": code}).status_code == 404
    assert reload(org_a, pledge).attendance == "pending"


# ---- a past action stays as it was ----------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.COMPLETED, Campaign.Status.FAILED])
def test_a_past_actions_pledges_cannot_be_cancelled(org_a, status,
                                                    django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        first = pledge_create(slot=campaign.slots.get(), participant=Participant.objects
                              .create(email="first@example.org"))
        waiting = pledge_create(slot=campaign.slots.get(), participant=Participant.objects
                                .create(email="waiting@example.org"))
        assert waiting.status == "waitlisted"
        Campaign.objects.filter(pk=campaign.pk).update(status=status)
        token = links.participant_token(first.participant)
        with django_capture_on_commit_callbacks() as callbacks, \
                pytest.raises(DomainError) as refused:
            pledge_cancel(pledge=first)
        assert "can no longer be cancelled" in refused.value.text and not callbacks
    client = tenant_client(org_a)
    home = client.get(f"/me/{token}/")
    assert "Cancel this pledge" not in text_of(home)
    response = client.post(f"/me/{token}/pledges/{first.pk}/cancel/", follow=True)
    assert "can no longer be cancelled" in text_of(response)
    assert reload(org_a, first).status == "confirmed"
    assert reload(org_a, waiting).status == "waitlisted"


# ---- calendar files ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_internal_actions_calendar_file_needs_membership_or_the_own_link(org_a, viewer_a):
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        invitation = Invitation.objects.create(campaign=campaign, code="poster-1",
                                               organiser=viewer_a)
        member = Participant.objects.create(email="in@example.org")
        token = links.participant_token(member)
        public = make_campaign()
    url = f"/c/{campaign.code}/calendar.ics"
    # The code alone, or an invitation link: nothing of the action.
    anonymous = tenant_client(org_a)
    response = anonymous.get(url)
    assert response.status_code == 404 and b"Beach clean-up" not in response.content
    anonymous.get(f"/c/{campaign.code}/?i={invitation.code}")
    assert anonymous.get(url).status_code == 404
    # A member, or a participant through their own link.
    assert b"SUMMARY:Beach clean-up" in tenant_client(org_a, viewer_a).get(url).content
    own = tenant_client(org_a)
    own.get(f"/me/{token}/")
    assert b"LOCATION:Plage du Prado" in own.get(url).content
    # A public action's file is for anyone.
    assert tenant_client(org_a).get(f"/c/{public.code}/calendar.ics").status_code == 200


@pytest.mark.django_db
def test_the_onsite_page_is_throttled_per_address(org_a, settings):
    """Posting to the on-site page is an anonymous write: it is counted like the others."""
    from django.core.cache import cache
    from django.test import Client

    from ..conftest import host_of

    cache.clear()
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                               "checkin": {"address": "2/hour", "subject": None}}
    campaign, _pledge, _token = on_the_day(org_a)
    client = tenant_client(org_a)
    statuses = [client.post(onsite_url(campaign), {}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other = Client(HTTP_HOST=host_of(org_a), REMOTE_ADDR="10.9.8.7")  # another machine
    assert other.post(onsite_url(campaign), {}).status_code == 200
    cache.clear()
