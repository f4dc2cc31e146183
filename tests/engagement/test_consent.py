"""Consent to hear about future actions, as records: every path that changes it (join form,
own page, unsubscribe link, import, API) writes one record with the wording shown, its
version and the way it came; nothing else writes it; and it decides which e-mails go."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django_tenants.utils import tenant_context

from engagement import links
from engagement.models import ConsentRecord, EmailKind, OutboundEmail, Participant
from engagement.services import campaign_join, outbox
from engagement.services.consent import (
    CONSENT_VERSION,
    CONSENT_WORDING,
    ORGANISATION_VERSION,
    consent_current,
    consent_record,
)
from engagement.services.participants import participant_unsubscribe, participants_import

from ..conftest import ROOT, tenant_client
from ..factories import ParticipantFactory, make_campaign
from .test_participant_pages import join, text_of

JSON = "application/json"
Source = ConsentRecord.Source


def records(email: str) -> list[tuple[bool, str, str]]:
    return [(r.given, r.source, r.wording_version) for r in ConsentRecord.objects.filter(
        participant__email=email).order_by("recorded_at", "pk")]


# ---- the join form -----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_join_form_shows_the_wording_it_records(org_a, lang):
    with tenant_context(org_a):
        campaign = make_campaign()
    client = tenant_client(org_a)
    page = client.get(f"/c/{campaign.code}/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    wording = CONSENT_WORDING[CONSENT_VERSION][lang]
    assert wording in page.replace("&#x27;", "’")
    assert join(client, campaign, "ana@example.org", lang=lang,
                consent_to_contact="on").status_code == 302
    with tenant_context(org_a):
        record = ConsentRecord.objects.get(participant__email="ana@example.org")
        assert (record.given, record.source, record.wording_version, record.wording,
                record.language, record.campaign_id) == (
            True, Source.JOIN_FORM, CONSENT_VERSION, wording, lang, campaign.pk)
        assert Participant.objects.get(email="ana@example.org").consent_to_contact


@pytest.mark.django_db
def test_a_join_without_the_box_records_nothing_and_withdraws_nothing(org_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        leo = ParticipantFactory(email="leo@example.org")
        consent_record(participant=leo, given=True, source=Source.OWN_PAGE, language="en")
        campaign_join(campaign=campaign, email="leo@example.org", known_participant=leo,
                      slot_ids=[campaign.slots.get().pk], consent_to_contact=False)
        campaign_join(campaign=campaign, email="new@example.org",
                      slot_ids=[campaign.slots.get().pk])
        assert records("leo@example.org") == [(True, Source.OWN_PAGE, CONSENT_VERSION)]
        assert consent_current(Participant.objects.get(email="leo@example.org"))
        assert records("new@example.org") == []


@pytest.mark.django_db
def test_a_record_per_change_and_a_new_consent_after_a_withdrawal(org_a):
    with tenant_context(org_a):
        campaign = make_campaign()
        ana = ParticipantFactory(email="ana@example.org")
        slot = [campaign.slots.get().pk]
        campaign_join(campaign=campaign, email=ana.email, slot_ids=slot, known_participant=ana,
                      consent_to_contact=True)
        # Ticking the box again while consenting already is not a new record.
        assert consent_record(participant=ana, given=True, source=Source.JOIN_FORM,
                              language="fr") is None
        participant_unsubscribe(participant=ana)
        ana.refresh_from_db()
        assert not ana.consent_to_contact and ana.unsubscribed_at is not None
        # Unsubscribing twice keeps one withdrawal.
        participant_unsubscribe(participant=ana)
        # Signing up again with the box ticked is a new consent, and ends the unsubscribe.
        consent_record(participant=ana, given=True, source=Source.JOIN_FORM,
                       campaign=campaign, language="fr")
        ana.refresh_from_db()
        assert ana.consent_to_contact and ana.unsubscribed_at is None
        assert records(ana.email) == [(True, Source.JOIN_FORM, CONSENT_VERSION),
                                      (False, Source.UNSUBSCRIBE_LINK, CONSENT_VERSION),
                                      (True, Source.JOIN_FORM, CONSENT_VERSION)]


# ---- the person's own page ---------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_own_page_switch_records_and_shows_the_history(org_a, lang):
    with tenant_context(org_a):
        ana = ParticipantFactory(email="ana@example.org", first_name="Ana", language=lang)
        token = links.participant_token(ana)
    client = tenant_client(org_a)
    page = text_of(client.get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE=lang))
    wording = CONSENT_WORDING[CONSENT_VERSION][lang]
    assert wording in page
    assert ("Rien d’enregistré" if lang == "fr" else "Nothing recorded") in page
    given = client.post(f"/me/{token}/consent/", {"consent_form": "1", "given": "1"},
                        HTTP_ACCEPT_LANGUAGE=lang)
    assert given.status_code == 302 and given["Location"].endswith("#consent")
    withdrawn = client.post(f"/me/{token}/consent/", {"consent_form": "1"},
                            HTTP_ACCEPT_LANGUAGE=lang)
    assert withdrawn.status_code == 302
    with tenant_context(org_a):
        assert records(ana.email) == [(True, Source.OWN_PAGE, CONSENT_VERSION),
                                      (False, Source.OWN_PAGE, CONSENT_VERSION)]
        assert ConsentRecord.objects.filter(wording=wording, language=lang).count() == 2
    page = text_of(client.get(f"/me/{token}/", HTTP_ACCEPT_LANGUAGE=lang))
    if lang == "fr":
        assert "Historique de votre consentement" in page
        assert "Consentement donné" in page and "Consentement retiré" in page
        assert "sur cette page" in page
    else:
        assert "Your consent history" in page
        assert "Consent given" in page and "Consent withdrawn" in page
        assert "on this page" in page
    assert f"({CONSENT_VERSION})" in page or f"version {CONSENT_VERSION}" in page


@pytest.mark.django_db
def test_the_own_page_switch_needs_a_post_and_a_valid_link(org_a):
    with tenant_context(org_a):
        token = links.participant_token(ParticipantFactory())
    client = tenant_client(org_a)
    assert client.get(f"/me/{token}/consent/").status_code == 405
    assert client.post(f"/me/{token}x/consent/", {"given": "1"}).status_code == 404
    with tenant_context(org_a):
        assert not ConsentRecord.objects.exists()


# ---- the unsubscribe link ----------------------------------------------------------------

@pytest.mark.django_db
def test_the_unsubscribe_link_records_a_withdrawal(org_a):
    with tenant_context(org_a):
        ana = ParticipantFactory(email="ana@example.org")
        consent_record(participant=ana, given=True, source=Source.JOIN_FORM, language="en")
        token = links.participant_token(ana)
    tenant_client(org_a).post(f"/me/{token}/unsubscribe/", HTTP_ACCEPT_LANGUAGE="fr")
    with tenant_context(org_a):
        withdrawal = ConsentRecord.objects.filter(participant=ana).last()
        assert (withdrawal.given, withdrawal.source, withdrawal.language) == (
            False, Source.UNSUBSCRIBE_LINK, "fr")
        ana.refresh_from_db()
        assert not ana.consent_to_contact and ana.unsubscribed_at is not None


# ---- imports -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_an_import_never_withdraws_and_gives_consent_only_when_collected(org_a):
    text = ("email;language;consent\nkim@example.test;fr;no\nana@example.test;en;yes\n"
            "bob@example.test;fr;non\n")
    with tenant_context(org_a):
        kim = ParticipantFactory(email="kim@example.test")
        consent_record(participant=kim, given=True, source=Source.JOIN_FORM, language="fr")
        refused = participants_import(text=text, dry_run=False)
        assert not refused.imported
        assert [(e.line, e.column) for e in refused.errors] == [(3, "consent")]
        assert "confirm" in refused.errors[0].message
        report = participants_import(text=text, dry_run=False, consent_collected=True)
        assert report.imported and (report.created, report.updated) == (2, 1)
        assert consent_current(Participant.objects.get(email="kim@example.test"))
        assert records("kim@example.test") == [(True, Source.JOIN_FORM, CONSENT_VERSION)]
        ana = ConsentRecord.objects.get(participant__email="ana@example.test")
        assert (ana.given, ana.source, ana.wording_version, ana.wording, ana.language) == (
            True, Source.IMPORT, ORGANISATION_VERSION,
            CONSENT_WORDING[ORGANISATION_VERSION]["en"], "en")
        assert records("bob@example.test") == []


@pytest.mark.django_db
def test_the_organisation_cannot_give_back_a_consent_the_person_withdrew(org_a, manager_a):
    with tenant_context(org_a):
        ana = ParticipantFactory(email="ana@example.test")
        consent_record(participant=ana, given=True, source=Source.JOIN_FORM, language="en")
        participant_unsubscribe(participant=ana)
        participants_import(text="email;consent\nana@example.test;yes\n", dry_run=False,
                            consent_collected=True)
        assert not consent_current(Participant.objects.get(pk=ana.pk))
    answer = tenant_client(org_a, manager_a).patch(
        f"/api/v1/participants/{ana.pk}/", {"consent_to_contact": True}, content_type=JSON)
    assert answer.status_code == 200 and answer.json()["consent_to_contact"] is False
    with tenant_context(org_a):
        assert [given for given, _source, _version in records(ana.email)] == [True, False]


# ---- the API -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_api_changes_consent_only_through_its_field_and_records_it(org_a, manager_a):
    client = tenant_client(org_a, manager_a)
    created = client.post("/api/v1/participants/", {"email": "ana@example.test",
                                                    "consent_to_contact": True},
                          content_type=JSON)
    assert created.status_code == 201 and created.json()["consent_to_contact"] is True
    pk = created.json()["id"]
    # Other fields, or none, leave it alone; a read-only name for it is not a way in.
    assert client.patch(f"/api/v1/participants/{pk}/", {"site": "Lyon"},
                        content_type=JSON).json()["consent_to_contact"] is True
    assert client.patch(f"/api/v1/participants/{pk}/", {"consent": False},
                        content_type=JSON).json()["consent_to_contact"] is True
    withdrawn = client.patch(f"/api/v1/participants/{pk}/", {"consent_to_contact": False},
                             content_type=JSON)
    assert withdrawn.json()["consent_to_contact"] is False
    with tenant_context(org_a):
        assert records("ana@example.test") == [(True, Source.API, ORGANISATION_VERSION),
                                               (False, Source.API, ORGANISATION_VERSION)]


def test_nothing_but_the_consent_service_writes_the_cached_answer():
    """Erasure blanks the person (rights); everything else goes through consent_record."""
    allowed = {"engagement/services/consent.py", "engagement/services/privacy.py"}
    writes = re.compile(r"\.consent_to_contact\s*=[^=]|update\([^)]*consent_to_contact\s*=")
    found = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv", "tests/", "demo/")) or "/migrations/" in relative:
            continue
        if writes.search(path.read_text()) and relative not in allowed:
            found.append(relative)
    assert found == []


# ---- e-mails -----------------------------------------------------------------------------

def test_every_email_kind_is_classified_once():
    sets = [outbox.MARKETING_KINDS, outbox.OWN_PLEDGE_KINDS,
            getattr(outbox, "TRANSACTIONAL_KINDS", frozenset())]
    for kind in EmailKind:
        assert sum(kind in kinds for kinds in sets) == 1, kind


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(EmailKind))
def test_each_kind_of_email_is_gated_by_consent_or_not(org_a, kind):
    with tenant_context(org_a):
        yes = ParticipantFactory(consent_to_contact=True)
        no = ParticipantFactory(consent_to_contact=False)
        sent = {}
        for name, person in (("yes", yes), ("no", no)):
            email = outbox.email_queue(kind=kind, dedupe_key=f"{kind}-{name}",
                                       to_email=person.email, subject="s", body="b",
                                       participant=person)
            sent[name] = email.status
        assert sent["yes"] == OutboundEmail.Status.QUEUED
        assert sent["no"] == (OutboundEmail.Status.NO_CONSENT
                              if kind in outbox.MARKETING_KINDS
                              else OutboundEmail.Status.QUEUED)
        # An invitation to someone who is not a participant yet is not gated here.
        stranger = outbox.email_queue(kind=kind, dedupe_key=f"{kind}-x", to_email="x@y.test",
                                      subject="s", body="b")
        assert stranger.status == OutboundEmail.Status.QUEUED


def test_the_marketing_kinds_are_the_ones_not_about_a_pledge_made():
    marketing = {EmailKind.INVITATION, EmailKind.IMPACT_RECAP, EmailKind.FOLLOW_UP_SURVEY,
                 EmailKind.FOLLOW_UP_SURVEY_REMINDER}
    assert set(outbox.MARKETING_KINDS) == marketing


@pytest.mark.django_db
def test_a_consent_withdrawn_after_queueing_stops_the_email(org_a):
    with tenant_context(org_a):
        ana = ParticipantFactory(consent_to_contact=True)
        recap = outbox.email_queue(kind=EmailKind.IMPACT_RECAP, dedupe_key="recap",
                                   to_email=ana.email, subject="s", body="b", participant=ana)
        reminder = outbox.email_queue(kind=EmailKind.REMINDER_D1, dedupe_key="d1",
                                      to_email=ana.email, subject="s", body="b",
                                      participant=ana)
        consent_record(participant=ana, given=False, source=Source.OWN_PAGE, language="fr")
        assert outbox.email_deliver(email_id=recap.pk, attempt=0) is None
        assert outbox.email_deliver(email_id=reminder.pk, attempt=0) is None
        recap.refresh_from_db()
        reminder.refresh_from_db()
        assert (recap.status, reminder.status) == (OutboundEmail.Status.NO_CONSENT,
                                                   OutboundEmail.Status.SENT)


# ---- the history to managers -------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_managers_read_the_history_viewers_do_not(org_a, manager_a, viewer_a, lang):
    with tenant_context(org_a):
        ana = ParticipantFactory(email="ana@example.test", first_name="Ana")
        consent_record(participant=ana, given=True, source=Source.JOIN_FORM, language="en")
        consent_record(participant=ana, given=False, source=Source.UNSUBSCRIBE_LINK,
                       language="en")
    page = tenant_client(org_a, manager_a).get(f"/participants/{ana.pk}/",
                                               HTTP_ACCEPT_LANGUAGE=lang)
    assert page.status_code == 200
    text = text_of(page)
    assert CONSENT_WORDING[CONSENT_VERSION]["en"] in text
    if lang == "fr":
        assert "Historique du consentement" in text and "Consentement retiré" in text
        assert "lien de désinscription d’un e-mail" in text
    else:
        assert "Consent history" in text and "Consent withdrawn" in text
        assert "unsubscribe link of an e-mail" in text
    assert tenant_client(org_a, viewer_a).get(f"/participants/{ana.pk}/").status_code == 404


# ---- the records kept before ---------------------------------------------------------------

@pytest.mark.django_db
def test_people_who_consented_before_records_get_one_legacy_record(org_a):
    migration = importlib.import_module("engagement.migrations.0008_consent_records_legacy")
    with tenant_context(org_a):
        old = ParticipantFactory(consent_to_contact=True, language="fr",
                                 source=Participant.Source.IMPORT)
        ParticipantFactory(consent_to_contact=False)
        recorded = ParticipantFactory(consent_to_contact=False)
        consent_record(participant=recorded, given=True, source=Source.OWN_PAGE, language="fr")
        migration.record_legacy_consents(django_apps, None)
        legacy = ConsentRecord.objects.get(wording_version="legacy")
        assert (legacy.participant_id, legacy.given, legacy.source, legacy.language,
                legacy.wording, legacy.recorded_at) == (
            old.pk, True, Source.IMPORT, "fr", CONSENT_WORDING["legacy"]["fr"], old.created_at)
        assert ConsentRecord.objects.count() == 2
