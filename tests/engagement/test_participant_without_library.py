"""A participant's pages without the methodology library (a deployment that skipped the
release step): no personal invitation link, the pages still work, and the cause is logged."""

import logging

import pytest
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import Invitation, Participant
from methodology.models import Lever

from ..conftest import tenant_client
from ..factories import make_campaign
from .test_participant_pages import join, text_of


def _without_personal_lever() -> None:
    # Steps of the library's templates refer to levers (PROTECT): the lever leaves the
    # catalogue under its code instead, which is what the pages look up.
    Lever.objects.filter(code="personal_invitation").update(code="personal-invitation-gone")


@pytest.mark.django_db
def test_pages_degrade_without_the_personal_invitation_lever(org_a, caplog):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20)
    _without_personal_lever()
    client = tenant_client(org_a)
    with caplog.at_level(logging.ERROR, logger="engagement.services.joining"):
        joined = join(client, campaign, "ana@example.org")
        assert joined.status_code == 302
        # The campaign page right after the join (the session knows the person).
        page = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert "?i=" not in page.content.decode()
        with tenant_context(org_a):
            token = links.participant_token(Participant.objects.get(email="ana@example.org"))
        home = tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert home.status_code == 200
    body = home.content.decode()
    assert campaign.title in text_of(home)
    assert "?i=" not in body  # no personal link to share
    with tenant_context(org_a):
        assert not Invitation.objects.exists()  # nothing half-written
    errors = [r for r in caplog.records if r.levelno == logging.ERROR
              and "personal_invitation" in r.getMessage()]
    assert errors, "the missing lever catalogue is not logged"
    assert "load_methodology" in errors[0].getMessage()


@pytest.mark.django_db
def test_pages_show_the_personal_link_with_the_library(org_a):
    """The same path with the catalogue loaded: the link is there (the test above can fail)."""
    with tenant_context(org_a):
        campaign = make_campaign(capacity=20)
    client = tenant_client(org_a)
    join(client, campaign, "ana@example.org")
    with tenant_context(org_a):
        token = links.participant_token(Participant.objects.get(email="ana@example.org"))
    home = tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    with tenant_context(org_a):
        code = Invitation.objects.get(inviter__email="ana@example.org").code
    assert f"?i={code}" in home.content.decode()
