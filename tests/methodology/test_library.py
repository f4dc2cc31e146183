"""The shipped library, versioning, validation and snapshot isolation."""

import copy
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import ProgrammeStep
from engagement.services import (
    programme_apply_version,
    programme_create_from_template,
    programme_newer_version,
    step_due_at,
    step_set_status,
)
from methodology import document
from methodology.diff import diff_documents
from methodology.models import Step, Template, TemplateVersion
from methodology.selectors import latest_published, version_document, versions_with_content
from methodology.services import (
    draft_create,
    draft_update,
    library_load,
    template_create,
    version_publish,
)

from ..conftest import tenant_client

LIBRARY = sorted(p.stem for p in (document.LIBRARY_DIR / "templates").glob("*.yaml"))


def test_the_library_has_eight_complete_templates_from_the_field():
    assert len(LIBRARY) >= 8
    assert {"chalet-building", "supply-collection", "one-day-rally", "beach-clean-up",
            "plastic-bag-awareness", "municipal-greening", "road-safety-prevention",
            "values-day"} <= set(LIBRARY)
    for slug in LIBRARY:
        doc = document.load_yaml((document.LIBRARY_DIR / "templates" / f"{slug}.yaml")
                                 .read_text(encoding="utf-8"))
        assert len(doc["levers"]) >= 3, slug
        assert set(doc["messages"]) == set(document.MESSAGE_KINDS), slug
        text = str(doc).lower()
        assert "lorem" not in text and "todo" not in text, slug


@pytest.mark.parametrize("slug", LIBRARY)
@pytest.mark.django_db
def test_every_template_is_published_and_instantiates_in_both_languages(slug, org_a, owner_a):
    version = latest_published(Template.objects.get(slug=slug))
    assert version is not None
    assert not document.validate(version_document(version),
                                 document.library_catalogue())
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=version, name=f"P {slug}", starts_on=date(2027, 3, 1),
            action_date=date(2027, 5, 15), ends_on=date(2027, 9, 30))
        template_steps = Step.objects.filter(phase__version=version).count()
        assert programme.steps.count() == template_steps
        assert programme.messages.count() == 6
        assert programme.levers.count() >= 3
        first = programme.steps.order_by("position").first()
    client = tenant_client(org_a, owner_a)
    for language, field in (("fr", first.title_fr), ("en", first.title_en)):
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        page = client.get(f"/programmes/{programme.pk}/").content.decode()
        assert field in page.replace("&#x27;", "'").replace("&quot;", '"'), (language, field)


@pytest.mark.django_db
def test_loading_is_idempotent_and_reports_what_changed():
    report = library_load()
    assert not report.created and not report.updated
    assert len(report.unchanged) == len(LIBRARY) + len(
        document.load_yaml((document.LIBRARY_DIR / "catalogue.yaml").read_text())["levers"]
    ) + len(document.load_yaml((document.LIBRARY_DIR / "catalogue.yaml").read_text())
            ["indicators"])


@pytest.mark.django_db
def test_a_bad_library_file_loads_nothing(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "catalogue.yaml").write_text(
        (document.LIBRARY_DIR / "catalogue.yaml").read_text())
    good = (document.LIBRARY_DIR / "templates" / "values-day.yaml").read_text()
    (tmp_path / "templates" / "a-good.yaml").write_text(
        good.replace("slug: values-day", "slug: brand-new-template"))
    (tmp_path / "templates" / "b-bad.yaml").write_text(
        good.replace("slug: values-day", "slug: broken-one").replace(
            "code: beneficiaries_helped", "code: smiles_counted"))
    with pytest.raises(DomainError) as excinfo:
        library_load(directory=tmp_path)
    assert any(key.startswith("b-bad.yaml: indicators[") for key in excinfo.value.errors)
    assert "“smiles_counted” is not in the impact indicator catalogue." in str(
        excinfo.value.errors)
    assert not Template.objects.filter(slug__in=["brand-new-template", "broken-one"]).exists()


def _doc(slug="test-template"):
    doc = version_document(latest_published(Template.objects.get(slug="values-day")))
    doc = copy.deepcopy(doc)
    doc["slug"] = slug
    return doc


