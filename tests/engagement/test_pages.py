"""Campaign pages as participants and organisers use them."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Campaign, Invitation, Participant, Pledge, SurveyAnswer, Team
from engagement.services import campaign_close, pledge_create

from ..conftest import tenant_client
from ..factories import make_campaign


def join(client, campaign, email, **extra):
    with tenant_context_of(client):
        slot_ids = list(campaign.slots.values_list("pk", flat=True))
    return client.post(f"/c/{campaign.code}/join/", {
        "email": email, "first_name": email.split("@")[0].title(), "slots": slot_ids,
        "companions": 0, **extra})


def tenant_context_of(client):
    from tenants.models import Organisation

    return tenant_context(Organisation.objects.get(slug=client.defaults["HTTP_HOST"].split(".")[0]))


@pytest.mark.django_db
def test_public_page_shows_progress_and_anyone_can_join(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(target=4)
    visitor = tenant_client(org_a)
    page = visitor.get(f"/c/{campaign.code}/").content.decode()
    assert "0 people committed out of 4 needed" in page
    assert "Give my time" in page and "left to reach the target" in page
    response = join(visitor, campaign, "Ana@Example.org", companions=2,
                    companion_names="Léo, Zoé")
    assert response.status_code == 302 and response["Location"].startswith("/me/")
    with tenant_context(org_a):
        pledge = Pledge.objects.get(participant__email="ana@example.org")
        assert (pledge.status, pledge.companions) == ("confirmed", 2)
    assert "3 people committed out of 4 needed" in visitor.get(
        f"/c/{campaign.code}/").content.decode()
    # Her own page lists the pledge and her personal invitation link.
    home = visitor.get(response["Location"]).content.decode()
    assert "Beach clean-up" in home and "Your personal invitation link" in home


@pytest.mark.django_db
def test_internal_campaign_needs_an_allowed_address_or_a_link(org_a):
    org_a.allowed_email_domains = ["testco.example"]
    org_a.save(update_fields=["allowed_email_domains"])
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL,
                                 description="Secret plan")
    outsider = tenant_client(org_a)
    assert "Secret plan" not in outsider.get(f"/c/{campaign.code}/").content.decode()
    refused = join(outsider, campaign, "someone@gmail.example")
    assert refused.status_code == 400
    assert "This campaign is internal" in refused.content.decode()
    # Typing a colleague's address is not enough either: the address must be proven.
    assert join(outsider, campaign, "emma@testco.example").status_code == 400
    assert outsider.post(f"/c/{campaign.code}/verify/", {"email": "x@gmail.example"}
                         ).status_code == 400
    emma = tenant_client(org_a)
    assert emma.post(f"/c/{campaign.code}/verify/", {"email": "Emma@testco.example"}
                     ).status_code == 302
    with tenant_context(org_a):
        from engagement.models import OutboundEmail

        mail = OutboundEmail.objects.get(to_email="emma@testco.example")
    link = re.search(r"http://testco\.localhost:8000(/me/\S+/go/\S+/)", mail.body).group(1)
    assert emma.get(link)["Location"] == f"/c/{campaign.code}/"
    assert "Secret plan" in emma.get(f"/c/{campaign.code}/").content.decode()
    assert join(emma, campaign, "emma@testco.example").status_code == 302


@pytest.mark.django_db
def test_snowball_referrals_and_invitation_funnel(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=50, target=20)
    first = tenant_client(org_a)
    home = first.get(join(first, campaign, "gen1@example.org")["Location"]).content.decode()
    link = re.search(r'data-share-url>(http://testco\.localhost[^<]*\?i=[^<]+)<', home).group(1)
    code = link.split("?i=")[1]
    second = tenant_client(org_a)
    second.get(f"/c/{campaign.code}/?i={code}")
    home2 = second.get(join(second, campaign, "gen2@example.org")["Location"]).content.decode()
    code2 = re.search(r'\?i=([^"<]+)[<"]', home2).group(1)
    third = tenant_client(org_a)
    third.get(f"/c/{campaign.code}/?i={code2}")
    join(third, campaign, "gen3@example.org")
    with tenant_context(org_a):
        gen3 = Participant.objects.get(email="gen3@example.org")
        assert gen3.referred_by.email == "gen2@example.org"
        assert gen3.referred_by.referred_by.email == "gen1@example.org"
        invitation = Invitation.objects.get(code=code)
        assert (invitation.channel, invitation.lever_code) == ("link_share",
                                                               "personal_invitation")
        assert invitation.open_count == 1 and invitation.pledges.count() == 1
    # An organiser's invitation (a manager's e-mail to a department) is attributed too.
    organiser = tenant_client(org_a, manager_a)
    organiser.post(f"/campaigns/{campaign.pk}/invitations/", {
        "channel": "manager", "lever_code": "leader_example",
        "audience_label": "Finance department"})
    with tenant_context(org_a):
        manager_invitation = Invitation.objects.get(organiser=manager_a)
    fourth = tenant_client(org_a)
    fourth.get(f"/c/{campaign.code}/?i={manager_invitation.code}")
    join(fourth, campaign, "gen4@example.org")
    detail = organiser.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "leader_example" in detail and "personal_invitation" in detail


@pytest.mark.django_db
def test_forged_or_foreign_links_are_refused(org_a, org_b):
    with tenant_context(org_a):
        participant = Participant.objects.create(email="p@example.org")
        token = links.participant_token(participant)
    assert tenant_client(org_a).get(f"/me/{token}/").status_code == 200
    assert tenant_client(org_a).get(f"/me/{token[:-3]}abc/").status_code == 404
    assert tenant_client(org_b).get(f"/me/{token}/").status_code == 404


@pytest.mark.django_db
def test_cancel_promotes_the_waiting_list_and_calendar_file(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=1)
        campaign.freed_seats = "promote"  # freed places given at once
        campaign.save(update_fields=["freed_seats"])
        slot = campaign.slots.get()
        first = Participant.objects.create(email="first@example.org")
        second = Participant.objects.create(email="second@example.org")
        p1 = pledge_create(slot=slot, participant=first)
        p2 = pledge_create(slot=slot, participant=second)
        token = links.participant_token(first)
    assert p2.status == "waitlisted"
    client = tenant_client(org_a)
    ics = client.get(f"/me/{token}/pledges/{p1.pk}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"SUMMARY:Beach clean-up" in ics.content
    assert client.post(f"/me/{token}/pledges/{p1.pk}/cancel/").status_code == 302
    with tenant_context(org_a):
        p2.refresh_from_db()
        assert p2.status == "confirmed"


@pytest.mark.django_db
def test_qr_check_in_records_hours(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(minutes=30), deadline_in=timedelta(
            minutes=10), hours=2, status=Campaign.Status.SUCCEEDED)
        someone = Participant.objects.create(email="here@example.org", first_name="Sam")
        Pledge.objects.create(slot=campaign.slots.get(), participant=someone, companions=1,
                              status="confirmed", confirmed_at=timezone.now())
        token = links.participant_token(someone)
    client = tenant_client(org_a)
    assert client.get(f"/c/{campaign.code}/check-in/wrong/").status_code == 404
    client.get(f"/me/{token}/")  # the participant's own link, on their phone
    response = client.post(f"/c/{campaign.code}/check-in/{campaign.checkin_secret}/",
                           follow=True)
    assert response.status_code == 200
    page = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert "You are checked in. Hours given: 2." in page  # the companion: an organiser's
    stranger = tenant_client(org_a).post(
        f"/c/{campaign.code}/check-in/{campaign.checkin_secret}/", {"email": "here@example.org"})
    assert stranger.status_code == 200 and "Sam" not in stranger.content.decode()


@pytest.mark.django_db
def test_description_markdown_is_sanitised(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(description=(
            "**Bring gloves**\n\n<script>alert('x')</script>\n\n"
            "[click](javascript:alert(1)) <img src=http://evil.example/x.png>"))
    page = tenant_client(org_a).get(f"/c/{campaign.code}/").content.decode()
    assert "<strong>Bring gloves</strong>" in page
    assert "<script>alert" not in page
    assert "javascript:" not in page
    assert "evil.example" not in page


@pytest.mark.django_db
def test_organiser_creates_opens_checks_in_and_records_impact(org_a, org_b, manager_a,
                                                             viewer_a, owner_b):
    from django_tenants.utils import tenant_context as tc

    from engagement.services import programme_create_from_template
    from methodology.models import Template
    from methodology.selectors import latest_published

    with tc(org_a):
        start = timezone.localdate()
        programme = programme_create_from_template(
            version=latest_published(Template.objects.get(slug="beach-clean-up")),
            name="Coast", starts_on=start, action_date=start + timedelta(days=20),
            ends_on=start + timedelta(days=60))
    client = tenant_client(org_a, manager_a)
    starts = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT10:00")
    ends = (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT13:00")
    deadline = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT18:00")
    bad = client.post(f"/programmes/{programme.pk}/campaigns/new/", {
        "title": "Prado", "starts_at": starts, "ends_at": ends, "participant_target": 10,
        "mobilisation_deadline": ends, "visibility": "public", "capacity": 30})
    assert bad.status_code == 400
    assert "mobilisation deadline must be before" in bad.content.decode()
    created = client.post(f"/programmes/{programme.pk}/campaigns/new/", {
        "title": "Prado", "starts_at": starts, "ends_at": ends, "participant_target": 10,
        "mobilisation_deadline": deadline, "visibility": "public", "capacity": 30})
    assert created.status_code == 302
    with tc(org_a):
        campaign = Campaign.objects.get(title="Prado")
        assert campaign.status == "draft"
    # A draft is invisible to the public.
    assert tenant_client(org_a).get(f"/c/{campaign.code}/").status_code == 404
    client.post(f"/campaigns/{campaign.pk}/open/")
    with tc(org_a):
        campaign.refresh_from_db()
        assert campaign.status == "open"
        person = Participant.objects.create(email="vol@example.org", first_name="Vol")
        pledge = pledge_create(slot=campaign.slots.get(), participant=person)
        indicator = programme.indicators.first()
    row = client.post(f"/campaigns/{campaign.pk}/pledges/{pledge.pk}/attendance/",
                      {"action": "check_in"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "Attended" in row.content.decode()
    client.post(f"/campaigns/{campaign.pk}/impact/", {"indicator": indicator.pk,
                                                       "value": "42.5"})
    detail = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "42.5" in detail and "42.50" not in detail  # one decimal when one is enough
    qr = client.get(f"/campaigns/{campaign.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get(f"/campaigns/{campaign.pk}/").status_code == 200
    assert viewer.post(f"/campaigns/{campaign.pk}/impact/", {
        "indicator": indicator.pk, "value": "1"}).status_code == 404
    assert tenant_client(org_b, owner_b).get(f"/campaigns/{campaign.pk}/").status_code == 404


@pytest.mark.django_db
def test_survey_answers_are_stored_per_participant(org_a):
    from engagement.services import programme_create_from_template
    from methodology.models import Template
    from methodology.selectors import latest_published

    with tenant_context(org_a):
        start = timezone.localdate()
        programme = programme_create_from_template(
            version=latest_published(Template.objects.get(slug="municipal-greening")),
            name="Green", starts_on=start, action_date=start + timedelta(days=20),
            ends_on=start + timedelta(days=60))
        campaign = make_campaign(programme=programme)
        person = Participant.objects.create(email="s@example.org")
        pledge_create(slot=campaign.slots.get(), participant=person)
        token = links.participant_token(person)
        questions = list(programme.survey_questions.filter(moment="follow_up"))
    client = tenant_client(org_a)
    page = client.get(f"/me/{token}/survey/{campaign.code}/follow_up/")
    assert page.status_code == 200
    answers = {f"q{q.pk}": {"scale": "4", "yes_no": "yes", "text": "Still watering"}[q.kind]
               for q in questions}
    bad = {**answers, **{f"q{q.pk}": "9" for q in questions if q.kind == "scale"}}
    if any(q.kind == "scale" for q in questions):
        assert client.post(f"/me/{token}/survey/{campaign.code}/follow_up/", bad
                           ).status_code == 400
    assert client.post(f"/me/{token}/survey/{campaign.code}/follow_up/", answers
                       ).status_code == 302
    with tenant_context(org_a):
        assert SurveyAnswer.objects.filter(participant=person).count() == len(questions)


@pytest.mark.django_db
def test_unsubscribe_and_leaderboard(org_a, owner_a):
    with tenant_context(org_a):
        campaign = make_campaign(status=Campaign.Status.SUCCEEDED,
                                 starts_in=timedelta(minutes=10),
                                 deadline_in=timedelta(minutes=5))
        team = Team.objects.create(name="Finance")
        person = Participant.objects.create(email="u@example.org", team=team)
        pledge = Pledge.objects.create(slot=campaign.slots.get(), participant=person,
                                       status="confirmed", attendance="attended",
                                       hours_given=3)
        token = links.participant_token(person)
    client = tenant_client(org_a)
    client.post(f"/me/{token}/unsubscribe/")
    with tenant_context(org_a):
        person.refresh_from_db()
        assert person.unsubscribed_at is not None and pledge.pk
    board = tenant_client(org_a, owner_a).get("/teams/").content.decode()
    # A team of one is never named on the leaderboard (fewer than five people): its
    # person and hours are added up among the other teams.
    assert "Finance" not in board and ">3<" in board
    assert "Other teams (fewer than 5 people each)" in board


@pytest.mark.django_db
def test_deadline_decides_on_both_sides_of_the_target(org_a, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        reached = make_campaign(target=2, capacity=10)
        missed = make_campaign(target=3, capacity=10)
        for n, campaign in enumerate([reached, reached, missed, missed]):
            pledge_create(slot=campaign.slots.get(),
                          participant=Participant.objects.create(email=f"d{n}@example.org"))
        later = timezone.now() + timedelta(days=6)
        assert campaign_close(campaign=reached, now=timezone.now()).status == "open"  # early
        assert campaign_close(campaign=reached, now=later).status == "succeeded"
        assert campaign_close(campaign=missed, now=later).status == "failed"
        assert campaign_close(campaign=missed, now=later).status == "failed"  # idempotent
