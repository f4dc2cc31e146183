"""An owner on a desktop (1,366 px), in English and in French: opens the personal data
register from the menu and reads what the space holds, for how long (the organisation's
own periods), who sees it and who processes it; follows the link to close the
organisation, types its address, sees the read-only banner with the closing date, and
cancels from the banner: the space is open again."""

import os
import uuid

import pytest
from django.utils import timezone

from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")

T = {
    "en": {
        "email": "E-mail address", "password": "Password", "log_in": "Log in", "more": "More",
        "register": "Personal data register", "held": "What the space holds",
        "kept": "20 months after the person's last action, then anonymised",
        "subprocessor": "Stripe Payments Europe Ltd", "close": "Close the organisation",
        "confirm": "Type the address of your space to confirm",
        "banner": "This organisation closes on", "cancel": "Cancel the closure",
        "cancelled": "The closure is cancelled",
    },
    "fr": {
        "email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
        "more": "Plus", "register": "Registre des données personnelles",
        "held": "Ce que l’espace conserve",
        "kept": "20 mois après la dernière action de la personne, puis anonymisées",
        "subprocessor": "Stripe Payments Europe Ltd", "close": "Fermer l’organisation",
        "confirm": "Tapez l’adresse de votre espace pour confirmer",
        "banner": "Cette organisation ferme le", "cancel": "Annuler la fermeture",
        "cancelled": "La fermeture est annulée",
    },
}


@pytest.fixture
def space(django_db_blocker, request):
    lang = request.node.callspec.params["lang"]
    slug = f"register-{lang}-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name="Mairie de Vannes" if lang == "fr" else "Harbour Logistics", slug=slug,
            owner_email=f"owner@{slug}.example", owner_password=PASSWORD,
            owner_name="Olivia Owner", locale=lang, status=Organisation.Status.ACTIVE,
            verify_owner_email=True)
        Organisation.objects.filter(pk=organisation.pk).update(
            participant_retention_months=20, owner_email_verified_at=timezone.now())
    yield organisation
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def read(page, lang: str, name: str) -> None:
    check_page(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/register-{lang}-{name}.png", full_page=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_owner_reads_the_register_and_closes_then_cancels(live_url, open_person, space,
                                                         django_db_blocker, lang):
    t = T[lang]
    base = tenant_url(live_url, space.slug)
    page = open_person(lang=lang, device="desktop")
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"owner@{space.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")

    nav = page.get_by_role("navigation").first
    entry = nav.get_by_role("link", name=t["register"], exact=True)
    if not entry.is_visible():
        nav.get_by_text(t["more"], exact=True).click()
    entry.click()
    page.wait_for_url(f"{base}/privacy/register/")
    read(page, lang, "1-register")
    main = page.locator("main")
    assert page.get_by_role("heading", level=1).inner_text().strip() == t["register"]
    text = main.inner_text()
    assert t["held"] in text and t["kept"] in text and t["subprocessor"] in text

    main.get_by_role("link", name=t["close"], exact=True).click()
    page.wait_for_url(f"{base}/settings/closure/")
    read(page, lang, "2-closure")
    page.get_by_label(t["confirm"]).fill(space.slug)
    main.get_by_role("button", name=t["close"]).click()
    page.wait_for_url(f"{base}/settings/closure/")
    read(page, lang, "3-closing")
    banner = page.locator(".banner", has_text=t["banner"])
    assert banner.is_visible()
    with django_db_blocker.unblock():
        assert Organisation.objects.get(pk=space.pk).closure_requested_at is not None

    banner.get_by_role("button", name=t["cancel"]).click()
    page.wait_for_url(f"{base}/settings/closure/")
    read(page, lang, "4-cancelled")
    assert t["cancelled"] in main.inner_text()
    assert page.locator(".banner", has_text=t["banner"]).count() == 0
    with django_db_blocker.unblock():
        assert Organisation.objects.get(pk=space.pk).closure_requested_at is None
