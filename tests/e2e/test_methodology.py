"""A manager picks a methodology template, starts a programme and ticks its checklist."""

import re

import pytest
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement.models import Programme
from tenants.models import Membership, Organisation, User

from ..conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(django_db_blocker):
    with django_db_blocker.unblock():
        organisation = Organisation.objects.get(slug="testco")
        user = User.objects.create_user(email="e2e-manager@testco.test", password=PASSWORD)
        Membership.objects.create(user=user, organisation=organisation, role=Role.MANAGER)
    yield user
    with django_db_blocker.unblock():
        with tenant_context(organisation):
            Programme.objects.filter(name="Green streets 2027").delete()
        user.delete()


def test_manager_starts_a_programme_from_a_template(manager, live_url, page):
    tenant = live_url.replace("//localhost", "//testco.localhost")
    page.goto(f"{tenant}/methodology/")
    page.get_by_label("E-mail address").fill(manager.email)  # redirected to the login page
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/methodology/$"))

    # Filtering swaps the cards in place (HTMX) and keeps the address shareable.
    page.get_by_label("Audience").select_option("citizens")
    page.wait_for_url(re.compile(r"audience=citizens"))
    assert page.get_by_text("Family beach clean-up").count() == 0
    page.get_by_role("link", name=re.compile("green", re.I)).first.click()

    page.get_by_label("Programme name in English", exact=True).fill("Green streets 2027")
    page.get_by_label("Start date").fill("2027-01-04")
    page.get_by_label("Action date").fill("2027-03-20")
    page.get_by_label("End date").fill("2027-06-30")
    page.get_by_role("button", name="Create the programme").click()
    page.wait_for_url(re.compile(r"/programmes/\d+/$"))
    assert page.get_by_role("heading", name="Green streets 2027").is_visible()
    assert page.get_by_role("heading", name="Checklist").is_visible()

    # Ticking a step saves it without reloading the page.
    with page.expect_response(lambda r: "/steps/" in r.url and r.status == 200) as answer:
        page.get_by_label("Status").first.select_option("done")
    assert answer.value.request.headers.get("hx-request") == "true"
    page.reload()  # saved on the server
    assert page.get_by_label("Status").first.input_value() == "done"
