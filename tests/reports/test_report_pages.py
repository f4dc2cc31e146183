"""The reports page as a manager reads and uses it: the request form, in both languages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from reports.models import Report

from ..conftest import tenant_client
from ..factories import ProgrammeFactory, make_campaign_with_slot


def _radios(page: str, name: str) -> list[str]:
    return re.findall(rf'<input type="radio" name="{name}" value="([^"]+)"', page)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_report_is_requested_from_the_page(org_a, owner_a, lang,
                                             django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="Green Lyon", participant_target=50)
        campaign, _slot = make_campaign_with_slot(programme, days=-3, hours=2)
    client = tenant_client(org_a, owner_a)
    page = client.get("/reports/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    # One radio button per subject, each labelled once, one of them chosen already.
    assert _radios(page, "scope") == ["campaign", "programme", "period"]
    assert re.search(r'<input type="radio" name="scope" value="programme"[^>]*checked', page)
    label = "Programme" if lang == "en" else "Programme"
    assert page.count(f"> {label}</label>") == 1
    # Date inputs carry ISO values that a browser can show.
    values = re.findall(r'<input type="date" name="period_(?:start|end)" value="([^"]*)"', page)
    assert len(values) == 2 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/reports/", {"scope": "programme",
                                              "programme": programme.pk, "language": lang},
                               HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 302, response.content.decode()[:3000]
        client.post("/reports/", {"scope": "campaign", "campaign": campaign.pk,
                                  "language": lang})
        start = timezone.localdate() - timedelta(days=30)
        client.post("/reports/", {"scope": "period", "period_start": start.isoformat(),
                                  "period_end": timezone.localdate().isoformat(), "language": lang})
    with tenant_context(org_a):
        assert sorted(Report.objects.values_list("scope", flat=True)) == [
            "campaign", "period", "programme"]
    listed = client.get("/reports/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert "Green Lyon" in listed


@pytest.mark.django_db
def test_a_request_without_its_subject_says_what_is_missing(org_a, owner_a):
    response = tenant_client(org_a, owner_a).post(
        "/reports/", {"scope": "programme", "language": "en"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose a programme." in response.content.decode()
