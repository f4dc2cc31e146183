"""Reaching everyone, in Chromium:
- a CSR manager (1,366 px, French) invites a whole team in one go: picks the team, the
  lever and the channel by their names, reads how many will be invited and who is left
  out, sends, follows the worker recording the invitations on the send's page (a real
  worker), and reads the send on the campaign page;
- a manager (1,366 px and 390 px, English) follows a large send's progress bar, then
  sends to a team and reads how its e-mails go out under the hourly allowance;
- an employee (390 px, English) types their work address on the organisation's
  employees' address, opens the link of the e-mail, sees the internal campaigns and joins
  one;
- an organiser on site (390 px, French) registers someone who came without a pledge;
- a manager (1,366 px, English) postpones a campaign that missed its target and reads its
  history.
"""

import os
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import (
    Campaign,
    CampaignEvent,
    Invitation,
    OutboundEmail,
    Participant,
    Pledge,
    Team,
)
from engagement.services import campaign_close, pledge_create
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url
from tests.e2e.journeys.test_csr_manager import worker  # noqa: F401 (a real worker)
from tests.factories import make_campaign

pytestmark = pytest.mark.browser

# Where to keep a screenshot of every page read (JOURNEY_SHOTS=/tmp/shots), to look at them.
SHOTS = os.environ.get("JOURNEY_SHOTS")


def read(page, name: str, part: str = "") -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/reach-{name}.png", full_page=True)
        if part:  # the part of a long page this step is about
            page.locator(part).screenshot(path=f"{SHOTS}/reach-{name}-part.png")


@pytest.fixture
def space(django_db_blocker):
    """``space(lang)``: a new organisation in that language, its owner able to log in;
    dropped afterwards."""
    made = []

    def make(lang: str) -> Organisation:
        slug = f"reach-{lang}-{uuid.uuid4().hex[:6]}"
        with django_db_blocker.unblock():
            organisation = organisation_provision(
                name="Ville de Lorient" if lang == "fr" else "Lorient Foods Ltd", slug=slug,
                owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
                owner_name="Léa Organiser", locale=lang,
                kind="local_authority" if lang == "fr" else "company")
            organisation.allowed_email_domains = [f"{slug}.example"]
            organisation.owner_email_verified_at = timezone.now()
            organisation.save(update_fields=["allowed_email_domains",
                                             "owner_email_verified_at"])
        made.append(organisation)
        return organisation

    yield make
    with django_db_blocker.unblock():
        for organisation in made:
            drop_organisation(Organisation.objects.get(pk=organisation.pk))


def log_in(page, base: str, organisation: Organisation, lang: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Adresse e-mail" if lang == "fr" else "E-mail address").fill(
        f"lead@{organisation.slug}.example")
    page.get_by_label("Mot de passe" if lang == "fr" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter" if lang == "fr" else "Log in").click()
    page.wait_for_url(f"{base}/")


def test_a_csr_manager_invites_a_whole_team_in_one_go(live_url, open_person, space,
                                                      django_db_blocker, worker):  # noqa: F811
    organisation = space("fr")
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        team = Team.objects.create(name="Logistique Lorient")
        for i, consent in enumerate([True, True, True, False]):
            Participant.objects.create(email=f"p{i}@{organisation.slug}.example",
                                       first_name=f"P{i}", team=team,
                                       consent_to_contact=consent)
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="desktop")
    log_in(page, base, organisation, "fr")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_role("button", name="Inviter en une fois").click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/invite-many/")
    read(page, "1366-fr-1-invite-many")
    page.get_by_role("radio", name="Une équipe").check()
    page.locator("select[name=team]").select_option(label="Logistique Lorient")
    page.locator("select[name=lever_code]").select_option(label="Défi entre équipes")
    page.get_by_label("Mode d’envoi").select_option(label="Par e-mail, au nom d’un manager")
    page.get_by_role("button", name="Voir combien seront invitées").click()
    preview = page.locator(".bulk-preview")
    assert "3 personnes seront invitées" in preview.inner_text()
    assert "1 n’a pas accepté d’être tenue au courant" in preview.inner_text()
    read(page, "1366-fr-2-preview")
    page.get_by_role("button", name="Envoyer 3 invitations").click()
    # The send's own page: the worker records the invitations, the page follows it.
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/invite-many/\d+/"))
    page.get_by_text("3 invitations enregistrées ; toutes partent dans l’heure.").wait_for(
        timeout=60_000)
    assert page.locator(".job-status").inner_text() == "Invitations enregistrées"
    read(page, "1366-fr-3-job")
    page.get_by_role("link", name="Voir les invitations envoyées en une fois").click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/"))
    sent = page.locator("#invitations")
    assert "Logistique Lorient" in sent.inner_text()
    assert "Défi entre équipes" in sent.inner_text() and "team_challenge" not in sent.inner_text()
    assert "Par e-mail, au nom d’un manager" in sent.inner_text()
    read(page, "1366-fr-4-sent")
    with django_db_blocker.unblock(), tenant_context(organisation):
        invitations = Invitation.objects.filter(campaign=campaign, batch__isnull=False)
        assert {(i.lever_code, i.channel) for i in invitations} == {("team_challenge",
                                                                      "manager")}
        assert invitations.count() == 3


