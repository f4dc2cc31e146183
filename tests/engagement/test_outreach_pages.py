"""Reaching everyone, as people read it: the "invite in one go" page and its API, the
employees' address, walk-ins on the campaign page, postponing and relaunching; and who is
refused (viewers, other organisations, anonymous visitors)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import (
    Campaign,
    CampaignEvent,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    Team,
)
from engagement.services import campaign_close

from ..conftest import make_member, tenant_client
from ..factories import ParticipantFactory, PledgeFactory, make_campaign
from .test_participant_pages import text_of

JSON = "application/json"


@pytest.fixture(autouse=True)
def _empty_cache(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team_campaign(org_a):
    with tenant_context(org_a):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        team = Team.objects.create(name="Logistique")
        people = [ParticipantFactory(team=team, consent_to_contact=True) for _ in range(3)]
        ParticipantFactory(team=team, consent_to_contact=False)
    return campaign, team, people


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_manager_previews_then_invites_a_team_by_names_never_codes(
        org_a, manager_a, team_campaign, lang, eager, django_capture_on_commit_callbacks):
    campaign, team, people = team_campaign
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/campaigns/{campaign.pk}/invite-many/", HTTP_ACCEPT_LANGUAGE=lang)
    text = text_of(page)
    assert page.status_code == 200
    assert ("Team challenge" if lang == "en" else "Défi entre équipes") in text
    assert "team_challenge" not in text and "never_pledged" not in text
    choices = {"audience": "team", "team": team.pk, "site": "", "lever_code": "team_challenge",
               "channel": "email"}
    preview = client.post(f"/campaigns/{campaign.pk}/invite-many/", choices,
                          HTTP_ACCEPT_LANGUAGE=lang)
    assert ("3 people will be invited" if lang == "en" else "3 personnes seront invitées") \
        in text_of(preview)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/campaigns/{campaign.pk}/invite-many/", {**choices, "send": "1"},
                           HTTP_ACCEPT_LANGUAGE=lang)
    # The worker records the invitations (here, at the commit): the send's own page.
    assert sent.status_code == 302 and "/invite-many/" in sent["Location"]
    with tenant_context(org_a):
        assert Invitation.objects.filter(campaign=campaign, batch__isnull=False).count() == 3
    job = text_of(client.get(sent["Location"], HTTP_ACCEPT_LANGUAGE=lang))
    assert ("3 invitations recorded; all are sent this hour." if lang == "en" else
            "3 invitations enregistrées ; toutes partent dans l’heure.") in job
    detail = text_of(client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE=lang))
    assert ("Invitations sent in one go" if lang == "en" else "Invitations envoyées en une fois"
            ) in detail
    assert "Logistique" in detail and "team_challenge" not in detail


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_team_larger_than_the_cap_is_sent_and_the_page_tells_how_it_is_spread(
        org_a, manager_a, team_campaign, lang, settings, eager,
        django_capture_on_commit_callbacks):
    from engagement.models import BulkJob
    from engagement.services.invitation_jobs import invitation_job_run

    settings.BULK_INVITATIONS_PER_HOUR = 2
    campaign, team, _people = team_campaign
    client = tenant_client(org_a, manager_a)
    choices = {"audience": "team", "team": team.pk, "site": "", "lever_code": "team_challenge",
               "channel": "email", "send": "1"}
    # The commit's callbacks are not run: the worker has not taken the job yet.
    sent = client.post(f"/campaigns/{campaign.pk}/invite-many/", choices,
                       HTTP_ACCEPT_LANGUAGE=lang, follow=True)
    waiting = text_of(sent)
    assert ("Waiting for the worker" if lang == "en" else "En attente de traitement") in waiting
    # The bar, without counts until the worker has counted the people.
    assert "<progress" in sent.content.decode() and "0 / 3" not in waiting
    with tenant_context(org_a):
        assert not Invitation.objects.filter(campaign=campaign).exists()
        job = BulkJob.objects.get(kind="invitations", options__campaign=campaign.pk)
        # The worker's run; the e-mails' delivery it queues is not run here.
        with django_capture_on_commit_callbacks(execute=False):
            invitation_job_run(job_id=job.pk)
        assert Invitation.objects.filter(campaign=campaign, batch__isnull=False).count() == 3
    done = text_of(client.get(sent.redirect_chain[-1][0], HTTP_ACCEPT_LANGUAGE=lang))
    assert (("3 invitations recorded; 2 sent this hour, the rest over the next hour.")
            if lang == "en" else ("3 invitations enregistrées ; 2 envoyées dans l’heure, "
                                  "les autres dans l’heure suivante.")) in done
    detail = text_of(client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE=lang))
    assert ("Being sent now" if lang == "en" else "Envoi en cours") in detail
    # The API says the same, for another campaign.
    with tenant_context(org_a):
        other = make_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        api = client.post("/api/v1/campaign-invitations/bulk/", {
            "campaign": other.pk, "audience": "team", "team": team.pk,
            "lever_code": "deadline", "channel": "email", "dry_run": False},
            content_type=JSON, HTTP_ACCEPT_LANGUAGE=lang)
    assert api.status_code == 202, api.content
    assert (api.json()["status"], api.json()["total"]) == ("queued", 0)  # not counted yet
    body = client.get(api["Location"], HTTP_ACCEPT_LANGUAGE=lang).json()
    assert (body["status"], body["processed"], body["total"], body["percent"]) == (
        "done", 3, 3, 100)
    assert (body["report"]["invited"], body["report"]["sent_this_hour"],
            body["report"]["later_hours"]) == (3, 2, 1)
    assert body["message"].startswith("3 invitations")


def test_a_team_choice_is_needed_for_the_team_audience(org_a, manager_a, team_campaign):
    campaign, _team, _people = team_campaign
    response = tenant_client(org_a, manager_a).post(
        f"/campaigns/{campaign.pk}/invite-many/",
        {"audience": "team", "lever_code": "deadline", "channel": "email"})
    assert response.status_code == 400
    assert "Choose one of the teams." in text_of(response)


@pytest.mark.parametrize("path", ["invite-many", "walk-ins", "postpone", "relaunch"])
def test_viewers_and_other_organisations_get_404(org_a, org_b, viewer_a, owner_b,
                                                 team_campaign, path):
    campaign, _team, _people = team_campaign
    assert tenant_client(org_a, viewer_a).get(f"/campaigns/{campaign.pk}/{path}/"
                                              ).status_code == 404
    assert tenant_client(org_b, owner_b).get(f"/campaigns/{campaign.pk}/{path}/"
                                             ).status_code == 404


def test_the_api_counts_then_sends_and_refuses_viewers_and_outsiders(
        org_a, org_b, manager_a, viewer_a, owner_b, team_campaign, eager,
        django_capture_on_commit_callbacks):
    campaign, team, _people = team_campaign
    body = {"campaign": campaign.pk, "audience": "team", "team": team.pk,
            "lever_code": "team_challenge", "channel": "manager"}
    client = tenant_client(org_a, manager_a)
    counted = client.post("/api/v1/campaign-invitations/bulk/", body, content_type=JSON)
    assert counted.status_code == 200
    assert (counted.json()["to_invite"], counted.json()["no_consent"],
            counted.json()["dry_run"]) == (3, 1, True)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/api/v1/campaign-invitations/bulk/", {**body, "dry_run": False},
                           content_type=JSON)
    assert sent.status_code == 202
    job_url = sent["Location"]
    assert client.get(job_url).json()["report"]["invited"] == 3
    # The job is the organiser's: another organisation, or a viewer, cannot tell it exists.
    assert tenant_client(org_a, viewer_a).get(job_url).status_code == 404
    assert tenant_client(org_b, owner_b).get(job_url).status_code == 404
    again = client.post("/api/v1/campaign-invitations/bulk/", {**body, "dry_run": False},
                        content_type=JSON)
    assert again.status_code == 400 and "audience" in again.json()["errors"]
    bad = client.post("/api/v1/campaign-invitations/bulk/",
                      {**body, "lever_code": "nope", "channel": "qr_poster"}, content_type=JSON)
    assert bad.status_code == 400
    assert tenant_client(org_a, viewer_a).post(
        "/api/v1/campaign-invitations/bulk/", body, content_type=JSON).status_code in (403, 404)
    assert tenant_client(org_b, owner_b).post(
        "/api/v1/campaign-invitations/bulk/", body, content_type=JSON).status_code == 400
    with tenant_context(org_a):
        assert Invitation.objects.filter(campaign=campaign).count() == 3


# ---- the employees' address ----------------------------------------------------------------

def _domains(org, *domains):
    org.allowed_email_domains = list(domains)
    org.save(update_fields=["allowed_email_domains"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_employees_address_answers_the_same_whoever_asks(org_a, lang):
    _domains(org_a, "testco.test")
    client = tenant_client(org_a)
    page = client.get("/internal/", HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    answers = []
    for email in ("ana@testco.test", "eve@elsewhere.test", "bob@gmail.com"):
        response = client.post("/internal/", {"email": email}, HTTP_ACCEPT_LANGUAGE=lang,
                               follow=True)
        answers.append((response.redirect_chain, text_of(response).replace(email, "")))
    assert answers[0] == answers[1] == answers[2]
    with tenant_context(org_a):
        assert list(OutboundEmail.objects.values_list("to_email", flat=True)) == [
            "ana@testco.test"]
        assert not Participant.objects.filter(email="eve@elsewhere.test").exists()


def test_the_employees_address_is_throttled(org_a, settings):
    _domains(org_a, "testco.test")
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES,
                               "internal_address": {"address": "2/hour", "subject": None}}
    client = tenant_client(org_a)
    codes = [client.post("/internal/", {"email": f"p{i}@testco.test"}).status_code
             for i in range(3)]
    assert codes == [302, 302, 429]


def test_the_link_lists_open_internal_campaigns_only(org_a, org_b):
    _domains(org_a, "testco.test")
    with tenant_context(org_a):
        internal = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        Campaign.objects.filter(pk=internal.pk).update(title="Chalets solidaires")
        public = make_campaign(visibility=Campaign.Visibility.PUBLIC)
        Campaign.objects.filter(pk=public.pk).update(title="Plage publique")
        draft = make_campaign(visibility=Campaign.Visibility.INTERNAL,
                              status=Campaign.Status.DRAFT)
        Campaign.objects.filter(pk=draft.pk).update(title="Brouillon interne")
        person = ParticipantFactory(email="ana@testco.test")
        token = links.participant_token(person)
    client = tenant_client(org_a)
    text = text_of(client.get(f"/me/{token}/internal/"))
    assert "Chalets solidaires" in text
    assert "Plage publique" not in text and "Brouillon interne" not in text
    # The person's link opens the internal campaign's page, where they may join.
    joined = client.get(f"/me/{token}/go/{internal.code}/", follow=True)
    assert "Chalets solidaires" in text_of(joined)
    assert tenant_client(org_b).get(f"/me/{token}/internal/").status_code == 404
    assert client.get("/me/forged/internal/").status_code == 404



def test_an_outside_volunteers_link_does_not_list_internal_campaigns(org_a):
    """A signed link proves who someone is, not that they work there: only an address at
    one of the organisation's verified domains sees its internal campaigns."""
    _domains(org_a, "testco.test")
    with tenant_context(org_a):
        internal = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        Campaign.objects.filter(pk=internal.pk).update(title="Chalets solidaires")
        outsider = links.participant_token(ParticipantFactory(email="vol@gmail.com"))
    client = tenant_client(org_a)
    response = client.get(f"/me/{outsider}/internal/")
    assert response.status_code == 404
    assert "Chalets solidaires" not in response.content.decode()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_address_link_creates_the_participant_only_when_opened(org_a, lang):
    import re

    from django.core import signing

    from engagement.services import internal_access

    _domains(org_a, "testco.test")
    client = tenant_client(org_a)
    client.post("/internal/", {"email": "Zoe@TestCo.test"}, HTTP_ACCEPT_LANGUAGE=lang)
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="zoe@testco.test").exists()
        body = OutboundEmail.objects.get(to_email="zoe@testco.test").body
    path = re.search(r"https?://[^/\s]+(/internal/link/[^\s]+/)", body).group(1)
    opened = client.get(path, HTTP_ACCEPT_LANGUAGE=lang)
    with tenant_context(org_a):
        person = Participant.objects.get(email="zoe@testco.test")
        assert person.language == lang
        assert opened.status_code == 302
        # The token is signed with the time: compare whom it names, not its text.
        token = re.search(r"/me/([^/]+)/internal/$", opened["Location"]).group(1)
        assert links.participant_from_token(token) == person
    assert client.get(opened["Location"]).status_code == 200
    # Opening it again finds the same person; a forged or expired link asks for a new one.
    client.get(path)
    with tenant_context(org_a):
        assert Participant.objects.filter(email="zoe@testco.test").count() == 1
        # Another organisation's link (its schema) is refused here.
        foreign = signing.dumps({"e": "eve@testco.test", "l": lang, "s": "other"},
                                salt=internal_access.ADDRESS_SALT, compress=True)
    for token in ("forged", foreign):
        refused = client.get(f"/internal/link/{token}/", follow=True)
        assert refused.redirect_chain[-1][0].endswith("/internal/")
    with tenant_context(org_a):
        assert not Participant.objects.filter(email="eve@testco.test").exists()
    with tenant_context(org_a), pytest.MonkeyPatch.context() as patch:
        patch.setattr(internal_access, "ADDRESS_MAX_AGE", timedelta(seconds=-1))
        assert internal_access.internal_link_open(token=path.split("/")[-2]) is None


