"""Knowing an e-mail never opens someone's space: a join with an address already known
records the pledge, changes nothing about the person, keeps the visitor's session empty and
says "check your e-mail"; the e-mail carries the signed link. The confirmation is neutral
(no visitor text in its greeting, no line break from a title). Large parties wait for an
organiser's approval."""

import json

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Campaign, OutboundEmail, Participant, Pledge, Team
from engagement.services.joining import campaign_join, pledge_approve

from ..conftest import tenant_client
from ..factories import make_campaign
from .test_participant_pages import join, text_of

JSON = "application/json"


@pytest.fixture
def ana(org_a):
    with tenant_context(org_a):
        return Participant.objects.create(
            email="ana@example.org", first_name="Ana", last_name="Martin", language="fr",
            consent_to_contact=True, team=Team.objects.create(name="Finance"))


def _unchanged(org, ana) -> None:
    with tenant_context(org):
        fresh = Participant.objects.select_related("team").get(pk=ana.pk)
        assert (fresh.first_name, fresh.last_name, fresh.team.name, fresh.language,
                fresh.consent_to_contact, fresh.referred_by_id) == (
            "Ana", "Martin", "Finance", "fr", True, None)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_join_with_a_known_address_opens_nothing_and_changes_nothing(org_a, ana, lang):
    with tenant_context(org_a):
        campaign = make_campaign()
    stranger = tenant_client(org_a)
    answer = join(stranger, campaign, "ANA@example.org", lang=lang, first_name="Mallory",
                  last_name="Evil", consent_to_contact="")
    # Not her page: the campaign page, with "check your e-mail".
    assert answer.status_code == 302
    assert answer["Location"] == f"/c/{campaign.code}/"
    assert "/me/" not in answer["Location"]
    assert "participant_token" not in stranger.session
    page = text_of(stranger.get(answer["Location"], HTTP_ACCEPT_LANGUAGE=lang))
    assert {"en": "Check your e-mail", "fr": "Consultez vos e-mails"}[lang] in page
    assert "Ana" not in page and "My pledges" not in page and "Mes engagements" not in page
    _unchanged(org_a, ana)
    with tenant_context(org_a):
        # The pledge is recorded (capacity rules as for anyone).
        assert Pledge.objects.get(participant=ana).status == Pledge.Status.CONFIRMED
    # The visitor's session still opens nobody's pledges: the form is offered again.
    again = stranger.get(f"/c/{campaign.code}/")
    assert again.context["participant"] is None


@pytest.mark.django_db
def test_a_join_for_a_slot_the_person_already_holds_reveals_nothing(org_a, ana):
    with tenant_context(org_a):
        campaign = make_campaign()
        campaign_join(campaign=campaign, email="ana@example.org",
                      slot_ids=[campaign.slots.get().pk], known_participant=ana)
    stranger = tenant_client(org_a)
    answer = join(stranger, campaign, "ana@example.org", first_name="Mallory")
    # The same answer as any known address: not "you have already pledged".
    assert answer.status_code == 302 and answer["Location"] == f"/c/{campaign.code}/"
    page = text_of(stranger.get(answer["Location"]))
    assert "already" not in page and "Check your e-mail" in page
    with tenant_context(org_a):
        assert Pledge.objects.filter(participant=ana).count() == 1


