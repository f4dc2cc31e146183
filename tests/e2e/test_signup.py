"""A visitor signs up on the public site and lands, logged in, on the new space."""

import re
import uuid

import pytest

from tenants.models import Organisation

from ..conftest import PASSWORD, drop_organisation

pytestmark = pytest.mark.browser


@pytest.fixture
def new_slug(django_db_blocker):
    """A fresh address; the organisation made under it is dropped after the browser closes."""
    slug = f"browser-{uuid.uuid4().hex[:8]}"
    yield slug
    with django_db_blocker.unblock():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation:
            drop_organisation(organisation)


def test_sign_up_lands_logged_in_on_the_tenant_home(new_slug, live_url, page):
    slug = new_slug
    page.goto(f"{live_url}/")
    page.get_by_role("button", name="Start a free 30-day trial").click()
    page.get_by_label("Organisation name").fill("Browser Bakery")
    page.get_by_label("Address").fill(slug)
    page.get_by_label("Kind").select_option("company")
    page.get_by_label("Language").select_option("en")
    page.get_by_label("Your name").fill("Bea Baker")
    page.get_by_label("Your work e-mail").fill(f"bea@{slug}.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my space").click()

    page.wait_for_url(re.compile(rf"^http://{slug}\.localhost:\d+/$"))
    assert page.get_by_role("heading", name="Browser Bakery").is_visible()
    assert page.get_by_text("Your role: Owner").is_visible()
    # Logged in: the members page lists the new owner.
    page.locator("header summary", has_text="More").click()  # Members is under "More"
    page.get_by_role("link", name="Members").click()
    assert page.get_by_role("cell", name=f"bea@{slug}.example").is_visible()
    # The language switcher turns the space French.
    page.get_by_role("button", name="FR").click()
    assert page.get_by_role("heading", name="Membres").is_visible()


def test_sign_up_error_is_shown_next_to_the_field(live_url, page):
    page.goto(f"{live_url}/signup/")
    page.get_by_label("Organisation name").fill("Reserved")
    page.get_by_label("Address").fill("admin")
    page.get_by_label("Kind").select_option("company")
    page.get_by_label("Your name").fill("R")
    page.get_by_label("Your work e-mail").fill("r@reserved.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create my space").click()
    assert page.get_by_text("“admin” is reserved; choose another address.").is_visible()
    assert page.get_by_label("Organisation name").input_value() == "Reserved"
