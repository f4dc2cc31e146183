"""The levers page counts invitations by the same rule as every other figure, and names
levers and channels in the reader's language."""

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from engagement.models import Invitation, Participant, Pledge

from ..conftest import tenant_client
from ..factories import make_campaign


def _set_up(org):
    with tenant_context(org):
        campaign = make_campaign(capacity=50, target=20)
        slot = campaign.slots.get()
        ana = Participant.objects.create(email="ana@example.org", first_name="Ana")
        # A personal link nobody shared yet: offered, not sent.
        Invitation.objects.create(campaign=campaign, inviter=ana, channel="link_share",
                                  lever_code="personal_invitation")
        # Two links that were shared (opened), one of which brought a pledge.
        shared = Invitation.objects.create(campaign=campaign, inviter=ana,
                                           channel="link_share", lever_code="social_proof",
                                           open_count=1, first_opened_at=timezone.now())
        Invitation.objects.create(campaign=campaign, inviter=ana, channel="link_share",
                                  lever_code="social_proof", open_count=2,
                                  first_opened_at=timezone.now())
        ben = Participant.objects.create(email="ben@example.org", first_name="Ben")
        Pledge.objects.create(slot=slot, participant=ben, invitation=shared,
                              status=Pledge.Status.CONFIRMED)


@pytest.mark.django_db
@pytest.mark.parametrize("lang, channel, lever, rate", [
    ("en", "Shared link", "Social proof", "50%"),
    ("fr", "Lien partagé", "Preuve sociale", "50\u00a0%"),
])
def test_levers_page_counts_sent_invitations_and_names_them(org_a, owner_a, lang, channel,
                                                            lever, rate):
    _set_up(org_a)
    page = tenant_client(org_a, owner_a).get("/levers/", HTTP_ACCEPT_LANGUAGE=lang)
    html = page.content.decode()
    assert page.status_code == 200
    assert "link_share" not in html and "social_proof" not in html
    assert f"<td>{channel}</td>" in html and f"<td>{lever}</td>" in html
    # Two sent, one pledged: 50 %; the unshared personal link is no row at all.
    assert f"<td>{rate}</td>" in html
    assert html.count(f"<td>{channel}</td>") == 1
