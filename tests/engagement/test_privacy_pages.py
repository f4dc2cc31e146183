"""A participant's rights, the pages: "Your data" on the person's own page (download,
erase after a confirmation), in French and English; the organisers' page of a person
(managers and owners); 404 for anyone else, for a forged link, and for an erased person's
old links, which say the data was erased without showing any."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from core.roles import Role
from engagement import links
from engagement.models import Participant, PrivacyLog

from ..conftest import host_of, make_member, tenant_client
from .test_participant_pages import text_of
from .test_privacy_service import SECRET_WORDS, person_with_everything


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def own_page(org, *, language="fr"):
    with tenant_context(org):
        person, _friend, _campaign = person_with_everything(language=language)
        token = links.participant_token(person)
    return person, token


@pytest.mark.django_db
@pytest.mark.parametrize("lang, heading, button", [
    ("fr", "Vos données", "Télécharger mes données (JSON)"),
    ("en", "Your data", "Download my data (JSON)")])
def test_the_own_page_offers_the_data_in_the_persons_language(org_a, lang, heading, button):
    _person, token = own_page(org_a)
    page = text_of(tenant_client(org_a).get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE=lang))
    assert heading in page and button in page


@pytest.mark.django_db
def test_the_person_downloads_json_and_csv_counted_in_the_log(org_a):
    person, token = own_page(org_a)
    client = tenant_client(org_a)
    answer = client.get(f"/me/{token}/data.json", HTTP_ACCEPT_LANGUAGE="fr")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    body = answer.json()
    assert body["sections"][0]["rows"][0]["Adresse e-mail"] == person.email
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/me/{token}/data.csv").content))
    assert "1-identity.csv" in archive.namelist()
    assert client.get(f"/me/{token}/data.xml").status_code == 404
    with tenant_context(org_a):
        assert list(PrivacyLog.objects.values_list("kind", "actor")) == [
            ("export", "person"), ("export", "person")]


@pytest.mark.django_db
@pytest.mark.parametrize("lang, email_header", [("en", "E-mail address"),
                                                ("fr", "Adresse e-mail")])
def test_the_person_downloads_in_the_language_of_the_page_they_read(org_a, lang,
                                                                   email_header):
    person, token = own_page(org_a, language="fr")
    body = tenant_client(org_a).get(f"/me/{token}/data.json",
                                    HTTP_ACCEPT_LANGUAGE=lang).json()
    assert body["language"] == lang
    assert body["sections"][0]["rows"][0][email_header] == person.email


@pytest.mark.django_db
def test_downloads_are_throttled(org_a, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "participant_export": {
        "address": "100/hour", "subject": "2/hour"}}
    _person, token = own_page(org_a)
    client = tenant_client(org_a)
    assert [client.get(f"/me/{token}/data.json").status_code for _ in range(3)] == [
        200, 200, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("lang, confirm, done", [
    ("fr", "Effacer vos données ?", "Vos données personnelles ont été effacées."),
    ("en", "Erase your data?", "Your personal data has been erased.")])
def test_the_person_erases_their_data_after_a_confirmation(org_a, lang, confirm, done):
    person, token = own_page(org_a, language=lang)
    client = tenant_client(org_a)
    page = client.get(f"/me/{token}/erase/", HTTP_ACCEPT_LANGUAGE=lang)
    assert confirm in text_of(page)
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).erased_at is None  # asking erases nothing
    answer = client.post(f"/me/{token}/erase/", HTTP_ACCEPT_LANGUAGE=lang)
    assert answer.status_code == 200 and done in text_of(answer)
    for word in SECRET_WORDS:
        assert word not in answer.content.decode()
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).erased_at is not None
        assert list(PrivacyLog.objects.values_list("kind", "actor")) == [("erasure", "person")]
    # The old link now says the data was erased, as a 404, showing none of it.
    for path in ("", "data.json", "erase/"):
        old = client.get(f"/me/{token}/{path}", HTTP_ACCEPT_LANGUAGE=lang)
        assert old.status_code == 404
        assert "Données effacées" in text_of(old) if lang == "fr" else "Data erased" in text_of(old)
        for word in SECRET_WORDS:
            assert word not in old.content.decode()
    assert client.get(f"/me/{token}/unsubscribe/").status_code == 404


@pytest.mark.django_db
def test_erasing_needs_csrf(org_a):
    person, token = own_page(org_a)
    client = Client(HTTP_HOST=host_of(org_a), enforce_csrf_checks=True)
    assert client.post(f"/me/{token}/erase/").status_code == 403
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).erased_at is None


@pytest.mark.django_db
def test_a_forged_or_other_organisations_link_is_404(org_a, org_b):
    _person, token = own_page(org_a)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for path in ("data.json", "data.csv", "erase/"):
        assert tenant_client(org_a).get(f"/me/{forged}/{path}").status_code == 404
        assert tenant_client(org_b).get(f"/me/{token}/{path}").status_code == 404
    assert tenant_client(org_b).post(f"/me/{token}/erase/").status_code == 404


# ---- the organisers' pages -----------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lang, title, erase", [
    ("fr", "Les droits de la personne", "Effacer les données de Zoéline Quarteroni ?"),
    ("en", "The person’s rights", "Erase the data of Zoéline Quarteroni?")])
def test_a_manager_exports_and_erases_a_person(org_a, manager_a, lang, title, erase):
    person, _token = own_page(org_a)
    client = tenant_client(org_a, manager_a)
    listing = client.get("/participants/", HTTP_ACCEPT_LANGUAGE=lang)
    assert f'href="/participants/{person.pk}/"' in listing.content.decode()
    page = client.get(f"/participants/{person.pk}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert title in text_of(page) and person.email in text_of(page)
    export = client.get(f"/participants/{person.pk}/data.json")
    assert export.status_code == 200
    assert export.json()["language"] == "fr"  # the person's language, not the reader's
    assert client.get(f"/participants/{person.pk}/data.csv")["Content-Type"] == \
        "application/zip"
    confirm = client.get(f"/participants/{person.pk}/erase/", HTTP_ACCEPT_LANGUAGE=lang)
    assert erase in text_of(confirm)
    done = client.post(f"/participants/{person.pk}/erase/", HTTP_ACCEPT_LANGUAGE=lang,
                       follow=True)
    assert done.status_code == 200
    for word in SECRET_WORDS:
        assert word not in done.content.decode()
    with tenant_context(org_a):
        assert Participant.objects.get(pk=person.pk).erased_at is not None
        assert list(PrivacyLog.objects.order_by("pk").values_list("kind", "actor")) == [
            ("export", "organiser"), ("export", "organiser"), ("erasure", "organiser")]
    # An erased person has no page any more.
    assert client.get(f"/participants/{person.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_owner_may_too(org_a, owner_a):
    person, _token = own_page(org_a)
    assert tenant_client(org_a, owner_a).get(
        f"/participants/{person.pk}/").status_code == 200


@pytest.mark.django_db
def test_viewers_other_organisations_and_consultants_get_404(org_a, org_b, viewer_a,
                                                            consultant):
    from tenants.models import ConsultantAssignment

    person, _token = own_page(org_a)
    with tenant_context(org_a):
        hidden = Participant.objects.create(email="hidden@example.org", first_name="Hid")
    ConsultantAssignment.objects.create(consultant=consultant, organisation=org_a)
    other = make_member(org_b, Role.MANAGER, "manager-b@example.test")
    cases = [(tenant_client(org_a, viewer_a), person.pk),
             (tenant_client(org_b, other), person.pk),
             (tenant_client(org_a), person.pk),
             # Consultants see only people who agreed to be contacted.
             (tenant_client(org_a, consultant), hidden.pk)]
    for client, pk in cases:
        for path in ("", "data.json", "data.csv", "erase/"):
            answer = client.get(f"/participants/{pk}/{path}")
            assert answer.status_code in (404, 302), (path, answer.status_code)
        assert client.post(f"/participants/{pk}/erase/").status_code in (404, 302)
    with tenant_context(org_a):
        assert not Participant.objects.filter(erased_at__isnull=False).exists()
        assert not PrivacyLog.objects.exists()
    # The viewer's list links to nobody's page.
    assert f'href="/participants/{person.pk}/"' not in tenant_client(
        org_a, viewer_a).get("/participants/").content.decode()
