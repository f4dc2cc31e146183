"""Content in two languages: campaign titles and descriptions, programme names. The text
in the row's language stays in its field; the other language's is a translation; every
reader gets their language, or the other one marked as such (engagement.bilingual)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import Campaign, OutboundEmail, Programme
from engagement.services import campaign_create, campaign_join, campaign_update
from engagement.services.programmes import programme_create, programme_update

from ..conftest import tenant_client
from ..factories import CampaignFactory, ProgrammeFactory, SlotFactory

JSON = "application/json"


def bilingual_campaign(*, en_title: str | None = "Beach clean-up",
                       en_description: str | None = None) -> Campaign:
    """A French campaign (the organisers wrote in French), with the English texts given."""
    english = {key: text for key, text in (("title", en_title),
                                           ("description", en_description)) if text}
    campaign = CampaignFactory(
        programme=ProgrammeFactory(name="Littoral propre", content_language="fr"),
        title="Nettoyage de la plage", description="Venez **nombreux**.",
        content_language="fr", translations={"en": english} if english else {},
        visibility=Campaign.Visibility.PUBLIC,
        starts_at=timezone.now() + timedelta(days=10),
        mobilisation_deadline=timezone.now() + timedelta(days=7))
    SlotFactory(campaign=campaign, capacity=10)
    return campaign


def render(template: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load engagement %}" + template).render(Context(context))


@pytest.mark.django_db
def test_each_reader_gets_their_language_or_the_other_marked(org_a):
    with tenant_context(org_a):
        campaign = bilingual_campaign()
        assert campaign.localized("title", "fr").text == "Nettoyage de la plage"
        english = campaign.localized("title", "en")
        assert (english.text, english.is_fallback) == ("Beach clean-up", False)
        # No English description: the French one, saying so.
        description = campaign.localized("description", "en")
        assert (description.text, description.language, description.is_fallback) == (
            "Venez **nombreux**.", "fr", True)

        assert render('{{ c|localized:"title" }}', "en", c=campaign) == "Beach clean-up"
        page = render('{{ c|localized_markdown:"description" }}', "en", c=campaign)
        assert page == ('<p class="lang-note"><small>(in French)</small></p>'
                        '<div lang="fr"><p>Venez <strong>nombreux</strong>.</p></div>')
        # And the other way round: an English-only text on a French page.
        only_english = CampaignFactory(title="Tree planting", content_language="en",
                                       translations={})
        assert render('{{ c|localized:"title" }}', "fr", c=only_english) == (
            '<span lang="en">Tree planting</span> <small class="lang-note">(en anglais)'
            '</small>')
        # A page title or an attribute takes the plain text.
        assert render('{{ c|localized_text:"title" }}', "fr", c=only_english) == (
            "Tree planting")


@pytest.mark.django_db
def test_a_translation_is_escaped_and_its_markdown_sanitised(org_a):
    with tenant_context(org_a):
        campaign = bilingual_campaign(
            en_title="<b>Clean</b> & co",
            en_description="<script>alert(1)</script> **bold** [x](javascript:alert(1)) "
                           '<img src="http://evil.test/x.png">')
    title = render('{{ c|localized:"title" }}', "en", c=campaign)
    assert title == "&lt;b&gt;Clean&lt;/b&gt; &amp; co"
    description = render('{{ c|localized_markdown:"description" }}', "en", c=campaign)
    assert "<strong>bold</strong>" in description
    assert "<script" not in description and "javascript:" not in description
    assert "<img" not in description


@pytest.mark.django_db
def test_services_write_both_languages_and_refuse_what_is_wrong(org_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory()
        start = timezone.now() + timedelta(days=10)
        terms = {"programme": programme, "starts_at": start,
                 "ends_at": start + timedelta(hours=3), "participant_target": 5,
                 "mobilisation_deadline": start - timedelta(days=2)}
        # The test organisation writes in English: that is the campaign's language.
        campaign = campaign_create(title="Beach clean-up", **terms,
                                   translations={"fr": {"title": " Nettoyage ",
                                                        "description": ""}})
        assert campaign.content_language == "en"
        assert campaign.translations == {"fr": {"title": "Nettoyage"}}

        with pytest.raises(DomainError) as refused:
            campaign_create(title="X", **terms, translations={
                "en": {"title": "same language"}})
        assert list(refused.value.errors) == ["translations"]
        with pytest.raises(DomainError) as refused:
            campaign_create(title="X", **terms, translations={
                "fr": {"title": "t" * 201, "place": "Marseille", "description": 3}})
        assert set(refused.value.errors) == {"title_fr", "place_fr", "description_fr"}
        with pytest.raises(DomainError) as refused:
            campaign_create(title="X", **terms, content_language="de")
        assert list(refused.value.errors) == ["content_language"]
        assert Campaign.objects.count() == 1  # nothing half-written

        # Changing merges over what is there; a blank text removes a translation.
        campaign_update(campaign=campaign, translations={"fr": {"description": "Venez."}})
        campaign.refresh_from_db()
        assert campaign.translations == {"fr": {"title": "Nettoyage",
                                                "description": "Venez."}}
        campaign_update(campaign=campaign, translations={"fr": {"title": "  "}})
        campaign.refresh_from_db()
        assert campaign.translations == {"fr": {"description": "Venez."}}
        assert campaign.localized("title", "fr").is_fallback

        made = programme_create(name="Programme vert", content_language="fr",
                                starts_on=start.date(), ends_on=start.date(),
                                translations={"en": {"name": "Green programme"}})
        assert made.localized("name", "en").text == "Green programme"
        programme_update(programme=made, translations={"en": {"name": "Greener"}})
        made.refresh_from_db()
        assert made.text_in("name", "en") == "Greener" and made.name == "Programme vert"
        with pytest.raises(DomainError) as refused:
            programme_update(programme=made, content_language="en")  # type: ignore[call-arg]
        assert list(refused.value.errors) == ["content_language"]


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_language_or_translations_not_an_object(org_a):
    from django.db import IntegrityError, transaction

    with tenant_context(org_a):
        campaign = CampaignFactory()
        for change in ({"content_language": "de"}, {"translations": ["en", "x"]}):
            with pytest.raises(IntegrityError), transaction.atomic():
                Campaign.objects.filter(pk=campaign.pk).update(**change)


def confirmation(campaign: Campaign, email: str, language: str, capture) -> OutboundEmail:
    with capture(execute=True):
        campaign_join(campaign=campaign, email=email, language=language,
                      slot_ids=[campaign.slots.get().pk])
    return OutboundEmail.objects.get(to_email=email, kind="pledge_confirmed")


@pytest.mark.django_db
def test_emails_and_calendar_files_take_the_participants_language(
        org_a, eager, django_capture_on_commit_callbacks):
    with tenant_context(org_a):
        campaign = bilingual_campaign()
        french = confirmation(campaign, "fr@example.test", "fr",
                              django_capture_on_commit_callbacks)
        english = confirmation(campaign, "en@example.test", "en",
                               django_capture_on_commit_callbacks)
        french_only = bilingual_campaign(en_title=None)
        fallback = confirmation(french_only, "en2@example.test", "en",
                                django_capture_on_commit_callbacks)
    assert "Nettoyage de la plage" in french.subject and "Beach" not in french.body
    assert "Beach clean-up" in english.subject and "Nettoyage" not in english.body
    # No English title: the English e-mail names the action by its French one.
    assert "Nettoyage de la plage" in fallback.subject
    for row, summary in ((french, "Nettoyage de la plage"), (english, "Beach clean-up"),
                         (fallback, "Nettoyage de la plage")):
        if row.calendar:  # the confirmation's invitation (item 3) carries the title too
            assert f"SUMMARY:{summary}" in row.calendar.replace("\r\n ", "")


@pytest.mark.django_db
def test_a_pages_calendar_file_is_in_the_readers_language(org_a):
    with tenant_context(org_a):
        campaign = bilingual_campaign()
    client = tenant_client(org_a)
    english = client.get(f"/c/{campaign.code}/calendar.ics", HTTP_ACCEPT_LANGUAGE="en")
    french = client.get(f"/c/{campaign.code}/calendar.ics", HTTP_ACCEPT_LANGUAGE="fr")
    assert "SUMMARY:Beach clean-up" in english.content.decode()
    assert "SUMMARY:Nettoyage de la plage" in french.content.decode()


@pytest.mark.django_db
def test_public_page_in_english_and_the_fallback_mark(org_a):
    with tenant_context(org_a):
        campaign = bilingual_campaign()
    client = tenant_client(org_a)
    page = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Beach clean-up</h1>" in page and "<title>Beach clean-up" in page
    # What LinkedIn or WhatsApp show of the link: the English title too.
    assert '<meta property="og:title" content="Beach clean-up">' in page
    # The description exists only in French: shown, in its language, with the note.
    assert '(in French)' in page and '<div lang="fr"><p>Venez <strong>nombreux' in page
    french = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Nettoyage de la plage</h1>" in french and "(en " not in french


@pytest.mark.django_db
def test_organisers_write_and_see_both_languages(org_a, manager_a, viewer_a):
    with tenant_context(org_a):
        campaign = bilingual_campaign(en_title=None)
    client = tenant_client(org_a, manager_a)
    form = client.get(f"/campaigns/{campaign.pk}/edit/", HTTP_ACCEPT_LANGUAGE="en")
    html = form.content.decode()
    assert re.search(r'<label for="id_title">Title in French\s*<input[^>]*name="title"'
                     r'[^>]*lang="fr"', html)
    assert re.search(r'<label for="id_title_en">Title in English\s*<input[^>]*'
                     r'name="title_en"[^>]*lang="en"', html)
    assert 'name="description_en"' in html
    detail = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Title in English: not written yet" in detail.content.decode()

    data = {name: (value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime")
                   else value) for name, value in form.context["form"].initial.items()
            if value is not None}
    data |= {"title_en": "Beach clean-up", "description_en": "Come **along**."}
    saved = client.post(f"/campaigns/{campaign.pk}/edit/", data)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    with tenant_context(org_a):
        campaign.refresh_from_db()
    assert campaign.title == "Nettoyage de la plage"
    assert campaign.translations == {"en": {"title": "Beach clean-up",
                                            "description": "Come **along**."}}
    detail = client.get(f"/campaigns/{campaign.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    assert 'Titre en anglais : <span lang="en">Beach clean-up</span>' in \
        re.sub("[\u202f\xa0]", " ", detail.content.decode())
    # A viewer reads, never writes.
    refused = tenant_client(org_a, viewer_a).post(f"/campaigns/{campaign.pk}/edit/", data)
    assert refused.status_code == 404


@pytest.mark.django_db
def test_api_round_trip_of_both_languages(org_a, manager_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory()
    client = tenant_client(org_a, manager_a)
    start = timezone.now() + timedelta(days=10)
    payload = {"programme": programme.pk, "title_en": "Beach clean-up",
               "title_fr": "Nettoyage", "description_fr": "Venez **nombreux**.",
               "starts_at": start.isoformat(),
               "ends_at": (start + timedelta(hours=3)).isoformat(), "participant_target": 5,
               "mobilisation_deadline": (start - timedelta(days=2)).isoformat()}
    created = client.post("/api/v1/campaigns/", payload, content_type=JSON)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["content_language"], body["title"], body["title_en"], body["title_fr"],
            body["description"], body["description_en"], body["description_fr"]) == (
        "en", "Beach clean-up", "Beach clean-up", "Nettoyage", "", "",
        "Venez **nombreux**.")
    url = f"/api/v1/campaigns/{body['id']}/"
    changed = client.patch(url, {"title_fr": "Nettoyage du Prado", "description_fr": ""},
                           content_type=JSON).json()
    assert (changed["title_fr"], changed["description_fr"]) == ("Nettoyage du Prado", "")
    assert client.get(url).json()["title_fr"] == "Nettoyage du Prado"

    too_long = client.patch(url, {"title_fr": "t" * 201}, content_type=JSON)
    assert too_long.status_code == 400 and list(too_long.json()["errors"]) == ["title_fr"]
    both = client.patch(url, {"title": "A", "title_en": "B"}, content_type=JSON)
    assert both.status_code == 400 and list(both.json()["errors"]) == ["title_en"]
    moved = client.patch(url, {"content_language": "fr"}, content_type=JSON)
    assert moved.status_code == 400 and "content_language" in moved.json()["errors"]
    not_text = client.patch(url, {"title_fr": ["x"]}, content_type=JSON)
    assert not_text.status_code == 400 and "title_fr" in not_text.json()["errors"]

    programme_url = f"/api/v1/programmes/{programme.pk}/"
    renamed = client.patch(programme_url, {"name_fr": "Programme vert"}, content_type=JSON)
    assert renamed.status_code == 200 and renamed.json()["name_fr"] == "Programme vert"
    with tenant_context(org_a):
        assert Programme.objects.get(pk=programme.pk).translations == {
            "fr": {"name": "Programme vert"}}

    with tenant_context(org_a):
        Campaign.objects.filter(pk=body["id"]).update(status="open",
                                                      visibility="public")
        code = Campaign.objects.get(pk=body["id"]).code
    public = tenant_client(org_a).get(f"/api/v1/public/campaigns/{code}/").json()
    assert (public["title_en"], public["title_fr"]) == ("Beach clean-up",
                                                         "Nettoyage du Prado")


@pytest.mark.django_db
def test_programme_page_edits_both_names(org_a, manager_a, viewer_a, owner_b):
    with tenant_context(org_a):
        programme = ProgrammeFactory(name="Littoral propre", content_language="fr",
                                     description="Un programme.")
    url = f"/programmes/{programme.pk}/edit/"
    client = tenant_client(org_a, manager_a)
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200
    html = form.content.decode()
    assert "Name in French" in html and 'name="name_en"' in html
    assert 'value="Littoral propre"' in html
    data = {"name": "Littoral propre", "name_en": "Clean coast", "description": "Un programme.",
            "description_en": "", "starts_on": programme.starts_on.isoformat(),
            "ends_on": programme.ends_on.isoformat(), "participant_target": 0}
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    with tenant_context(org_a):
        programme.refresh_from_db()
    assert (programme.name, programme.translations) == (
        "Littoral propre", {"en": {"name": "Clean coast"}})
    page = client.get(f"/programmes/{programme.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "<h1>Clean coast</h1>" in page.content.decode()
    # Readers may not write; another organisation's people do not know it exists.
    assert tenant_client(org_a, viewer_a).get(url).status_code == 404
    assert tenant_client(org_a, viewer_a).post(url, data).status_code == 404
    assert tenant_client(org_a, owner_b).get(url).status_code == 404


@pytest.mark.django_db
def test_new_campaign_and_programme_forms_take_both_languages(org_a, manager_a):
    with tenant_context(org_a):
        programme = ProgrammeFactory()
    client = tenant_client(org_a, manager_a)
    start = timezone.localtime() + timedelta(days=20)
    created = client.post(f"/programmes/{programme.pk}/campaigns/new/", {
        "title": "Beach clean-up", "title_fr": "Nettoyage de la plage",
        "description": "", "description_fr": "Venez.",
        "starts_at": start.strftime("%Y-%m-%dT10:00"),
        "ends_at": start.strftime("%Y-%m-%dT13:00"),
        "mobilisation_deadline": (start - timedelta(days=5)).strftime("%Y-%m-%dT18:00"),
        "participant_target": 10, "visibility": "public", "capacity": 10,
        "party_approval_above": 5, "freed_seats": "offer"})
    assert created.status_code == 302, created.content.decode()[-2000:]
    with tenant_context(org_a):
        campaign = Campaign.objects.get(programme=programme)
    assert (campaign.content_language, campaign.title, campaign.translations) == (
        "en", "Beach clean-up", {"fr": {"title": "Nettoyage de la plage",
                                        "description": "Venez."}})

    too_long = client.post("/programmes/", {
        "name": "Green", "name_fr": "v" * 201, "starts_on": "2027-01-01",
        "ends_on": "2027-12-31", "participant_target": 0})
    assert too_long.status_code == 400
    assert too_long.context["form"].errors == {
        "name_fr": ["Ensure this value has at most 200 characters (it has 201)."]}
    made = client.post("/programmes/", {
        "name": "Green", "name_fr": "Vert", "description": "", "description_fr": "",
        "starts_on": "2027-01-01", "ends_on": "2027-12-31", "participant_target": 0})
    assert made.status_code == 302
    with tenant_context(org_a):
        assert Programme.objects.get(name="Green").translations == {"fr": {"name": "Vert"}}
