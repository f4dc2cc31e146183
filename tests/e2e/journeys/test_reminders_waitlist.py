"""The waiting list on a phone: Cyd, second on the waiting list, reads her position on her
own page; a place frees up and is offered to Ben, first in line, who opens his page, reads
how long it is kept for him, confirms it, and is in; Cyd is now first. In English and
French, at 390 px (JOURNEY_SHOTS=/tmp/shots keeps a screenshot of every page read)."""

import os
import re

import pytest
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Participant, Pledge
from engagement.services import pledge_cancel, pledge_create
from tenants.models import Organisation
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
DOMAIN = "journey-waitlist.example"

T = {
    "en": {"position": "You are number {n} on the waiting list.",
           "offered": "A place has freed up for you", "kept": "It is kept for you until",
           "confirm": "Confirm my place", "confirmed": "Your place is confirmed.",
           "in": "You are in:"},
    "fr": {"position": "Vous êtes numéro {n} sur la liste d’attente.",
           "offered": "Une place s’est libérée pour vous",
           "kept": "Elle vous est réservée jusqu’au", "confirm": "Confirmer ma place",
           "confirmed": "Votre place est confirmée.", "in": "Vous participez\u00a0:"},
}


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/waitlist-390-{lang}-{name}.png", full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_waiting_person_sees_their_place_and_confirms_an_offered_seat_on_a_phone(
        live_url, open_person, committed_campaign, django_db_blocker, lang):
    t = T[lang]
    campaign = committed_campaign(capacity=1, target=3, email_domain=DOMAIN)
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
    with django_db_blocker.unblock(), tenant_context(organisation):
        slot = campaign.slots.get()
        people = {name: Participant.objects.create(
            email=f"{name}-{lang}@{DOMAIN}", first_name=name.title(), language=lang)
            for name in ("ana", "ben", "cyd")}
        ana = pledge_create(slot=slot, participant=people["ana"])
        pledge_create(slot=slot, participant=people["ben"])
        pledge_create(slot=slot, participant=people["cyd"])
        tokens = {name: links.participant_token(p) for name, p in people.items()}
    base = tenant_url(live_url, "testco")

    cyd = open_person(lang=lang, device="phone")
    cyd.goto(f"{base}/me/{tokens['cyd']}/")
    read(cyd, lang, "1-second-in-line")
    assert t["position"].format(n=2) in cyd.locator("main").inner_text()

    # Ana cancels: her place is offered to Ben, first in line.
    with django_db_blocker.unblock(), tenant_context(organisation):
        pledge_cancel(pledge=ana)
        assert Pledge.objects.get(participant=people["ben"]).status == "offered"

    ben = open_person(lang=lang, device="phone")
    ben.goto(f"{base}/me/{tokens['ben']}/")
    read(ben, lang, "2-offered")
    offer = ben.locator(".waitlist-offer")
    assert t["offered"] in offer.inner_text() and t["kept"] in offer.inner_text()
    offer.get_by_role("button", name=t["confirm"]).click()
    ben.wait_for_url(re.compile(r"/offer/$"))
    read(ben, lang, "3-offer-page")
    ben.get_by_role("button", name=t["confirm"]).click()
    ben.wait_for_url(re.compile(rf"/me/{re.escape(tokens['ben'])}/$"))
    read(ben, lang, "4-confirmed")
    main = ben.locator("main").inner_text()
    assert t["confirmed"] in main and t["in"] in main
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Pledge.objects.get(participant=people["ben"]).status == "confirmed"

    cyd.reload()
    read(cyd, lang, "5-first-in-line")
    assert t["position"].format(n=1) in cyd.locator("main").inner_text()