@pytest.mark.django_db
def test_the_e_mail_of_a_join_with_a_known_address_carries_the_signed_link(
        org_a, ana, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        join(tenant_client(org_a), campaign, "ana@example.org", first_name="Mallory")
    with tenant_context(org_a):
        email = OutboundEmail.objects.get(participant=ana, kind="pledge_confirmed")
        assert email.to_email == "ana@example.org"
        assert links.manage_url(ana).split("/me/")[0] in email.body
        token = email.body.split("/me/")[1].split("/")[0]
        assert links.participant_from_token(token) == ana
        assert "Mallory" not in email.body
    assert [m.to for m in mail.outbox] == [["ana@example.org"]]


@pytest.mark.django_db
def test_a_new_participant_is_remembered_by_the_session_that_created_them(org_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        second = make_campaign(programme=campaign.programme)
    client = tenant_client(org_a)
    answer = join(client, campaign, "newcomer@example.org")
    assert answer["Location"].startswith("/me/")
    assert client.session["participant_token"]
    # The same session, now holding the participant, joins another campaign as them.
    assert join(client, second, "newcomer@example.org")["Location"].startswith("/me/")


@pytest.mark.django_db
def test_a_signed_link_proves_the_address_and_may_complete_the_person(org_a, ana):
    with tenant_context(org_a):
        campaign = make_campaign()
        token = links.participant_token(ana)
    client = tenant_client(org_a)
    client.get(f"/me/{token}/")
    answer = join(client, campaign, "ana@example.org", first_name="Ana")
    assert answer["Location"] == f"/me/{token}/" or answer["Location"].startswith("/me/")


@pytest.mark.django_db
def test_the_api_join_with_a_known_address_changes_nothing_and_returns_no_token(org_a, ana):
    with tenant_context(org_a):
        campaign = make_campaign()
        slot = campaign.slots.get()
    answer = tenant_client(org_a).post(
        f"/api/v1/public/campaigns/{campaign.code}/join/",
        {"email": "ana@example.org", "slots": [slot.pk], "first_name": "Mallory",
         "team": "Nowhere", "language": "en", "consent_to_contact": False},
        content_type=JSON)
    assert answer.status_code == 201, answer.content
    body = json.dumps(answer.json())
    assert "Ana" not in body and "token" not in body and "/me/" not in body
    _unchanged(org_a, ana)


@pytest.mark.django_db
def test_an_address_check_for_an_internal_campaign_changes_nothing(org_a, ana, settings):
    org_a.allowed_email_domains = ["example.org"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
    client = tenant_client(org_a)
    answer = client.post(f"/c/{campaign.code}/verify/", {"email": "ana@example.org"},
                         HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 302
    assert "participant_token" not in client.session
    _unchanged(org_a, ana)


@pytest.mark.django_db
def test_an_internal_join_without_proof_is_refused_even_with_a_known_address(org_a, ana):
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
    client = tenant_client(org_a)
    answer = join(client, campaign, "ana@example.org")
    assert answer.status_code == 400
    assert "participant_token" not in client.session
    with tenant_context(org_a):
        assert not Pledge.objects.filter(participant=ana).exists()


# ---- the confirmation e-mail is neutral ---------------------------------------------------

@pytest.mark.django_db
def test_the_join_confirmation_has_no_visitor_text_and_no_line_break_injection(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign()
        campaign.title = "Beach\r\nBcc: victim@example.net\r\n\r\nClick http://evil.test"
        campaign.place = "Plage\r\nX-Evil: 1"
        campaign.save(update_fields=["title", "place"])
        with django_capture_on_commit_callbacks(execute=True):
            campaign_join(campaign=campaign, email="someone@example.net",
                          first_name="Win a prize at http://evil.test", language="en",
                          slot_ids=[campaign.slots.get().pk])
        email = OutboundEmail.objects.get(kind="pledge_confirmed")
    first_line = email.body.splitlines()[0]
    assert first_line == "Hello,"
    assert "evil.test" not in email.body.split("Click")[0]  # only inside the one-line title
    assert "\r" not in email.subject and "\n" not in email.subject
    assert email.subject == ("You’re in: Beach Bcc: victim@example.net Click "
                             "http://evil.test")
    assert "Win a prize" not in email.body
    assert not any(line.startswith(("Bcc:", "X-Evil:")) for line in email.body.splitlines())
    message = mail.outbox[0]
    assert message.to == ["someone@example.net"] and not message.bcc
    assert "X-Evil" not in message.message().as_string().split("\n\n")[0]


# ---- large parties ------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_party_above_the_threshold_awaits_approval_and_takes_no_place(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=30)
        campaign.party_approval_above = 3
        campaign.save(update_fields=["party_approval_above"])
        slot = campaign.slots.get()
    client = tenant_client(org_a)
    assert join(client, campaign, "big@example.org", companions=10).status_code == 302
    assert join(tenant_client(org_a), campaign, "small@example.org",
                companions=3).status_code == 302
    with tenant_context(org_a):
        big = Pledge.objects.get(participant__email="big@example.org")
        small = Pledge.objects.get(participant__email="small@example.org")
        assert big.status == Pledge.Status.AWAITING_APPROVAL
        assert small.status == Pledge.Status.CONFIRMED
        slot.refresh_from_db()
        assert slot.confirmed_seats == 4  # the big party counts for nothing yet
    home = text_of(client.get(client.session and f"/me/{client.session['participant_token']}/",
                              HTTP_ACCEPT_LANGUAGE="en"))
    assert "Awaiting the organisers’ approval" in home

    organiser = tenant_client(org_a, manager_a)
    detail = text_of(organiser.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Approve the group" in detail and "Awaiting approval" in detail
    answer = organiser.post(f"/campaigns/{campaign.pk}/pledges/{big.pk}/party/",
                            {"decision": "approve"})
    assert answer.status_code == 302
    with tenant_context(org_a):
        big.refresh_from_db()
        slot.refresh_from_db()
        assert big.status == Pledge.Status.CONFIRMED and slot.confirmed_seats == 15


@pytest.mark.django_db
def test_a_declined_or_unfitting_party_never_goes_over_capacity(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=5)
        slot = campaign.slots.get()
        first = campaign_join(campaign=campaign, email="a@example.org",
                              slot_ids=[slot.pk], companions=8)[0]
        second = campaign_join(campaign=campaign, email="b@example.org",
                               slot_ids=[slot.pk], companions=6)[0]
        assert first.status == second.status == Pledge.Status.AWAITING_APPROVAL
        assert pledge_approve(pledge=first).status == Pledge.Status.WAITLISTED
        slot.refresh_from_db()
        assert slot.confirmed_seats == 0
    organiser = tenant_client(org_a, manager_a)
    organiser.post(f"/campaigns/{campaign.pk}/pledges/{second.pk}/party/",
                   {"decision": "decline"})
    with tenant_context(org_a):
        second.refresh_from_db()
        assert second.status == Pledge.Status.CANCELLED
    # Approving twice, or a viewer's or outsider's request, changes nothing.
    again = organiser.post(f"/campaigns/{campaign.pk}/pledges/{second.pk}/party/",
                           {"decision": "approve"})
    assert again.status_code == 302
    with tenant_context(org_a):
        second.refresh_from_db()
        assert second.status == Pledge.Status.CANCELLED


@pytest.mark.django_db
def test_only_managers_of_the_organisation_decide_on_a_party(org_a, org_b, viewer_a,
                                                            owner_b):
    with tenant_context(org_a):
        campaign = make_campaign()
        party = campaign_join(campaign=campaign, email="a@example.org",
                              slot_ids=[campaign.slots.get().pk], companions=9)[0]
    url = f"/campaigns/{campaign.pk}/pledges/{party.pk}/party/"
    assert tenant_client(org_a, viewer_a).post(url, {"decision": "approve"}).status_code == 404
    assert tenant_client(org_a, owner_b).post(url, {"decision": "approve"}).status_code == 404
    with tenant_context(org_a):
        party.refresh_from_db()
        assert party.status == Pledge.Status.AWAITING_APPROVAL


@pytest.mark.django_db
def test_the_organiser_sets_the_threshold_on_the_campaign(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign()
    page = tenant_client(org_a, manager_a).get(f"/campaigns/{campaign.pk}/edit/",
                                               HTTP_ACCEPT_LANGUAGE="fr")
    assert "Accompagnants sans accord" in text_of(page)
