"""The snowball per campaign: who brought whom is read from the invitation each person's
pledge came through, campaign by campaign, on pledges and on attendance; the campaign's
tree page and its ranking of recruiters add up to the same figures as the metrics."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Invitation, Participant, Pledge
from reports import metrics
from reports.metrics import campaign_metrics, programme_metrics
from reports.snowball import campaign_referrals

from ..conftest import tenant_client
from ..factories import ProgrammeFactory, make_campaign_with_slot, make_pledge

ATTENDED, NO_SHOW = Pledge.Attendance.ATTENDED, Pledge.Attendance.NO_SHOW


def _link(campaign, inviter: Participant) -> Invitation:
    return Invitation.objects.create(campaign=campaign, inviter=inviter,
                                     channel="link_share", lever_code="personal_invitation")


def _person(name: str, **fields) -> Participant:
    return Participant.objects.create(email=f"{name}@example.test",
                                      first_name=name.capitalize(), **fields)


@pytest.mark.django_db
def test_a_returning_person_brought_by_someone_new_is_in_that_campaigns_tree(org_a):
    """Rita came to C1 on her own; Noé, new in C2, brought her to C2. The old global tree
    (``referred_by``) left her out of C2's tree: she was never "referred" by anyone."""
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="P", participant_target=50)
        c1, slot1 = make_campaign_with_slot(programme, days=-20, hours=2)
        c2, slot2 = make_campaign_with_slot(programme, days=-2, hours=2)
        rita, noe, lea = _person("rita"), _person("noe"), _person("lea")
        make_pledge(slot1, rita, attendance=ATTENDED, hours=2)
        make_pledge(slot2, noe, attendance=ATTENDED, hours=2)
        make_pledge(slot2, rita, attendance=ATTENDED, hours=2, invitation=_link(c2, noe))
        make_pledge(slot2, lea, attendance=NO_SHOW, invitation=_link(c2, rita))
        assert rita.referred_by is None
        second, first, both = campaign_metrics(c2), campaign_metrics(c1), \
            programme_metrics(programme)
        together = metrics.campaigns_metrics([c1.pk, c2.pk])
        referrals = campaign_referrals(c2)
    assert second["snowball"] | {"viral_coefficient": 0} == {
        "generations": 2, "largest_tree": 3, "viral_coefficient": 0,
        "brought_pledged": 2, "brought_attended": 1}  # Noé → Rita → Léa; Rita attended
    assert first["snowball"]["brought_pledged"] == 0
    # Over the programme Rita's place is her first pledge (C1, on her own): Noé did not
    # bring her to the programme, so only Léa counts as brought.
    assert both["snowball"]["brought_pledged"] == 1
    assert together[c2.pk] == second and together[c1.pk] == first
    # The tree page and the ranking tell the same: Noé → Rita → Léa.
    (root,) = referrals.trees
    assert root.participant == noe and [c.participant for c in root.children] == [rita]
    assert [c.participant for c in root.children[0].children] == [lea]
    assert [(r.participant, r.brought_pledged, r.brought_attended)
            for r in referrals.recruiters] == [(noe, 1, 1), (rita, 1, 0)]
    assert (referrals.brought_pledged, referrals.brought_attended) == (2, 1)


@pytest.mark.django_db
def test_an_inviter_who_did_not_pledge_roots_the_tree_and_cancellations_make_no_cycle(org_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="P", participant_target=50)
        campaign, slot = make_campaign_with_slot(programme, days=5, hours=2,
                                                 status="open")
        sharer, friend = _person("sharer"), _person("friend")
        make_pledge(slot, friend, invitation=_link(campaign, sharer))  # sharer never pledged
        # A pledged, B came through A's link, A cancelled and came back through B's.
        a, b = _person("anna"), _person("ben")
        first = make_pledge(slot, a)
        make_pledge(slot, b, invitation=_link(campaign, a))
        first.status = Pledge.Status.CANCELLED
        first.save(update_fields=["status"])
        make_pledge(slot, a, invitation=_link(campaign, b))
        figures = campaign_metrics(campaign)["snowball"]
        referrals = campaign_referrals(campaign)
    # sharer → friend, and ben → anna (ben's entry is the earlier): never anna ⇄ ben.
    assert (figures["generations"], figures["largest_tree"], figures["brought_pledged"]) \
        == (1, 2, 2)
    assert {(t.participant.first_name, t.pledged, tuple(c.participant.first_name
                                                       for c in t.children))
            for t in referrals.trees} == {("Sharer", False, ("Friend",)),
                                          ("Ben", True, ("Anna",))}


@pytest.mark.django_db
def test_snowball_page_shows_names_to_managers_and_masks_them_for_viewers(
        org_a, manager_a, viewer_a, owner_b):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="P", participant_target=50)
        campaign, slot = make_campaign_with_slot(programme, days=-2, hours=2)
        host = _person("hostess", last_name="Durand")
        guest = _person("guest", last_name="Martin", consent_to_contact=True)
        make_pledge(slot, host, attendance=ATTENDED, hours=2)
        make_pledge(slot, guest, attendance=ATTENDED, hours=2,
                    invitation=_link(campaign, host))
    url = f"/dashboard/campaigns/{campaign.pk}/snowball/"
    page = tenant_client(org_a, manager_a).get(url).content.decode()
    assert "Hostess Durand" in page and "Guest Martin" in page
    assert 'class="referral-tree"' in page
    viewer = tenant_client(org_a, viewer_a).get(url).content.decode()
    # A viewer sees the person who agreed to be contacted, not the other one.
    assert "Guest Martin" in viewer and "Durand" not in viewer
    assert f"Participant {host.pk}" in viewer
    assert tenant_client(org_a, owner_b).get(url).status_code == 404
    french = tenant_client(org_a, manager_a).get(
        url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Recruteurs" in french