ORGANISER = {
    "en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
           "move": "Move…", "start": "New start", "end": "New end",
           "move_button": "Move this slot",
           "moved": "Time slot moved", "edit": "Edit", "freed": "Places freed by a cancellation",
           "promote": "Give them to the next person automatically", "save": "Save",
           "saved": "Campaign saved.", "alerts": "E-mail me these alerts",
           "muted": "You will no longer be e-mailed these alerts."},
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
           "move": "Déplacer…", "start": "Nouveau début", "end": "Nouvelle fin",
           "move_button": "Déplacer ce créneau",
           "moved": "Créneau déplacé", "edit": "Modifier",
           "freed": "Places libérées par une annulation",
           "promote": "Les attribuer d’office à la personne suivante", "save": "Enregistrer",
           "saved": "Campagne enregistrée.", "alerts": "M’envoyer ces alertes",
           "muted": "Vous ne recevrez plus ces alertes par e-mail."},
}


@pytest.fixture
def organiser_space(django_db_blocker, request):
    """A space in the organiser's language, with a campaign of two people pledged."""
    import uuid

    from tenants.services import organisation_provision
    from tests.conftest import PASSWORD, drop_organisation
    from tests.factories import make_campaign

    lang = request.node.callspec.params["lang"]
    slug = f"moves-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Ville de Brest" if lang == "fr" else "Brest Harbour Ltd", slug=slug,
            owner_email=f"lead@{slug}.example", owner_password=PASSWORD,
            owner_name="Léa Organiser", locale=lang, kind="company")
        with tenant_context(organisation):
            campaign = make_campaign(capacity=5, target=4)
            for name in ("ana", "ben"):
                pledge_create(slot=campaign.slots.get(), participant=Participant.objects.create(
                    email=f"{name}@{slug}.example", first_name=name.title()))
    yield organisation, campaign, PASSWORD
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_organiser_moves_a_slot_and_chooses_how_freed_places_go(
        live_url, open_person, organiser_space, django_db_blocker, lang):
    from django.utils import timezone

    from engagement.models import Campaign

    organisation, campaign, password = organiser_space
    t = ORGANISER[lang]
    base = tenant_url(live_url, organisation.slug)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"lead@{organisation.slug}.example")
    page.get_by_label(t["password"]).fill(password)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/campaigns/{campaign.pk}/")
    page.get_by_text(t["move"], exact=True).click()
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/organiser-1366-{lang}-move.png", full_page=True)
    start = page.get_by_label(t["start"])
    value = start.input_value()
    start.fill(value[:11] + "18:00")
    page.get_by_label(t["end"]).fill(value[:11] + "20:00")
    page.get_by_role("button", name=t["move_button"]).click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
    assert t["moved"] in page.locator("main").inner_text()
    with django_db_blocker.unblock(), tenant_context(organisation):
        slot = campaign.slots.get()
        # Moved, with a new SEQUENCE for its invitations (the e-mails leave from a worker).
        assert slot.sequence == 1 and timezone.localtime(slot.starts_at).hour == 18

    page.goto(f"{base}/campaigns/{campaign.pk}/edit/")
    page.get_by_label(t["promote"]).check()
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/organiser-1366-{lang}-form.png", full_page=True)
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(f"{base}/campaigns/{campaign.pk}/")
    with django_db_blocker.unblock(), tenant_context(organisation):
        assert Campaign.objects.get(pk=campaign.pk).freed_seats == "promote"

    phone = open_person(lang=lang, device="phone")
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/campaigns/{campaign.pk}/")
    phone.get_by_text(t["move"], exact=True).click()
    check_page(phone)
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/organiser-390-{lang}-move.png", full_page=True)

    # Alerts about campaigns: the member switches them off.
    phone.goto(f"{base}/alerts/")
    check_page(phone)
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/organiser-390-{lang}-alerts.png", full_page=True)
    phone.get_by_label(t["alerts"]).uncheck()
    phone.get_by_role("button", name=t["save"]).click()
    phone.wait_for_url(f"{base}/alerts/")
    assert t["muted"] in phone.locator("main").inner_text()
    assert not phone.get_by_label(t["alerts"]).is_checked()