@pytest.mark.django_db
def test_published_versions_are_immutable_in_the_database():
    version = latest_published(Template.objects.get(slug="values-day"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TemplateVersion.objects.filter(pk=version.pk).update(title_en="Changed")
    step = Step.objects.filter(phase__version=version).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.filter(pk=step.pk).update(guidance_fr="Changé")
    with pytest.raises(IntegrityError), transaction.atomic():
        step.delete()
    with pytest.raises(DomainError):
        draft_update(version=version, doc=version_document(version))


@pytest.mark.django_db
def test_editing_a_published_version_makes_a_new_draft(consultant):
    template = Template.objects.get(slug="beach-clean-up")
    v1 = latest_published(template)
    draft = draft_create(template=template, user=consultant)
    assert (draft.number, draft.status, draft.based_on) == (v1.number + 1, "draft", v1)
    assert draft_create(template=template) == draft  # one draft at a time
    doc = version_document(draft)
    doc["title"]["en"] = "Family beach clean-up, revised"
    assert not draft_update(version=draft, doc=doc)
    v1.refresh_from_db()
    assert v1.title_en == "Family beach clean-up"
    version_publish(version=draft, user=consultant)
    assert latest_published(template).title_en == "Family beach clean-up, revised"
    changes = diff_documents(version_document(v1), version_document(draft))
    assert [(c.section, c.field) for c in changes] == [("template", "title")]


@pytest.mark.parametrize("mutate,path,message", [
    (lambda d: d["phases"][0]["steps"][0]["title"].update(en=""),
     "phases[0].steps[0].title.en", "Missing English translation."),
    (lambda d: d["messages"]["invitation"]["body"].update(fr="Bonjour {prenom} !"),
     "messages.invitation.body.fr", "Unknown placeholder(s): {prenom}"),
    (lambda d: d["phases"][1]["steps"][0].update(due_offset_days=-400),
     "phases[1].steps[0].due_offset_days", "Steps are out of order"),
    (lambda d: d["phases"].reverse(), "phases[1].code", "Phases are out of order"),
    (lambda d: d.update(levers=d["levers"][:2]), "levers", "at least 3 levers"),
])
@pytest.mark.django_db
def test_publication_refuses_incomplete_versions_naming_the_field(mutate, path, message):
    doc = _doc()
    mutate(doc)
    draft = template_create(doc=doc)  # an incomplete draft may be saved…
    with pytest.raises(DomainError) as excinfo:  # …but not published
        version_publish(version=draft)
    assert path in excinfo.value.errors, excinfo.value.errors
    assert message in " ".join(excinfo.value.errors[path])
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.django_db
def test_unknown_indicator_or_lever_cannot_even_be_saved():
    doc = _doc()
    doc["indicators"][0]["code"] = "smiles_counted"
    doc["levers"][0]["code"] = "bribery"
    with pytest.raises(DomainError) as excinfo:
        template_create(doc=doc)
    assert "indicators[0].code" in excinfo.value.errors
    assert "levers[0].code" in excinfo.value.errors
    assert not Template.objects.filter(slug="test-template").exists()


@pytest.mark.django_db
def test_instantiation_refuses_bad_dates_and_unpublished_versions(org_a):
    published = latest_published(Template.objects.get(slug="values-day"))
    draft = draft_create(template=published.template)
    with tenant_context(org_a):
        with pytest.raises(DomainError) as excinfo:
            programme_create_from_template(version=published, name="Backwards",
                                           starts_on=date(2027, 5, 1),
                                           action_date=date(2027, 5, 1),
                                           ends_on=date(2027, 4, 1))
        assert list(excinfo.value.errors) == ["ends_on"]
        with pytest.raises(DomainError) as excinfo:
            programme_create_from_template(version=published, name="Outside",
                                           starts_on=date(2027, 5, 1),
                                           action_date=date(2027, 8, 1),
                                           ends_on=date(2027, 6, 1))
        assert list(excinfo.value.errors) == ["action_date"]
        with pytest.raises(DomainError) as excinfo:
            programme_create_from_template(version=draft, name="Draft",
                                           starts_on=date(2027, 5, 1),
                                           action_date=date(2027, 5, 1),
                                           ends_on=date(2027, 6, 1))
        assert "version" in excinfo.value.errors


def test_due_dates_keep_local_time_across_daylight_saving_changes():
    # Paris moves to summer time on 28 March 2027 and back on 31 October 2027.
    spring = date(2027, 4, 10)
    assert step_due_at(action_date=spring, offset_days=0, time_zone="Europe/Paris"
                       ).astimezone(UTC) == datetime(2027, 4, 10, 7, 0, tzinfo=UTC)
    three_weeks_before = step_due_at(action_date=spring, offset_days=-21,
                                     time_zone="Europe/Paris")
    assert three_weeks_before.astimezone(UTC) == datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
    assert (three_weeks_before.hour, three_weeks_before.minute) == (9, 0)
    autumn = step_due_at(action_date=date(2027, 10, 25), offset_days=14,
                         time_zone="Europe/Paris")
    assert autumn.astimezone(UTC) == datetime(2027, 11, 8, 8, 0, tzinfo=UTC)
    # The same day in another organisation's time zone.
    assert step_due_at(action_date=spring, offset_days=0, time_zone="America/Montreal"
                       ).astimezone(UTC) == datetime(2027, 4, 10, 13, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_programme_keeps_its_snapshot_and_can_apply_a_newer_version(org_a, consultant):
    template = Template.objects.get(slug="municipal-greening")
    v1 = latest_published(template)
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=v1, name="Green", starts_on=date(2027, 1, 10),
            action_date=date(2027, 3, 20), ends_on=date(2027, 7, 1))
        steps = list(programme.steps.order_by("position"))
        done, todo = steps[0], steps[1]
        step_set_status(step=done, status=ProgrammeStep.Status.DONE)
        original_todo_guidance = todo.guidance_en

    draft = draft_create(template=template, user=consultant)
    doc = version_document(draft)
    doc["phases"][0]["steps"][0]["guidance"]["en"] += " Changed first step."
    doc["phases"][0]["steps"][1]["guidance"]["en"] += " Changed second step."
    doc["phases"][0]["steps"].append({
        "key": "brand-new-step", "title": {"fr": "Nouvelle étape", "en": "New step"},
        "guidance": {"fr": "Faire ceci.", "en": "Do this."}, "owner_role": "partners",
        "due_offset_days": doc["phases"][0]["steps"][-1]["due_offset_days"]})
    draft_update(version=draft, doc=doc)
    v2 = version_publish(version=draft, user=consultant)

    with tenant_context(org_a):
        todo.refresh_from_db()
        assert todo.guidance_en == original_todo_guidance  # the snapshot did not move
        assert programme_newer_version(programme) == v2
        counts = programme_apply_version(programme=programme, version=v2)
        assert counts["added"] == 1
        done.refresh_from_db()
        todo.refresh_from_db()
        assert not done.guidance_en.endswith("Changed first step.")  # done: kept
        assert todo.guidance_en.endswith("Changed second step.")  # not done: updated
        assert programme.steps.filter(key="brand-new-step").exists()
        programme.refresh_from_db()
        assert programme.template_version == v2
        assert programme_newer_version(programme) is None


@pytest.mark.django_db
def test_versions_with_content_avoids_n_plus_one():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = latest_published(Template.objects.get(slug="values-day"))
    with CaptureQueriesContext(connection) as queries:
        version_document(versions_with_content().get(pk=version.pk))
    # One query per table, however many phases and steps (django-tenants adds a
    # "SET search_path" before some of them; those are not counted).
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 7


def test_format_doc_lists_every_placeholder():
    text = Path(document.__file__).resolve().parent.parent.joinpath(
        "docs", "methodology-format.md").read_text()
    assert all(f"`{name}`" in text for name in document.PLACEHOLDERS)


@pytest.mark.django_db
def test_survey_and_indicators_are_snapshotted(org_a):
    version = latest_published(Template.objects.get(slug="road-safety-prevention"))
    with translation.override("fr"), tenant_context(org_a):
        programme = programme_create_from_template(
            version=version, name="Route", starts_on=date(2027, 9, 1),
            action_date=date(2027, 10, 15), ends_on=date(2028, 1, 31))
        assert programme.survey_questions.filter(moment="follow_up").exists()
        assert programme.indicators.filter(code="people_trained").exists()
        assert programme.participant_target == version.default_participant_target


@pytest.mark.django_db
def test_malformed_documents_are_refused_not_crashed():
    doc = _doc()
    doc["phases"][0]["steps"][0]["key"] = ["not", "a", "string"]
    doc["levers"][0]["code"] = ["list"]
    doc["indicators"][0]["code"] = {"a": 1}
    doc["survey"]["bogus"] = [{"kind": "zzz", "text": {"fr": "x", "en": "x"}}]
    with pytest.raises(DomainError) as excinfo:
        template_create(doc=doc)
    assert {"phases[0].steps[0].key", "levers[0].code", "indicators[0].code",
            "survey.bogus"} <= set(excinfo.value.errors)
