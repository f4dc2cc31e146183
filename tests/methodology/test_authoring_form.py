"""The structured editor of a template version, plain-words YAML errors, and the
confirmation before publishing (public site, consultants only)."""

import re

import pytest

from methodology import document
from methodology.forms import describe_path, yaml_path_at
from methodology.models import Template, TemplateVersion
from methodology.selectors import latest_published, version_document

from ..conftest import public_client

COLON_SENTENCE = "Objective: 80 people by Friday, then: celebrate"


def _form_data(doc: dict) -> dict:
    """The fields the editor posts for a document (names are the document paths)."""
    data: dict = {"sdgs": [str(n) for n in doc["sdgs"]]}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            if path == "sdgs":
                return
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif node is not None:
            data[path] = str(node)
    walk(doc, "")
    return data


def _library_doc(slug="values-day") -> dict:
    return version_document(latest_published(Template.objects.get(slug=slug)))


def _page(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_new_template_page_is_a_form_with_french_and_english_side_by_side(consultant):
    page = _page(public_client(consultant).get("/console/new/"))
    assert 'name="title.fr"' in page and 'name="title.en"' in page
    assert 'name="phases[0].steps[0].title.fr"' in page
    assert 'name="messages.invitation.body.en"' in page
    assert 'lang="fr"' in page and 'lang="en"' in page
    assert "<textarea id=\"document\"" not in page  # YAML is the advanced option
    assert "Advanced: edit as YAML" in page
    assert "<li>required</li>" not in page  # nothing is flagged before anything is typed
    yaml_page = _page(public_client(consultant).get("/console/new/?mode=yaml"))
    assert 'id="document"' in yaml_page


@pytest.mark.django_db
def test_a_sentence_with_a_colon_typed_in_the_form_just_works(consultant):
    client = public_client(consultant)
    doc = _library_doc()
    doc["slug"] = "colon-day"
    doc["title"] = {"fr": "Journée : nos valeurs", "en": "Day: our values"}
    doc["phases"][0]["steps"][0]["guidance"]["en"] = COLON_SENTENCE
    response = client.post("/console/new/", _form_data(doc))
    assert response.status_code == 302, _page(response)
    assert response["Location"] == "/console/colon-day/v1/edit/"
    version = TemplateVersion.objects.get(template__slug="colon-day")
    saved = version_document(version)
    assert saved["title"]["fr"] == "Journée : nos valeurs"
    assert saved["phases"][0]["steps"][0]["guidance"]["en"] == COLON_SENTENCE
    assert not document.validate(saved, document.library_catalogue())  # publishable
    # The edit page shows it back in its field.
    edit = _page(client.get("/console/colon-day/v1/edit/"))
    assert COLON_SENTENCE in edit


@pytest.mark.django_db
def test_the_same_sentence_in_yaml_is_explained_with_its_line_and_field(consultant):
    client = public_client(consultant)
    text = document.dump_yaml(_library_doc()).replace("slug: values-day", "slug: yaml-day")
    lines = text.splitlines()
    # The first step's English title, written unquoted with a colon in the middle.
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("en:")
                 and i > next(j for j, x in enumerate(lines) if "steps:" in x))
    indent = lines[index][:len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = f"{indent}en: {COLON_SENTENCE}"
    response = client.post("/console/new/", {"document": "\n".join(lines)})
    assert response.status_code == 400
    page = _page(response)
    assert "mapping values are not allowed here" not in page
    assert f"Line {index + 1}, Phase 1, step 1, English title" in page
    assert "colon followed by a space" in page and "double quotes" in page


def test_paths_are_named_in_words():
    assert describe_path("phases[1].steps[0].title.fr") == "Phase 2, step 1, French title"
    assert describe_path("messages.reminder_d7.body.en") == "Message “Reminder D-7”, English body"
    assert describe_path("levers[2].code") == "Lever 3, lever"
    text = ("slug: x\nphases:\n- code: frame\n  steps:\n  - key: a\n  - key: b\n"
            "    title:\n      en: x: y\n")
    assert yaml_path_at(text, 7) == "phases[0].steps[1].title.en"


@pytest.mark.django_db
def test_validation_errors_name_the_field_in_words(consultant):
    client = public_client(consultant)
    doc = _library_doc()
    doc["slug"] = "holes-day"
    doc["phases"][1]["steps"][0]["title"]["fr"] = ""
    response = client.post("/console/new/", _form_data(doc))
    assert response.status_code == 302  # a draft may have holes
    edit = _page(client.get("/console/holes-day/v1/edit/"))
    assert "Phase 2, step 1, French title</a>: required" in edit
    # A hard error (an invalid key) is not saved, and is named too.
    doc["slug"] = "bad-key-day"
    doc["phases"][0]["steps"][0]["key"] = "Not A Key"
    refused = client.post("/console/new/", _form_data(doc))
    assert refused.status_code == 400
    assert "Phase 1, step 1, key</a>: Use lower-case letters" in _page(refused)
    assert not Template.objects.filter(slug="bad-key-day").exists()


@pytest.mark.django_db
def test_form_adds_removes_and_reorders_steps_phases_levers_and_questions(consultant):
    client = public_client(consultant)
    doc = _library_doc()
    doc["slug"] = "shape-day"
    client.post("/console/new/", _form_data(doc))
    url = "/console/shape-day/v1/edit/"
    data = _form_data(doc)
    first, second = doc["phases"][0]["steps"][0], doc["phases"][0]["steps"][1]
    # Add a step: the page comes back with the new empty step, nothing saved yet.
    page = _page(client.post(url, {**data, "op": "add:phases[0].steps"}))
    n = len(doc["phases"][0]["steps"])
    assert f'name="phases[0].steps[{n}].title.fr"' in page
    assert "Not saved yet" in page
    # Move the second step up: its title is now the first one.
    page = _page(client.post(url, {**data, "op": "up:phases[0].steps[1]"}))
    assert page.index(second["title"]["en"]) < page.index(first["title"]["en"])
    # Remove a lever, add a survey question.
    lever_count = len(doc["levers"])
    page = _page(client.post(url, {**data, "op": "remove:levers[0]"}))
    assert f'name="levers[{lever_count - 1}].code"' not in page
    questions = len(doc["survey"]["follow_up"])
    page = _page(client.post(url, {**data, "op": "add:survey.follow_up"}))
    assert f'name="survey.follow_up[{questions}].text.en"' in page
    # Saving a reordered form stores the new order.
    reordered = _library_doc()
    reordered["slug"] = "shape-day"
    steps = reordered["phases"][0]["steps"]
    steps[0], steps[1] = steps[1], steps[0]
    steps[0]["due_offset_days"], steps[1]["due_offset_days"] = (
        steps[1]["due_offset_days"], steps[0]["due_offset_days"])
    assert client.post(url, {**_form_data(reordered), "save": "1"}).status_code == 200
    saved = version_document(TemplateVersion.objects.get(template__slug="shape-day"))
    assert saved["phases"][0]["steps"][0]["key"] == second["key"]


@pytest.mark.django_db
def test_form_round_trip_keeps_every_library_template_unchanged(consultant):
    """The form shows and sends back everything a document holds."""
    client = public_client(consultant)
    for template in Template.objects.all():
        draft = client.post(f"/console/{template.slug}/new-draft/")
        assert draft.status_code == 302
        original = version_document(latest_published(template))
        edit = draft["Location"]
        assert client.post(edit, {**_form_data(original), "save": "1"}).status_code == 200
        number = int(re.search(r"/v(\d+)/edit/$", edit).group(1))
        assert version_document(template.versions.get(number=number)) == original


@pytest.mark.django_db
def test_publishing_asks_for_confirmation_and_flags_one_language_changes(consultant):
    client = public_client(consultant)
    template = Template.objects.get(slug="values-day")
    previous = latest_published(template)
    edit = client.post("/console/values-day/new-draft/")["Location"]
    number = previous.number + 1
    doc = version_document(previous)
    doc["phases"][0]["steps"][0]["title"]["fr"] = "Un titre changé en français seulement"
    client.post(edit, {**_form_data(doc), "save": "1"})

    # The draft's page offers "Publish…", which leads to a confirmation, not a publication.
    version_page = _page(client.get(f"/console/values-day/v{number}/"))
    assert f'href="/console/values-day/v{number}/publish/"' in version_page
    confirm = _page(client.get(f"/console/values-day/v{number}/publish/"))
    assert "Publishing is final." in confirm
    assert "can never be changed, withdrawn or deleted" in confirm
    assert f"1 change since version {previous.number}" in confirm
    step_title = doc["phases"][0]["steps"][0]["title"]["en"]
    assert f"Step · {step_title}" in confirm  # the diff summary
    assert "Changed in one language only" in confirm
    assert "the French text changed, the English did not" in confirm
    assert not template.versions.get(number=number).is_published

    # A bare POST (no confirmation) publishes nothing.
    assert client.post(f"/console/values-day/v{number}/publish/").status_code == 302
    assert not template.versions.get(number=number).is_published
    # Confirming without ticking the one-language check is refused.
    refused = client.post(f"/console/values-day/v{number}/publish/", {"confirm": "final"})
    assert refused.status_code == 400
    assert not template.versions.get(number=number).is_published
    done = client.post(f"/console/values-day/v{number}/publish/",
                       {"confirm": "final", "one_language_checked": "1"})
    assert done.status_code == 302
    assert template.versions.get(number=number).is_published


@pytest.mark.django_db
def test_publish_confirmation_without_one_language_changes_needs_no_tick(consultant):
    client = public_client(consultant)
    edit = client.post("/console/values-day/new-draft/")["Location"]
    previous = latest_published(Template.objects.get(slug="values-day"))
    doc = version_document(previous)
    doc["title"] = {"fr": "Journée des valeurs : édition 2", "en": "Values day: edition 2"}
    client.post(edit, {**_form_data(doc), "save": "1"})
    number = previous.number + 1
    confirm = _page(client.get(f"/console/values-day/v{number}/publish/"))
    assert "Changed in one language only" not in confirm
    assert client.post(f"/console/values-day/v{number}/publish/",
                       {"confirm": "final"}).status_code == 302
    assert latest_published(Template.objects.get(slug="values-day")).number == number


@pytest.mark.django_db
def test_console_form_pages_are_for_consultants_only(owner_a):
    assert public_client(owner_a).get("/console/new/").status_code == 404
    assert public_client(owner_a).get("/console/values-day/v1/publish/").status_code == 404
