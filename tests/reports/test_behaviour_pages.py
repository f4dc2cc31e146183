"""Behaviour change on the programme and period dashboards, in the metrics API and in the
PDF report: one set of figures (dashboard = API = PDF), in French and English, hidden
from other organisations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from core.formatting import number, percent
from engagement.models import Invitation, OutboundEmail
from reports.behaviour import plural_counter
from reports.services import report_request
from reports.templatetags.behaviour import minus

from ..conftest import tenant_client
from ..factories import ParticipantFactory
from .test_behaviour import INTENT, NOW, OTHER, _answer, _attend, _campaign, _programme
from .test_pdf import media, rendered  # noqa: F401 (the fixture is used by name)


def _data():
    programme, questions = _programme()
    campaign = _campaign(programme, days_ago=120)
    later = _campaign(programme, days_ago=60)
    inviter = ParticipantFactory()
    for n, ((before, after), (yes_before, yes_after)) in enumerate(zip(INTENT, OTHER,
                                                                       strict=True)):
        person = ParticipantFactory()
        invitation = Invitation.objects.create(campaign=campaign, channel="email",
                                               lever_code="personal_invitation",
                                               inviter=inviter)
        _attend(campaign, person, invitation=invitation)
        if n < 3:
            _attend(later, person)
        _answer(person, campaign, questions["after_action", "intent"], str(before))
        _answer(person, campaign, questions["follow_up", "intent"], str(after))
        _answer(person, campaign, questions["after_action", "other"], yes_before)
        _answer(person, campaign, questions["follow_up", "other"], yes_after)
        for kind in ("thank_you", "follow_up_survey"):
            OutboundEmail.objects.create(participant=person, campaign=campaign, kind=kind,
                                         dedupe_key=f"{kind}:{person.pk}",
                                         to_email=person.email, status="sent")
    return programme


def _expected(figures: dict, language: str) -> list[str]:
    """What a reader finds, written from the API's figures with the page's formats."""
    intent = {m["measure"]: m for m in figures["measures"]}["volunteering-intent"]
    other = {m["measure"]: m for m in figures["measures"]}["other-action"]
    returning = figures["returning"]["windows"]["90"]
    with translation.override(language):
        if language == "en":
            return [
                "Behaviour change",
                f"Average change per person: {number(intent['change'], 2)} "
                f"{'point' if plural_counter(intent['change'], 'en') == 1 else 'points'} "
                f"(95 % confidence interval {minus(number(intent['change_low'], 2))} to "
                f"{minus(number(intent['change_high'], 2))}).",
                f"Answered yes: {percent(other['yes_before'])} right after the action, "
                f"{percent(other['yes_after'])} 90 days later",
                f"McNemar test, p = {number(other['p_value'], 3)}",
                f"{percent(returning['share'])} ({returning['returned']}/"
                f"{returning['measurable']})",
                "Personal invitation",
            ]
        return [
            "Évolution des comportements",
            f"Variation moyenne par personne : {number(intent['change'], 2)} point",
            f"intervalle de confiance à 95 %\u00a0: {minus(number(intent['change_low'], 2))} à "
            f"{minus(number(intent['change_high'], 2))}",
            f"test de McNemar, p = {number(other['p_value'], 3)}",
            f"{percent(returning['share'])} ({returning['returned']}/"
            f"{returning['measurable']})",
            "Invitation personnelle",
        ]


def _text(html: str) -> str:
    import html as html_module
    import re
    text = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html_module.unescape(text).split())


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_dashboard_api_and_pdf_show_the_same_figures(org_a, owner_a, manager_a, language):
    with tenant_context(org_a):
        programme = _data()
        start = (NOW - timedelta(days=200)).date().isoformat()
        end = NOW.date().isoformat()
        report = report_request(scope="programme", programme=programme, language=language,
                                user=owner_a)
        pdf = rendered(report)
    client = tenant_client(org_a, manager_a)
    api = client.get(f"/api/v1/metrics/behaviour/programmes/{programme.pk}/").json()
    period_api = client.get(f"/api/v1/metrics/behaviour/period/?start={start}&end={end}"
                            ).json()
    assert api["measures"] == period_api["measures"]  # one programme in the period
    intent = {m["measure"]: m for m in api["measures"]}["volunteering-intent"]
    assert intent["pairs"] == 6 and intent["change"] == 1.0
    assert api["returning"]["windows"]["90"]["returned"] == 3
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    programme_page = _text(client.get(f"/dashboard/programmes/{programme.pk}/",
                                      **headers).content.decode())
    period_page = _text(client.get(f"/dashboard/?start={start}&end={end}",
                                   **headers).content.decode())
    for expected in _expected(api, language):
        expected = " ".join(expected.split())  # as the texts read: spaces collapsed
        assert expected in programme_page, expected
        assert expected in period_page, expected
        assert expected in pdf, expected
    assert "personal_invitation" not in programme_page and "volunteering-intent" not in pdf


@pytest.mark.django_db
def test_another_organisation_gets_404(org_a, org_b, owner_b):
    with tenant_context(org_a):
        programme = _data()
    client = tenant_client(org_b, owner_b)
    assert client.get(f"/api/v1/metrics/behaviour/programmes/{programme.pk}/"
                      ).status_code == 404
