"""What an organiser reads about a programme and a campaign's impact: units in their
language, message placeholders as words, counts without decimals."""

from decimal import Decimal
from html import unescape

import pytest
from django_tenants.utils import tenant_context

from engagement.models import (
    ImpactRecord,
    ProgrammeIndicator,
    ProgrammeLever,
    ProgrammeMessage,
)

from ..conftest import tenant_client
from ..factories import make_campaign


@pytest.mark.django_db
@pytest.mark.parametrize("lang, counted, unit, placeholder", [
    ("en", "102 people", "(people, SDG 1)", "[the campaign's title]"),
    ("fr", "102\u00a0personnes", "(personnes, ODD 1)", "[le titre de la campagne]"),
])
def test_units_and_placeholders_read_as_words(org_a, owner_a, lang, counted, unit,
                                              placeholder):
    with tenant_context(org_a):
        campaign = make_campaign()
        programme = campaign.programme
        indicator = ProgrammeIndicator.objects.create(
            programme=programme, code="people_helped", position=1, unit="people",
            label_fr="Bénéficiaires aidés", label_en="People helped", sdg=1)
        ImpactRecord.objects.create(campaign=campaign, indicator=indicator,
                                    value=Decimal("102.00"))
        ProgrammeLever.objects.create(programme=programme, code="social_proof", position=1,
                                      name_fr="Preuve sociale", name_en="Social proof")
        ProgrammeMessage.objects.create(
            programme=programme, kind="invitation", subject_fr="Venez : « {campaign_title} »",
            subject_en="Join “{campaign_title}”", body_fr="Bonjour {nope}", body_en="Hi {nope}")
    client = tenant_client(org_a, owner_a)
    detail = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert counted in detail.content.decode() and "102,00" not in detail.content.decode()
    page = client.get(f"/programmes/{programme.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    html = page.content.decode()
    assert unit in html
    assert placeholder in unescape(html) and "{campaign_title}" not in html
    assert "{nope}" in html  # an unknown name is left as written, escaped
