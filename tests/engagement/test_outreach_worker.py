"""A bulk invitation on a real worker: the request only writes the invitations; the worker
composes each e-mail in the organisation's schema and the outbox delivers it to the mail
server, each person once."""

import threading

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Campaign, InvitationBatch, OutboundEmail, Participant, Team
from engagement.services.outreach import bulk_audience, invitations_bulk_send
from tenants.models import Organisation, User

from ..conftest import wait_for
from ..factories import ParticipantFactory, make_campaign
from ..reliability.servers import SMTPServer
from .test_tasks import smtp_port, worker  # noqa: F401 (fixtures: a worker and its mail port)


@pytest.fixture
def team_to_invite(committed):
    organisation = Organisation.objects.get(slug="testco")
    with tenant_context(organisation):
        campaign = make_campaign(visibility=Campaign.Visibility.INTERNAL)
        team = Team.objects.create(name="Worker team")
        for n in range(4):
            ParticipantFactory(email=f"worker-invite{n}@bulk.example", team=team,
                               consent_to_contact=True, language="en")
    yield organisation, campaign, team
    with tenant_context(organisation):
        programme = campaign.programme
        InvitationBatch.objects.filter(campaign=campaign).delete()
        campaign.delete()
        programme.delete()
        Participant.objects.filter(email__endswith="@bulk.example").delete()
        team.delete()


@pytest.mark.worker
def test_a_bulk_invitation_is_composed_and_sent_by_the_worker(team_to_invite, worker,  # noqa: F811
                                                              smtp_port):  # noqa: F811
    organisation, campaign, team = team_to_invite
    server = SMTPServer(smtp_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tenant_context(organisation):
            batch = invitations_bulk_send(
                campaign=campaign, audience=bulk_audience(kind="team", team_id=team.pk),
                lever_code="team_challenge", channel="manager",
                organiser=User.objects.get(email="owner@testco.test"))
            assert batch.invited == 4

        def sent() -> bool:
            with tenant_context(organisation):
                return OutboundEmail.objects.filter(
                    campaign=campaign, kind="invitation", status="sent").count() == 4
        assert wait_for(sent, 60), worker.read_text()
        delivered = {m["To"]: m for m in server.messages}
        assert sorted(delivered) == [f"worker-invite{n}@bulk.example" for n in range(4)]
        body = delivered["worker-invite0@bulk.example"].get_payload()
        text = body if isinstance(body, str) else str(body[0].get_payload(decode=True))
        assert "testco.localhost" in text and "/go/" in text
    finally:
        server.shutdown()
        server.server_close()