# ---- walk-ins, postponing, relaunching ------------------------------------------------------

def test_a_walk_in_is_registered_from_the_campaign_page(org_a, manager_a):
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(minutes=20),
                                 deadline_in=timedelta(minutes=20))
        slot = campaign.slots.get()
    client = tenant_client(org_a, manager_a)
    page = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Quelqu’un est venu sans inscription ?" in text_of(page)
    refused = client.post(f"/campaigns/{campaign.pk}/walk-ins/", {
        "slot": slot.pk, "first_name": "Léa"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 400
    done = client.post(f"/campaigns/{campaign.pk}/walk-ins/", {
        "slot": slot.pk, "first_name": "Léa", "last_name": "Martin",
        "consent_to_contact": "no"}, HTTP_ACCEPT_LANGUAGE="fr", follow=True)
    assert "Léa Martin est inscrite" in text_of(done) or "Léa Martin" in text_of(done)
    with tenant_context(org_a):
        pledge = Pledge.objects.get(walk_in=True)
        assert pledge.attendance == "attended" and pledge.participant.email == ""


def test_postponing_and_relaunching_from_the_pages(org_a, manager_a,
                                                   django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = make_campaign(target=5, starts_in=timedelta(days=2),
                                 deadline_in=timedelta(days=1))
        PledgeFactory(slot=campaign.slots.get(), participant=ParticipantFactory())
        campaign_close(campaign=campaign, now=campaign.mobilisation_deadline)
    client = tenant_client(org_a, manager_a)
    detail = text_of(client.get(f"/campaigns/{campaign.pk}/"))
    assert "Postpone" in detail and "Relaunch on new dates" in detail
    local = timezone.localtime(timezone.now() + timedelta(days=20))
    start, deadline = local.strftime("%Y-%m-%dT%H:%M"), (local - timedelta(days=2)
                                                         ).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(f"/campaigns/{campaign.pk}/postpone/", {
        "starts_at": deadline, "mobilisation_deadline": start})
    assert bad.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.post(f"/campaigns/{campaign.pk}/postpone/", {
            "starts_at": start, "mobilisation_deadline": deadline})
    assert moved.status_code == 302
    with tenant_context(org_a):
        campaign.refresh_from_db()
        assert campaign.status == "open"
        Campaign.objects.filter(pk=campaign.pk).update(status="failed")
    history = text_of(client.get(f"/campaigns/{campaign.pk}/"))
    assert "History" in history and "Postponed" in history
    later = (local + timedelta(days=10))
    relaunched = client.post(f"/campaigns/{campaign.pk}/relaunch/", {
        "starts_at": later.strftime("%Y-%m-%dT%H:%M"),
        "mobilisation_deadline": (later - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "participant_target": 4})
    assert relaunched.status_code == 302
    with tenant_context(org_a):
        campaign.refresh_from_db()
        assert relaunched["Location"] == f"/campaigns/{campaign.relaunched_as_id}/"
        assert CampaignEvent.objects.filter(campaign=campaign).count() == 2
    old = text_of(client.get(f"/campaigns/{campaign.pk}/"))
    assert "This campaign was relaunched" in old and "Relaunch on new dates" not in old


def test_members_without_the_manager_role_see_no_outreach_actions(org_a):
    viewer = make_member(org_a, "viewer", "viewer2@testco.test")
    with tenant_context(org_a):
        campaign = make_campaign(starts_in=timedelta(minutes=20),
                                 deadline_in=timedelta(minutes=20))
    text = text_of(tenant_client(org_a, viewer).get(f"/campaigns/{campaign.pk}/"))
    assert "Someone came without a pledge?" not in text
    assert "Invite people in one go" not in text


def test_without_domains_the_employees_address_says_it_is_not_open(org_a):
    _domains(org_a)
    client = tenant_client(org_a)
    page = client.get("/internal/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cette adresse n’est pas encore ouverte" in text_of(page)
    assert client.post("/internal/", {"email": "ana@testco.test"}).status_code == 200
    with tenant_context(org_a):
        assert not OutboundEmail.objects.exists()
