"""The set-up page, as a manager opens it: the power calculation of the pre-filled values
is there before anything is typed, its counts written the French way; a refused form
starts with a summary of the fields to correct, each a link to its field."""

import re

import pytest
from django_tenants.utils import tenant_context

from engagement.models import Team

from ..conftest import tenant_client
from ..factories import ParticipantFactory, make_campaign


@pytest.fixture
def campaign(org_a, eager):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=5000, target=50)
        team = Team.objects.create(name="Compta")
        for i in range(30):
            ParticipantFactory(team=team, consent_to_contact=True, email=f"s{i}@exp.example")
        yield campaign


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_power_panel_is_computed_on_opening_with_french_counts(org_a, manager_a, campaign):
    client = tenant_client(org_a, manager_a)
    client.cookies["django_language"] = "fr"
    response = client.get(f"/experiments/new/{campaign.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    power = _text(html[html.index('id="power"'):html.index("</section>", html.index('id="power"'))])
    # Usual rate 20 %, 5 points to detect: over a thousand people per variant, grouped.
    assert re.search(r"\b\d \d{3} personnes nécessaires par variante", power), power
    assert "30 personnes peuvent recevoir cette vague" in power
    assert "Remplissez les taux" not in power


def test_a_refused_form_starts_with_the_fields_to_correct_linked(org_a, manager_a, campaign):
    client = tenant_client(org_a, manager_a)
    response = client.post(f"/experiments/new/{campaign.pk}/", {
        "save": "1", "title": "", "hypothesis": "H", "wave": "invitation", "metric": "pledged",
        "unit": "person", "baseline_rate": "150", "minimum_effect": "5",
        "holdout_share": "5", "icc": "0.05", "alpha": "0.05", "power": "0.8", "days": "14",
        "variant_0_name": "Usual", "variant_1_name": "New"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index('class="error-summary"')
    summary = html[start:html.index("<form", start)]
    assert '<a href="#id_title">' in summary
    assert '<a href="#id_baseline_rate">' in summary
    assert "2 fields to correct" in summary
    # The fields keep their own messages beside them.
    assert 'id="id_baseline_rate_errors"' in html[html.index("<form", start):]