SEND = {
    "en": {"status": "Recording the invitations", "counts": "12,000 / 20,000 people",
           "team": "A team", "lever": "Mobilisation deadline",
           "count": "See how many will be invited", "send": "Send 4 invitations",
           "done": "4 invitations recorded; all are sent this hour.",
           "recorded": "Invitations recorded"},
    "fr": {"status": "Enregistrement des invitations", "counts": "12 000 / 20 000 personnes",
           "team": "Une équipe", "lever": "Date limite de mobilisation",
           "count": "Voir combien seront invitées", "send": "Envoyer 4 invitations",
           "done": "4 invitations enregistrées ; toutes partent dans l’heure.",
           "recorded": "Invitations enregistrées"},
}


def spaced(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(("lang", "device"), [("en", "desktop"), ("fr", "phone")])
def test_a_manager_follows_a_large_send_then_sends_to_a_team(live_url, open_person, space,
                                                             django_db_blocker, worker,  # noqa: F811
                                                             lang, device):
    from engagement.models import BulkJob, InvitationBatch

    t = SEND[lang]
    organisation = space(lang)
    width = "1366" if device == "desktop" else "390"
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign = make_campaign()
        Campaign.objects.filter(pk=campaign.pk).update(title="Harbour clean-up")
        team = Team.objects.create(name="Warehouse night shift")
        for i in range(4):
            Participant.objects.create(email=f"w{i}@{organisation.slug}.example",
                                       first_name=f"W{i}", team=team, consent_to_contact=True)
        # A send another manager started, which the worker has not finished (none has it
        # in this run): its page shows where it is, whatever the timing.
        batch = InvitationBatch.objects.create(campaign=campaign, audience="all",
                                               channel="email", lever_code="deadline")
        running = BulkJob.objects.create(
            kind=BulkJob.Kind.INVITATIONS, status=BulkJob.Status.RUNNING, total=20_000,
            processed=12_000, options={"campaign": campaign.pk, "batch": batch.pk,
                                       "audience": "all", "after": 0})
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device=device)
    log_in(page, base, organisation, lang)
    page.goto(f"{base}/campaigns/{campaign.pk}/invite-many/{running.pk}/")
    assert page.locator(".job-status").inner_text() == t["status"]
    progress = page.locator("progress")
    assert progress.get_attribute("value") == "12000" and progress.get_attribute(
        "max") == "20000"
    assert t["counts"] in spaced(page.locator(".job-progress").inner_text())
    read(page, f"{width}-{lang}-1-send-progress")
    # Another campaign's address does not show this send (404, not a wrong page).
    with django_db_blocker.unblock(), tenant_context(organisation):
        other = make_campaign()
    assert page.goto(f"{base}/campaigns/{other.pk}/invite-many/{running.pk}/").status == 404

    page.goto(f"{base}/campaigns/{campaign.pk}/invite-many/")
    page.get_by_role("radio", name=t["team"]).check()
    page.locator("select[name=team]").select_option(label="Warehouse night shift")
    page.locator("select[name=lever_code]").select_option(label=t["lever"])
    page.get_by_role("button", name=t["count"]).click()
    page.get_by_role("button", name=t["send"]).click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/invite-many/\d+/"))
    # The worker records them; the page follows it, then shows how the e-mails go out.
    page.locator("p.ok").wait_for(timeout=60_000)
    assert spaced(page.locator("p.ok").inner_text()) == spaced(t["done"])
    assert page.locator(".job-status").inner_text() == t["recorded"]
    read(page, f"{width}-{lang}-2-send-done")
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Invitation.objects.filter(campaign=campaign, participant__team=team
                                         ).count() == 4


