"""A city lead with a long organisation name on a laptop (1,366 px) and a phone (390 px),
in French and English: the header shows the whole name and roomy buttons; the participants
list's filter bar keeps each help text under its own field, and no column is cut."""

import os
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import EmailDeliverability, Participant
from tenants.models import Organisation
from tenants.services import organisation_provision
from tests.conftest import PASSWORD, drop_organisation
from tests.e2e.journey import check_page, tenant_url

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("JOURNEY_SHOTS")
T = {"en": {"email": "E-mail address", "password": "Password", "log_in": "Log in",
            "search": "Search", "log_out": "Log out"},
     "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "log_in": "Se connecter",
            "search": "Rechercher", "log_out": "Se déconnecter"}}
NAME = "Ville de Villeneuve-sur-Lot"


@pytest.fixture
def city(django_db_blocker):
    slug = f"layout-{uuid.uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        organisation = organisation_provision(
            name=NAME, slug=slug, owner_email=f"owner@{slug}.example",
            owner_password=PASSWORD, owner_name="Olivia Owner", locale="fr",
            status=Organisation.Status.ACTIVE)
        with tenant_context(organisation):
            Participant.objects.create(email=f"ana@{slug}.example", first_name="Ana",
                                       last_name="Lopez", source=Participant.Source.INVITATION)
            # An undeliverable address: its mark and "Clear the mark" widen the e-mail column.
            EmailDeliverability.objects.create(
                email=f"ana@{slug}.example", undeliverable_since=timezone.now(),
                reason=EmailDeliverability.Reason.HARD_BOUNCE)
    yield organisation
    with django_db_blocker.unblock():
        drop_organisation(Organisation.objects.get(pk=organisation.pk))


def _no_overlap(page, first: str, second: str) -> None:
    a, b = page.locator(first).bounding_box(), page.locator(second).bounding_box()
    assert a and b
    assert a["y"] + a["height"] <= b["y"] + 1 or b["y"] + b["height"] <= a["y"] + 1 or \
        a["x"] + a["width"] <= b["x"] + 1 or b["x"] + b["width"] <= a["x"] + 1


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_long_name_and_the_participants_filters_fit(live_url, open_person, city, lang, device):
    t = T[lang]
    base = tenant_url(live_url, city.slug)
    page = open_person(lang=lang, device=device)
    page.goto(f"{base}/")
    page.get_by_label(t["email"]).fill(f"owner@{city.slug}.example")
    page.get_by_label(t["password"]).fill(PASSWORD)
    page.get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{base}/")
    brand = page.locator(".site-nav .brand span")
    # The whole name is shown, not cut with an ellipsis.
    assert brand.evaluate("e => e.scrollHeight <= e.clientHeight + 1 && "
                          "e.scrollWidth <= e.clientWidth + 1")
    if device == "desktop":
        logout = page.locator(".nav-account button").last
        assert logout.is_visible()
        padding = logout.evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)")
        assert padding >= 8
        assert logout.evaluate("e => e.scrollWidth <= e.clientWidth")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/layout-{device}-{lang}-home.png")
    page.goto(f"{base}/participants/")
    check_page(page)
    search = page.locator("form.filters input[name='q']")
    help_text = page.locator("form.filters label:has(input[name='q']) small")
    if help_text.count():
        _no_overlap(page, "form.filters input[name='q']",
                    "form.filters label:has(input[name='q']) small")
    assert search.is_visible()
    source = page.locator("table.scrolls tbody tr").first.locator("td").last
    if device == "desktop":
        assert source.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        box = source.bounding_box()
        assert box and box["x"] + box["width"] <= 1366
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/layout-{device}-{lang}-participants.png", full_page=True)
