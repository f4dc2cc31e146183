"""Survey measures in methodology templates: the library's templates ship pairs, a
programme snapshots them, and a version whose measures do not pair cannot be published."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.services import programme_create_from_template
from methodology import document
from methodology.models import Template
from methodology.selectors import latest_published, version_document
from methodology.services import template_create, version_publish


def _doc():
    doc = copy.deepcopy(version_document(latest_published(Template.objects.get(
        slug="values-day"))))
    doc["slug"] = "paired-test"
    return doc


@pytest.mark.django_db
def test_every_library_template_has_a_scale_and_a_yes_no_pair():
    for template in Template.objects.all():
        doc = version_document(latest_published(template))
        pairs = {moment: {q["measure"]: q["kind"] for q in doc["survey"][moment]
                          if q.get("measure")} for moment in document.SURVEY_MOMENTS}
        assert pairs["after_action"] == pairs["follow_up"], template.slug
        assert sorted(pairs["follow_up"].values()) == ["scale", "yes_no"], template.slug


@pytest.mark.django_db
def test_a_programme_snapshots_the_measures(org_a):
    version = latest_published(Template.objects.get(slug="beach-clean-up"))
    with tenant_context(org_a):
        programme = programme_create_from_template(
            version=version, name="Plage", starts_on=date(2027, 1, 1),
            action_date=date(2027, 3, 1), ends_on=date(2027, 6, 1))
        measured = set(programme.survey_questions.exclude(measure="")
                       .values_list("moment", "measure", "kind"))
    assert measured == {(moment, measure, kind) for moment in ("after_action", "follow_up")
                        for measure, kind in (("volunteering-intent", "scale"),
                                              ("other-action", "yes_no"))}


@pytest.mark.parametrize("mutate,path,message", [
    (lambda d: d["survey"]["follow_up"][0].update(measure="kept-pledge"),
     "survey.follow_up", "asked at one moment only"),
    (lambda d: [q.update(kind="yes_no") for q in d["survey"]["follow_up"]
                if q.get("measure") == "volunteering-intent"],
     "survey.follow_up", "same kind of question at both moments"),
    (lambda d: [q.update(kind="text") for q in d["survey"]["after_action"]
                if q.get("measure") == "other-action"],
     "survey.after_action[4].measure", "cannot be compared"),
])
@pytest.mark.django_db
def test_unpaired_measures_cannot_be_published(mutate, path, message):
    doc = _doc()
    mutate(doc)
    draft = template_create(doc=doc)  # a draft may be saved…
    with pytest.raises(DomainError) as excinfo:  # …but not published
        version_publish(version=draft)
    assert path in excinfo.value.errors, excinfo.value.errors
    assert message in " ".join(excinfo.value.errors[path])


@pytest.mark.django_db
def test_a_malformed_measure_cannot_even_be_saved():
    doc = _doc()
    doc["survey"]["after_action"][0]["measure"] = "Not A Slug"
    with pytest.raises(DomainError) as excinfo:
        template_create(doc=doc)
    assert "survey.after_action[0].measure" in excinfo.value.errors