def test_an_employee_finds_the_internal_campaigns_on_a_phone(live_url, open_person, space,
                                                            django_db_blocker):
    organisation = space("en")
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        Campaign.objects.filter(pk=campaign.pk).update(title="Warehouse food drive")
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="en", device="phone")
    page.goto(f"{base}/internal/")
    read(page, "390-en-1-address")
    email = f"sam@{organisation.slug}.example"
    page.get_by_label("Your work e-mail address").fill(email)
    page.get_by_role("button", name="Send me my link").click()
    page.wait_for_url(f"{base}/internal/")
    assert page.get_by_text("If this address belongs to one of the organisation's "
                            "domains").is_visible()
    read(page, "390-en-2-asked")
    with django_db_blocker.unblock(), tenant_context(organisation):
        body = OutboundEmail.objects.get(to_email=email).body
    with django_db_blocker.unblock(), tenant_context(organisation):
        # Asking wrote nothing about the person: the link proves the address.
        assert not Participant.objects.filter(email=email).exists()
    link = re.search(r"https?://\S+/internal/link/\S+/", body).group(0)
    page.goto(link.replace(link.split("/internal/link/")[0], base))
    page.wait_for_url(re.compile(r"/me/[^/]+/internal/$"))
    read(page, "390-en-3-campaigns")
    page.get_by_role("button", name="See and join: Warehouse food drive").click()
    page.wait_for_url(re.compile(rf"/c/{campaign.code}/"))
    read(page, "390-en-4-campaign")
    page.locator("input[name=slots]").first.check()
    page.get_by_label("First name", exact=True).fill("Sam")
    page.get_by_role("button", name="Give my time").click()
    page.wait_for_url(re.compile(r"/me/"))
    read(page, "390-en-5-joined")
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Pledge.objects.filter(participant__email=email,
                                     slot__campaign=campaign).exists()


def test_an_organiser_registers_a_walk_in_on_a_phone(live_url, open_person, space,
                                                     django_db_blocker):
    organisation = space("fr")
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign = make_campaign(capacity=10, starts_in=timedelta(minutes=30),
                                 deadline_in=timedelta(minutes=20))
        person = Participant.objects.create(email=f"ana@{organisation.slug}.example",
                                            first_name="Ana", last_name="Martin")
        pledge_create(slot=campaign.slots.get(), participant=person)
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="fr", device="phone")
    log_in(page, base, organisation, "fr")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_text("Quelqu’un est venu sans inscription ?").click()
    read(page, "390-fr-walk-in-1-form")
    form = page.locator("#walk-in")
    form.get_by_label("Prénom").fill("Yanis")
    form.get_by_label("Nom", exact=True).fill("Le Goff")
    # Consent is asked, never ticked for them: the answer is required.
    answers = form.locator("input[name=consent_to_contact]")
    assert answers.count() == 2 and form.locator(
        "input[name=consent_to_contact]:checked").count() == 0
    assert answers.first.get_attribute("required") is not None
    form.get_by_label("Oui, elle est d’accord").check()
    read(page, "390-fr-walk-in-2-filled", "#walk-in")
    page.get_by_role("button", name="Enregistrer et pointer").click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/"))
    assert page.get_by_text("Yanis Le Goff est enregistré·e et pointé·e.").is_visible()
    assert "Yanis" in page.locator("#pledge-list").inner_text()
    read(page, "390-fr-walk-in-3-done", "#pledges")
    # The other pages of reaching everyone fit a phone too.
    for path, name in (("invite-many", "invite-many"), ("postpone", "postpone"),
                       ("walk-ins", "walk-in-page")):
        page.goto(f"{base}/campaigns/{campaign.pk}/{path}/")
        read(page, f"390-fr-{name}")
    with django_db_blocker.unblock(), tenant_context(organisation):
        pledge = Pledge.objects.get(walk_in=True)
        assert (pledge.attendance, pledge.participant.source) == ("attended", "walk_in")
        assert pledge.participant.consent_to_contact is True


