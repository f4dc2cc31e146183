"""The test that cannot forget a field: every text field of every tenant model is either
personal (in the model's ``PERSONAL_FIELDS``, blanked by erasure) or listed here as not
personal, with the reason. A new field fails this test until someone decides. Then a person
with a row of every kind is erased, and no column of the organisation's schema still holds
their name, address, postcode or words."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django_tenants.utils import tenant_context

from engagement.models import PrivacyLog
from engagement.services.privacy import participant_erase

from .test_privacy_service import SECRET_WORDS, person_with_everything

TENANT_APPS = ("engagement", "reports", "lab")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, ArrayField,
               models.GenericIPAddressField, models.FileField)  # EmailField, SlugField: Char

# (model, field): why it holds nothing about a person.
NOT_PERSONAL: dict[tuple[str, str], str] = {
    ("Programme", "name"): "written by the organisation about its programme",
    ("Programme", "description"): "written by the organisation about its programme",
    **{("ProgrammeStep", name): "copied from the methodology library" for name in (
        "key", "phase_code", "phase_title_fr", "phase_title_en", "title_fr", "title_en",
        "guidance_fr", "guidance_en", "owner_role", "status")},
    **{("ProgrammeMessage", name): "a message template, with placeholders, not a sent "
       "message" for name in ("kind", "subject_fr", "subject_en", "body_fr", "body_en")},
    **{("ProgrammeLever", name): "copied from the lever catalogue" for name in (
        "code", "name_fr", "name_en", "note_fr", "note_en")},
    **{("ProgrammeIndicator", name): "copied from the indicator catalogue" for name in (
        "code", "unit", "label_fr", "label_en")},
    **{("ProgrammeSurveyQuestion", name): "the question, not an answer" for name in (
        "moment", "kind", "text_fr", "text_en", "measure")},
    ("Team", "name"): "a department or neighbourhood: a segment, kept for the figures",
    **{("CampaignPartner", name): "the partner association, an organisation, not a person"
       for name in ("name", "website", "logo")},
    ("PartnerLink", "token_hash"): "the hash of a link's token, shared with an association",
    **{("SlotTally", name): "a pledge status or attendance code a count is kept for"
       for name in ("status", "attendance")},
    ("Skill", "name"): "a skill of skills-based volunteering, named by the organisation",
    ("TimeValuation", "basis"): "a choice code: how the organisation values an hour",
    ("TimeValuation", "basis_note"): "written by the organisation about its valuation",
    ("Team", "kind"): "a choice code",
    ("TeamChallenge", "name"): "written by the organisation about a challenge between teams",
    ("TeamChallenge", "name_en"): "written by the organisation about a challenge between teams",
    ("TeamChallenge", "description_fr"): "written by the organisation about a challenge",
    ("TeamChallenge", "description_en"): "written by the organisation about a challenge",
    ("TeamChallenge", "measure"): "a choice code: people or hours",
    **{("Campaign", name): "written by the organisation about its action" for name in (
        "title", "description", "place")},
    **{("Campaign", name): "a code or state" for name in (
        "code", "visibility", "status", "checkin_secret")},
    ("ImpactRecord", "note"): "an organiser's note on a campaign's measured result",
    ("Participant", "language"): "fr or en: kept so the row stays a countable fact",
    ("Participant", "source"): "how people arrive (a choice code): a figure",
    ("Participant", "referral_code"): "a random code, unreachable once the person is "
                                      "erased (links refuse erased people)",
    ("Invitation", "code"): "a random code",
    ("Invitation", "channel"): "a choice code: the lever figures",
    ("Invitation", "lever_code"): "a catalogue code: the lever figures",
    ("Invitation", "audience_label"): "written by an organiser about a group (a "
                                      "department), never a person",
    ("InvitationBatch", "audience"): "a choice code: who a bulk invitation went to",
    ("InvitationBatch", "audience_label"): "a team's or site's name, or a campaign's title",
    ("InvitationBatch", "channel"): "a choice code: the lever figures",
    ("InvitationBatch", "lever_code"): "a catalogue code: the lever figures",
    ("CampaignEvent", "kind"): "a choice code: postponed or relaunched",
    ("Pledge", "status"): "a state: the figures",
    ("Campaign", "freed_seats"): "a choice code: offer freed places or give them at once",
    ("PledgeReminder", "kind"): "the kind of reminder (D-7, D-1)",
    ("OrganiserAlert", "kind"): "a choice code: the kind of alert",
    ("OrganiserAlert", "dedupe_key"): "kind and row ids of the fact, no text of a person",
    ("Pledge", "attendance"): "a state: the figures",
    ("OutboundEmail", "kind"): "the kind of message",
    ("OutboundEmail", "dedupe_key"): "made of row ids only (outbox.dedupe_key)",
    ("OutboundEmail", "status"): "a state",
    ("OutboundEmail", "language"): "fr or en",
    ("OutboundEmail", "action_url"): "a link on the organisation's host; its signed token "
                                     "names the person by row id only, and links refuse "
                                     "erased people",
    ("EmailDeliverability", "reason"): "a choice code",
    ("EmailEvent", "provider"): "the e-mail provider's name",
    ("EmailEvent", "event_key"): "the provider's event id, or a digest of the event",
    ("EmailEvent", "event_type"): "a choice code",
    ("ConsentRecord", "purpose"): "a choice code",
    ("ConsentRecord", "source"): "a choice code",
    ("ConsentRecord", "wording_version"): "a version name",
    ("ConsentRecord", "wording"): "the project's wording shown, the same for everyone: "
                                  "kept as proof",
    ("ConsentRecord", "language"): "fr or en",
    ("PrivacyLog", "kind"): "a choice code; the log holds counts, never names",
    ("PrivacyLog", "actor"): "a choice code",
    ("BulkJob", "kind"): "a choice code",
    ("BulkJob", "status"): "a state",
    ("BulkJob", "options"): "the organiser's choices (consent collected, only valid rows)",
    # A job's report quotes refused values (an address that is not one); the list itself
    # (source_text, personal) is emptied when the job ends.
    ("BulkJob", "report"): "counts, and the file's refused values with their line",
    ("Report", "scope"): "a choice code",
    ("Report", "language"): "fr or en",
    ("Report", "title"): "names a campaign, programme or period",
    ("Report", "status"): "a state",
    ("Report", "error"): "a rendering error (an exception's text about the template)",
    ("Report", "file"): "a path; the PDF shows figures, and the names of people only "
                        "through their consent (tenants.access)",
    ("Commentary", "scope"): "a choice code",
    ("Commentary", "subject_key"): "campaign:<id> and the like",
    ("Commentary", "section"): "a choice code",
    ("Commentary", "text"): "a consultant's comment on figures",
    **{(model, "content_language"): "fr or en: the language its texts are written in"
       for model in ("Campaign", "Programme", "Commentary")},
    ("Campaign", "translations"): "the organisation's title and description in the "
                                  "other language",
    ("Programme", "translations"): "the programme's name and description in the other "
                                   "language",
    ("Commentary", "translations"): "the consultant's comment in the other language",
    ("FiguresSnapshot", "key"): "names a scope by ids",
    ("FiguresSnapshot", "data"): "computed figures: counts, rates, team names",
    ("Experiment", "title"): "written by an organiser about a lever experiment",
    ("Experiment", "hypothesis"): "written by an organiser about a lever experiment",
    **{("Experiment", name): "a choice code" for name in ("wave", "metric", "unit", "status")},
    ("Experiment", "salt"): "random hex, the assignment hash's salt",
    ("Variant", "name"): "written by an organiser: a variant's name",
    ("Variant", "lever_code"): "a catalogue code",
    ("Variant", "channel"): "a choice code",
    **{("Variant", f"{field}_{lang}"): "an organiser's message to many people"
       for field in ("subject", "body") for lang in ("fr", "en")},
    ("Assignment", "unit_key"): "person:<id> or team:<id>",
    ("InvitationBatch", "wording"): "an organiser's message to many people",
    **{("ExperimentLook", name): "computed figures: sums per arm, team and site names"
       for name in ("sums", "segments", "analysis")},
    ("CampaignForecast", "method"): "the forecast's method: reference-class or prior",
    ("CampaignForecast", "curve"): "counts of people committed at each time fraction",
}


def text_fields():
    for app in TENANT_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, TEXT_FIELDS):
                    yield model, field


def test_every_text_field_is_personal_or_declared_not_personal():
    undecided, both = [], []
    for model, field in text_fields():
        key = (model.__name__, field.name)
        personal = field.name in getattr(model, "PERSONAL_FIELDS", ())
        if personal and key in NOT_PERSONAL:
            both.append(key)
        elif not personal and key not in NOT_PERSONAL:
            undecided.append(key)
    assert not undecided, ("Say whether these are personal (PERSONAL_FIELDS or "
                           f"NOT_PERSONAL): {undecided}")
    assert not both, f"Personal and declared not personal: {both}"
    known = {(m.__name__, f.name) for m, f in text_fields()}
    assert not set(NOT_PERSONAL) - known, "NOT_PERSONAL names fields that are gone"
    assert all(reason.strip() for reason in NOT_PERSONAL.values())


def test_personal_fields_name_real_text_fields():
    for app in TENANT_APPS:
        for model in apps.get_app_config(app).get_models():
            for name in getattr(model, "PERSONAL_FIELDS", ()):
                assert isinstance(model._meta.get_field(name), TEXT_FIELDS), (model, name)


def _columns_holding(word: str) -> list[str]:
    """Every text column of the current schema where ``word`` appears (any case)."""
    schema = connection.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND data_type IN "
            "('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'inet')", [schema])
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" '
                           f'WHERE "{column}"::text ILIKE %s', [f"%{word}%"])
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.mark.django_db
def test_after_erasure_no_column_of_the_schema_holds_the_person(org_a):
    with tenant_context(org_a):
        person, friend, _campaign = person_with_everything()
        assert _columns_holding("zoeline.q@example.org")  # the search finds what is there
        participant_erase(participant=person, actor=PrivacyLog.Actor.PERSON)
        for word in SECRET_WORDS + ("Zoeline", "35-44"):
            assert _columns_holding(word) == [], word
        # Everyone else is untouched.
        friend.refresh_from_db()
        assert friend.first_name == "Friendly" and friend.erased_at is None
