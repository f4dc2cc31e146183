"""The demo's behaviour change shows realistic returns: on the organisation's dashboard
(the last twelve months) and on the programme's, a share of people came back within 90
days, neither nobody nor everybody."""

from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import tenant_context

from demo import behaviour as behaviour_demo
from engagement.services import programme_create_from_template
from methodology.models import Template
from methodology.selectors import latest_published
from methodology.services import library_load
from reports.behaviour import period_behaviour, programme_behaviour
from reports.metrics import default_period

from ..factories import ParticipantFactory


@pytest.mark.django_db
def test_the_demo_shows_people_coming_back(org_a):
    library_load()
    version = latest_published(Template.objects.get(slug="beach-clean-up"))
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=version, name="Berges", starts_on=date(2025, 1, 1),
            action_date=date(2025, 3, 1), ends_on=date(2027, 6, 1))
        ParticipantFactory.create_batch(120)
        behaviour_demo.seed(company=True)
        for figures in (period_behaviour(*default_period())["returning"],
                        programme_behaviour(programme)["returning"]):
            window = figures["windows"]["90"]
            assert window["enough"], figures
            assert 0.15 <= window["share"] <= 0.5, figures
        year = programme_behaviour(programme)["returning"]["windows"]["365"]
        assert year["enough"] and year["returned"] > 0