def test_a_manager_postpones_a_campaign_and_relaunches_another(live_url, open_person, space,
                                                                django_db_blocker):
    organisation = space("en")
    with django_db_blocker.unblock(), tenant_context(organisation):
        campaign, other = (make_campaign(target=10, starts_in=timedelta(days=2),
                                         deadline_in=timedelta(days=1)) for _ in range(2))
        Campaign.objects.filter(pk=other.pk).update(title="Park planting")
        for i in range(2):
            person = Participant.objects.create(email=f"p{i}@{organisation.slug}.example",
                                                first_name=f"P{i}")
            for each in (campaign, other):
                pledge_create(slot=each.slots.get(), participant=person)
        for each in (campaign, other):
            campaign_close(campaign=each, now=each.mobilisation_deadline)
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang="en", device="desktop")
    log_in(page, base, organisation, "en")
    page.goto(f"{base}/campaigns/{campaign.pk}/")
    read(page, "1366-en-postpone-1-failed")
    page.get_by_role("button", name="Postpone").click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/postpone/")
    read(page, "1366-en-postpone-2-form")
    new_start = timezone.localtime(timezone.now() + timedelta(days=21))
    page.get_by_label("New start").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("New mobilisation deadline").fill(
        (new_start - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Postpone and tell people").click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
    assert page.get_by_text("2 people with a pledge are being told").is_visible()
    history = page.locator("#history").inner_text()
    assert "Postponed" in history and "2 people told" in history
    read(page, "1366-en-postpone-3-done", "#history")
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert CampaignEvent.objects.get(campaign=campaign).kind == "postponed"
        assert Campaign.objects.get(pk=campaign.pk).status == "open"

    # The other campaign is relaunched on new dates: a new campaign, its people invited.
    page.goto(f"{base}/campaigns/{other.pk}/")
    page.get_by_role("button", name="Relaunch on new dates").click()
    page.wait_for_url(f"{base}/campaigns/{other.pk}/relaunch/")
    read(page, "1366-en-relaunch-1-form")
    later = new_start + timedelta(days=7)
    page.get_by_label("New start").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("New mobilisation deadline").fill(
        (later - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Participant target").fill("8")
    page.get_by_role("button", name="Relaunch and invite").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    assert page.url != f"{base}/campaigns/{other.pk}/"
    assert page.get_by_text("The new campaign is open").is_visible()
    assert page.get_by_text("This campaign relaunches an earlier one").is_visible()
    read(page, "1366-en-relaunch-2-new")
    page.get_by_role("link", name=re.compile("Park planting")).first.click()
    assert page.get_by_text("This campaign was relaunched").is_visible()
    read(page, "1366-en-relaunch-3-old", "#history")
    with django_db_blocker.unblock(), tenant_context(organisation):
        new = Campaign.objects.get(pk=other.pk).relaunched_as
        assert (new.status, new.participant_target) == ("open", 8)
        assert Invitation.objects.filter(campaign=new).count() == 2
