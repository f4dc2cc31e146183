"""Lever experiments, pages and API: set-up with its power calculation before launch,
errors naming the field, launch once, results in the reader's language, exports without
e-mail addresses; viewers read, outsiders get 404."""

from decimal import Decimal

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from engagement.models import Channel, Team
from lab.experiments.models import Assignment, Experiment
from lab.experiments.results import experiment_look_store
from lab.experiments.services import ExperimentSpec, VariantSpec, experiment_save

from ..conftest import make_member, tenant_client
from ..factories import ParticipantFactory, PledgeFactory, make_campaign


@pytest.fixture
def campaign(org_a, eager):
    with tenant_context(org_a):
        campaign = make_campaign(capacity=500, target=50)
        team = Team.objects.create(name="Compta")
        for i in range(60):
            ParticipantFactory(team=team, consent_to_contact=True, email=f"p{i}@exp.example",
                               site="Lyon")
        yield campaign


def form_data(**changes):
    data = {"title": "Manager's word", "hypothesis": "The manager's word helps.",
            "wave": "invitation", "metric": "pledged", "unit": "person",
            "baseline_rate": "20", "minimum_effect": "30", "holdout_share": "5",
            "icc": "0.05", "alpha": "0.05", "power": "0.8", "days": "14",
            "variant_0_name": "Usual", "variant_0_lever_code": "social_proof",
            "variant_0_channel": "email",
            "variant_1_name": "Manager", "variant_1_lever_code": "leader_example",
            "variant_1_channel": "manager", "variant_1_subject_fr": "Votre manager",
            "variant_1_body_fr": "Venez : {link}"}
    return data | changes


