"""The employees' address and its e-mail in French, for an organisation whose name starts
with a vowel: the sentences are written so that they need no elision ("de Acme")."""

import re

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from engagement.models import OutboundEmail
from engagement.services.internal_access import internal_link_send
from tenants.models import Organisation

from ..conftest import tenant_client
from .test_participant_pages import text_of

NO_ELISION = re.compile(r"\b(de|que|le|la) Acme\b")


@pytest.fixture
def acme(org_a):
    cache.clear()
    Organisation.objects.filter(pk=org_a.pk).update(
        name="Acme Industries", allowed_email_domains=["testco.test"])
    org_a.refresh_from_db()
    return org_a


@pytest.mark.django_db
def test_the_internal_page_and_its_e_mail_read_well_in_french(acme):
    text = text_of(tenant_client(acme).get("/internal/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Acme Industries : les actions proposées à ses équipes" in text
    assert not NO_ELISION.search(text)
    with tenant_context(acme):
        assert internal_link_send(email="ana@testco.test", language="fr") is True
        sent = OutboundEmail.objects.get(kind="internal_campaigns_link")
    assert sent.subject == "Campagnes internes chez Acme Industries"
    assert "les actions préparées pour les équipes chez Acme Industries" in sent.body
    assert not NO_ELISION.search(sent.subject + sent.body)