def test_setup_shows_the_power_calculation_then_saves_and_launches_once(
        org_a, manager_a, campaign):
    client = tenant_client(org_a, manager_a)
    url = f"/experiments/new/{campaign.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200 and "Calculer" in page.content.decode()
    calc = client.post(url, form_data(calculate="1"))
    text = calc.content.decode()
    assert "people needed per variant" in text and "60 people can receive" in text
    partial = client.post(url, form_data(), HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<section id="power"')
    small = client.post(url, form_data(minimum_effect="2", calculate="1"))
    assert "The audience is too small" in small.content.decode()
    bad = client.post(url, form_data(baseline_rate="0", variant_1_lever_code="", save="1"))
    assert bad.status_code == 400
    body = bad.content.decode()
    assert 'id="id_baseline_rate_errors"' in body and 'id="id_variant_1_lever_code_errors"' in body
    saved = client.post(url, form_data(save="1"))
    with tenant_context(org_a):
        experiment = Experiment.objects.get(campaign=campaign)
    assert saved.status_code == 302 and saved["Location"] == f"/experiments/{experiment.pk}/"
    detail = client.get(saved["Location"]).content.decode()
    assert "Launch the experiment" in detail and "Power calculation" in detail
    for _click in range(2):
        client.post(f"/experiments/{experiment.pk}/launch/")
    with tenant_context(org_a):
        assert Assignment.objects.filter(experiment=experiment).count() == 60
        experiment.refresh_from_db()
        assert experiment.status == "running"


def _people_csv_in_memory(experiment) -> str:
    """The per-person CSV as it was built before it was streamed (every row fetched, then
    written into one text): the streamed export must give the same bytes."""
    import csv
    import io

    from django.db import connection

    from lab.experiments.export import CSV_COLUMNS
    from lab.experiments.person_sql import PERSON_SQL
    from lab.experiments.verdict import holdout_name

    with connection.cursor() as cursor:
        cursor.execute(PERSON_SQL + " ORDER BY a.participant_id",
                       {"experiment_id": experiment.pk})
        columns = [c.name for c in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows((r["participant_id"], r["unit_key"],
                      holdout_name() if r["is_holdout"] else r["variant"],
                      int(r["is_holdout"]), int(r["is_control"]), r["hash_value"],
                      r["assigned_at"].isoformat(), int(r["pledged"]), int(r["attended"]),
                      int(r["success"]), int(r["unsubscribed"]), int(r["complained"]))
                     for r in rows)
    return out.getvalue()


def test_results_page_and_exports_in_both_languages(org_a, manager_a, viewer_a, campaign):
    with tenant_context(org_a):
        experiment = experiment_save(campaign=campaign, spec=ExperimentSpec(
            title="Wording", hypothesis="Shorter is better.", holdout_share=Decimal(0),
            variants=[VariantSpec(name="Usual", lever_code="social_proof",
                                  channel=Channel.EMAIL),
                      VariantSpec(name="Short", lever_code="social_proof",
                                  channel=Channel.EMAIL, body_en="Come: {link}")]),
            user=manager_a)
        tenant_client(org_a, manager_a).post(f"/experiments/{experiment.pk}/launch/")
        slot = campaign.slots.get()
        for n, row in enumerate(Assignment.objects.filter(experiment=experiment)
                                .select_related("variant").order_by("pk")):
            if row.variant.name == "Short" or n % 4 == 0:
                PledgeFactory(slot=slot, participant_id=row.participant_id)
        experiment_look_store(experiment_id=experiment.pk)
    viewer = tenant_client(org_a, viewer_a)
    english = viewer.get(f"/experiments/{experiment.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = english.content.decode()
    assert english.status_code == 200 and "Short raised sign-ups by" in text
    assert "enough evidence" in text or "not enough evidence yet" in text
    assert "people.csv" not in text  # exports are for managers
    assert viewer.get(f"/experiments/{experiment.pk}/people.csv").status_code == 404
    manager = tenant_client(org_a, manager_a)
    french = manager.get(f"/experiments/{experiment.pk}/",
                         HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Short a augmenté les inscriptions de" in french
    streamed = manager.get(f"/experiments/{experiment.pk}/people.csv")
    assert streamed.streaming  # rows read from a server-side cursor as it is written
    csv_text = b"".join(streamed.streaming_content).decode()
    with tenant_context(org_a), translation.override("en"):
        assert csv_text == _people_csv_in_memory(experiment)  # the same bytes as before
    assert csv_text.splitlines()[0].startswith("participant_id,unit,variant,holdout")
    assert len(csv_text.splitlines()) == 61 and "@exp.example" not in csv_text
    sql = manager.get(f"/experiments/{experiment.pk}/result.sql").content.decode()
    assert f"\\set experiment_id {experiment.pk}" in sql and "sha256" in sql


def test_api_lists_previews_creates_launches_and_answers_results(org_a, manager_a, viewer_a,
                                                                 campaign):
    client = tenant_client(org_a, manager_a)
    payload = {"campaign": campaign.pk, "title": "API", "hypothesis": "H",
               "baseline_rate": "0.2", "minimum_effect": "0.3",
               "variants": [{"name": "A", "lever_code": "social_proof", "channel": "email"},
                            {"name": "B", "lever_code": "leader_example",
                             "channel": "manager"}]}
    power = client.post("/api/v1/experiments/power-preview/", payload,
                        content_type="application/json")
    assert power.status_code == 200 and power.json()["audience"] == 60
    bad = client.post("/api/v1/experiments/", payload | {"variants": payload["variants"][:1]},
                      content_type="application/json")
    assert bad.status_code == 400 and "variants" in bad.json()["errors"]
    created = client.post("/api/v1/experiments/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.post(f"/api/v1/experiments/{pk}/launch/").json()["status"] == "running"
    viewer = tenant_client(org_a, viewer_a)
    assert viewer.get("/api/v1/experiments/").json()["results"][0]["id"] == pk
    assert viewer.get(f"/api/v1/experiments/{pk}/results/").json()["verdict"] == "not_yet"
    assert viewer.get(f"/api/v1/experiments/{pk}/export/").status_code == 404
    assert viewer.post(f"/api/v1/experiments/{pk}/launch/").status_code in (403, 404)
    export = client.get(f"/api/v1/experiments/{pk}/export/").json()
    assert export["csv"].count("\n") == 61


def test_outsiders_get_404(org_a, org_b, owner_b, manager_a, campaign):
    with tenant_context(org_a):
        experiment = experiment_save(campaign=campaign, spec=ExperimentSpec(
            title="T", hypothesis="H", variants=[
                VariantSpec(name="A", lever_code="social_proof", channel="email"),
                VariantSpec(name="B", lever_code="social_proof", channel="email")]),
            user=manager_a)
    outsider = tenant_client(org_a, owner_b)
    for url in (f"/experiments/{experiment.pk}/", "/experiments/",
                f"/experiments/new/{campaign.pk}/", f"/api/v1/experiments/{experiment.pk}/"):
        assert outsider.get(url).status_code == 404, url
    # The other organisation's space does not know this experiment.
    assert tenant_client(org_b, owner_b).get(
        f"/experiments/{experiment.pk}/").status_code == 404
    viewer = tenant_client(org_a, make_member(org_a, "viewer", "v2@example.test"))
    assert viewer.get(f"/experiments/new/{campaign.pk}/").status_code == 404


def test_the_holdout_is_named_in_the_readers_language_in_the_list_of_variants(
        org_a, manager_a, campaign):
    with tenant_context(org_a), translation.override("en"):
        experiment = experiment_save(campaign=campaign, spec=ExperimentSpec(
            title="Wording", hypothesis="Shorter is better.", holdout_share=Decimal("0.05"),
            variants=[VariantSpec(name="Usual", lever_code="social_proof",
                                  channel=Channel.EMAIL),
                      VariantSpec(name="Short", lever_code="social_proof",
                                  channel=Channel.EMAIL, body_en="Come: {link}")]),
            user=manager_a)
    french = tenant_client(org_a, manager_a).get(
        f"/experiments/{experiment.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Holdout (no message)" not in french
    assert "Groupe témoin (aucun message)" in french


def test_people_csv_is_written_in_the_requesters_language_after_the_view_returned(
        org_a, manager_a, campaign):
    with tenant_context(org_a):
        experiment = experiment_save(campaign=campaign, spec=ExperimentSpec(
            title="Holdout", hypothesis="H", holdout_share=Decimal("0.3"),
            variants=[VariantSpec(name="Usual", lever_code="social_proof",
                                  channel=Channel.EMAIL),
                      VariantSpec(name="Short", lever_code="social_proof",
                                  channel=Channel.EMAIL, body_en="Come: {link}")]),
            user=manager_a)
    manager = tenant_client(org_a, manager_a)
    manager.post(f"/experiments/{experiment.pk}/launch/")
    response = manager.get(f"/experiments/{experiment.pk}/people.csv",
                           HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # The lines are written once the view has returned, whatever language the thread has
    # by then (here English): the requester's language is kept for the holdout's name.
    with translation.override("en"):
        text = b"".join(response.streaming_content).decode("utf-8")
    assert "Groupe témoin (aucun message)" in text
    assert "Holdout (no message)" not in text
